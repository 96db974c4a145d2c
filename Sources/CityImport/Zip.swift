import CZlib
import SimCore

/// Reads entries of a ZIP archive (PKWARE APPNOTE 6.3: local file headers; stored or deflated entries).
public enum ZipArchive {
    /// The bytes of the first entry whose name ends with `suffix` (case-insensitive).
    public static func entry(_ archive: [UInt8], path: String, suffix: String) throws -> (name: String, data: [UInt8]) {
        var p = 0
        func u16(_ o: Int) -> Int { Int(archive[o]) | Int(archive[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        while p + 30 <= archive.count, u32(p) == 0x0403_4b50 {
            let flags = u16(p + 6)
            let method = u16(p + 8)
            var csize = u32(p + 18)
            let usize = u32(p + 22)
            let nlen = u16(p + 26)
            let xlen = u16(p + 28)
            guard p + 30 + nlen <= archive.count else { break }
            let name = String(decoding: archive[(p + 30)..<(p + 30 + nlen)], as: UTF8.self)
            let start = p + 30 + nlen + xlen
            if flags & 8 != 0 && csize == 0 {
                throw InputError(
                    SourceLocation(file: path), code: "E-IMPORT-002",
                    message: "zip entry '\(name)' uses a data descriptor without sizes",
                    hint: "re-zip the file without streaming")
            }
            csize = min(csize, archive.count - start)
            if name.lowercased().hasSuffix(suffix.lowercased()) {
                let comp = Array(archive[start..<(start + csize)])
                switch method {
                case 0: return (name, comp)
                case 8: return (name, try inflateRaw(comp, expected: usize, path: path))
                default:
                    throw InputError(
                        SourceLocation(file: path), code: "E-IMPORT-003",
                        message: "zip entry '\(name)' uses compression method \(method)",
                        hint: "only stored and deflated entries are read")
                }
            }
            p = start + csize
        }
        throw InputError(
            SourceLocation(file: path), code: "E-IMPORT-001", message: "no '*\(suffix)' entry in the zip archive")
    }

    static func inflateRaw(_ input: [UInt8], expected: Int, path: String) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: expected)
        var s = z_stream()
        var input = input
        let rc: Int32 = input.withUnsafeMutableBufferPointer { inp in
            out.withUnsafeMutableBufferPointer { o in
                s.next_in = inp.baseAddress
                s.avail_in = UInt32(inp.count)
                s.next_out = o.baseAddress
                s.avail_out = UInt32(o.count)
                guard ct_inflate_init_raw(&s) == Z_OK else { return -100 }
                let r = inflate(&s, Z_FINISH)
                inflateEnd(&s)
                return r
            }
        }
        guard rc == Z_STREAM_END else {
            throw InputError(
                SourceLocation(file: path), code: "E-IMPORT-004",
                message: "corrupt deflate data in zip (zlib code \(rc))")
        }
        return out
    }
}
