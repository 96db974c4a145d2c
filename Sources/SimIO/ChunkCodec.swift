import CZlib

/// HDF5's shuffle + deflate filter pipeline (the filters `createDataset(compress: true)` declares), run by us so
/// that chunks can be compressed on the worker threads and handed to the writer ready to store
/// (`H5Dataset.writeChunk`). Readers decode them with the ordinary filters.
///
/// Shuffle (HDF5 filter 2): byte j of element i moves to position j·n + i, for n whole elements; trailing bytes
/// stay in place. Deflate (filter 1): a zlib stream (RFC 1950) as `compress2` makes it, which is what HDF5's
/// H5Z_deflate writes and reads.
public enum ChunkCodec {
    /// Compression level used for results: light (level 1) — most of the gain on smooth fields, at speed.
    public static let level: Int32 = 1

    public static func shuffleDeflate(_ bytes: UnsafeRawBufferPointer, elementSize: Int, level: Int32 = level) throws
        -> [UInt8]
    {
        let count = bytes.count
        var shuffled = [UInt8](repeating: 0, count: count)
        let n = elementSize > 1 ? count / elementSize : 0
        shuffled.withUnsafeMutableBytes { out in
            if n > 0 {
                for j in 0..<elementSize { for i in 0..<n { out[j * n + i] = bytes[i * elementSize + j] } }
            }
            for b in (n * elementSize)..<count { out[b] = bytes[b] }
        }
        var destLen = compressBound(uLong(count))
        var out = [UInt8](repeating: 0, count: Int(destLen))
        let rc = out.withUnsafeMutableBytes { o in
            shuffled.withUnsafeBytes { s in
                compress2(
                    o.baseAddress!.assumingMemoryBound(to: Bytef.self), &destLen,
                    s.baseAddress?.assumingMemoryBound(to: Bytef.self), uLong(count), level)
            }
        }
        guard rc == Z_OK else {
            throw HDF5Error(operation: "deflate", path: "chunk", stack: "zlib compress2 returned \(rc)")
        }
        out.removeLast(out.count - Int(destLen))
        return out
    }
}
