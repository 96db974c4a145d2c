import CZlib
import Foundation
import SimCore

/// Reads a file, inflating it if it is gzip-compressed (by its magic bytes, whatever the name says).
public func readMaybeGzip(_ path: String) throws -> Data {
    let raw = Data(try InputFile.read(path, what: "the file"))
    guard raw.count >= 2, raw[raw.startIndex] == 0x1f, raw[raw.startIndex + 1] == 0x8b else { return raw }
    var out = Data()
    var s = z_stream()
    let chunk = 1 << 20
    var buf = [UInt8](repeating: 0, count: chunk)
    var rc: Int32 = Z_OK
    try raw.withUnsafeBytes { (src: UnsafeRawBufferPointer) in
        guard ct_inflate_init_gzip(&s) == Z_OK else {
            throw InputError(
                SourceLocation(file: path), code: "E-IMPORT-011", message: "zlib could not start inflating")
        }
        defer { inflateEnd(&s) }
        s.next_in = UnsafeMutablePointer(mutating: src.baseAddress!.assumingMemoryBound(to: Bytef.self))
        s.avail_in = uInt(src.count)
        repeat {
            rc = buf.withUnsafeMutableBytes { b in
                s.next_out = b.baseAddress!.assumingMemoryBound(to: Bytef.self)
                s.avail_out = uInt(chunk)
                return inflate(&s, Z_NO_FLUSH)
            }
            let produced = chunk - Int(s.avail_out)
            if produced > 0 { out.append(contentsOf: buf[0..<produced]) }
            if rc == Z_STREAM_END && s.avail_in > 0 {
                // concatenated gzip members
                inflateReset(&s)
                rc = Z_OK
            }
        } while rc == Z_OK
        guard rc == Z_STREAM_END else {
            throw InputError(
                SourceLocation(file: path), code: "E-IMPORT-012",
                message: "corrupt or truncated gzip data (zlib code \(rc)) after \(out.count) bytes",
                hint: "the download may be incomplete; fetch the file again")
        }
    }
    return out
}
