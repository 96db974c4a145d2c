/// Row bands over ranks: rank r owns rows `bands[r] ..< bands[r + 1]` of row-major buffers (`width` elements a row).
extension RankGroup {
    /// The rows each rank owns when it steps `ranks.owned(layout.count)` partitions of `layout`.
    public func bands(of layout: PartitionLayout) -> [Int] {
        (0..<size).map { layout.bounds[owned(layout.count, rank: $0).lowerBound] } + [layout.rows]
    }

    /// Halo exchange: each rank sends its first and last `depth` rows to the ranks owning the rows above and below,
    /// and receives theirs into its copy (bands must be at least `depth` rows).
    public func exchangeHalo<T>(_ f: FieldBuffer<T>, width: Int, bands: [Int], depth: Int) {
        let a = bands[rank]
        let b = bands[rank + 1]
        let up = rank > 0 ? rank - 1 : nil
        let down = rank + 1 < size ? rank + 1 : nil
        let stride = MemoryLayout<T>.stride
        let rowBytes = width * stride
        let raw = UnsafeMutableRawPointer(f.base)
        func rows(_ lo: Int) -> UnsafeMutableRawBufferPointer {
            UnsafeMutableRawBufferPointer(start: raw + lo * rowBytes, count: depth * rowBytes)
        }
        // downwards: my last rows to the rank below, the rows above me from the rank above
        sendReceive(
            UnsafeRawBufferPointer(rows(b - depth)), to: down, rows(max(a - depth, 0)), from: up)
        // upwards: my first rows to the rank above, the rows below me from the rank below
        sendReceive(UnsafeRawBufferPointer(rows(a)), to: up, rows(b), from: down)
    }

    /// Every rank's rows to every rank. `extraRows` rows beyond the last band (the south faces of a face array)
    /// belong to the last rank.
    public func gatherBands<T>(_ f: FieldBuffer<T>, width: Int, bands: [Int], extraRows: Int = 0) {
        let rowBytes = width * MemoryLayout<T>.stride
        let offsets = (0..<size).map { bands[$0] * rowBytes }
        let counts = (0..<size).map { r in
            (bands[r + 1] - bands[r] + (r == size - 1 ? extraRows : 0)) * rowBytes
        }
        allGather(
            UnsafeMutableRawBufferPointer(
                start: UnsafeMutableRawPointer(f.base), count: f.count * MemoryLayout<T>.stride),
            offsets: offsets, counts: counts)
    }
}
