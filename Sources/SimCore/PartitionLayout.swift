/// How a grid is split into partitions: contiguous bands of whole rows, many more than workers.
///
/// Bands (not 2-D tiles) are chosen so that every per-row quantity is computed by exactly one partition and
/// row partial sums can be reduced in row order: reductions are then bit-identical for any partition count
/// and any worker count. Bands are also contiguous in memory, which is what a bandwidth-bound stencil wants.
public struct PartitionLayout: Sendable, Equatable {
    public let rows: Int
    /// `bounds[p] ..< bounds[p + 1]` are the rows of partition p.
    public let bounds: [Int]
    public init(rows: Int, partitions requested: Int) {
        let p = max(1, min(requested, max(rows, 1)))
        self.rows = rows
        self.bounds = (0...p).map { $0 * rows / p }
    }
    public var count: Int { bounds.count - 1 }
    @inlinable public func rowRange(_ p: Int) -> Range<Int> { bounds[p]..<bounds[p + 1] }

    /// The default over-decomposition: about 8 partitions a worker, at least 4 rows each.
    public static func defaultCount(rows: Int, workers: Int) -> Int {
        max(1, min(rows / 4, 8 * max(workers, 1)))
    }
}
