import SimCore

/// The flood grid over MPI ranks: each rank steps the row bands of its partitions; every array stays full-size
/// on every rank, but only a rank's own rows and a halo of `haloRows` rows each side are kept current between
/// synchronisations.
///
/// After each phase the rows its neighbours' next phase reads are exchanged (velocity phase: face velocities;
/// flux phase: raw fluxes and outflow limiters; continuity: depths and limited fluxes), and after continuity each
/// row's water accounts are gathered, so `endTick` reduces every row in row order on every rank: the time step,
/// diagnostics and mass balance are the threaded run's bits. A coupling read takes each value from the rank that
/// owns its cell (an exact maximum over ranks, the others offering −∞).
extension FloodDomain {
    /// Rows of each neighbour a phase reads: the row across a face, and the one beyond it for the θ-weighted
    /// neighbour fluxes and the face row a band computes again for its last row.
    static var haloRows: Int { 2 }

    public func distribute(over ranks: any RankGroup) -> Bool {
        guard ranks.size > 1, layout.count >= ranks.size else { return false }
        let b = ranks.bands(of: layout)
        guard (0..<ranks.size).allSatisfy({ b[$0 + 1] - b[$0] >= Self.haloRows }) else { return false }
        self.ranks = ranks
        bands = b
        return true
    }

    func exchangeRows(phase: Int) {
        guard let ranks else { return }
        let d = Self.haloRows
        switch faceU == nil ? phase + 1 : phase {
        case 0:
            if let fu = faceU, let fv = faceV {
                ranks.exchangeHalo(fu, width: nx + 1, bands: bands, depth: d)
                ranks.exchangeHalo(fv, width: nx, bands: bands, depth: d)
            }
        case 1:
            ranks.exchangeHalo(qxRaw, width: nx + 1, bands: bands, depth: d)
            ranks.exchangeHalo(qyRaw, width: nx, bands: bands, depth: d)
            ranks.exchangeHalo(limiter, width: nx, bands: bands, depth: d)
        default:
            ranks.exchangeHalo(h, width: nx, bands: bands, depth: d)
            ranks.exchangeHalo(qx, width: nx + 1, bands: bands, depth: d)
            ranks.exchangeHalo(qy, width: nx, bands: bands, depth: d)
            ranks.gatherBands(rowAcc, width: Self.accWidth, bands: bands)
        }
    }

    public func synchronize() {
        guard let ranks else { return }
        ranks.gatherBands(h, width: nx, bands: bands)
        ranks.gatherBands(qx, width: nx + 1, bands: bands)
        ranks.gatherBands(qy, width: nx, bands: bands, extraRows: 1)
        ranks.gatherBands(cumInfil, width: nx, bands: bands)
        ranks.gatherBands(maxDepth, width: nx, bands: bands)
        ranks.gatherBands(maxSpeed, width: nx, bands: bands)
        ranks.gatherBands(arrival, width: nx, bands: bands)
    }

    func readDistributed(at indices: [Int32], into values: inout [Double]) {
        guard let ranks else { return }
        let mine = bands[ranks.rank] * nx..<bands[ranks.rank + 1] * nx
        for (k, i) in indices.enumerated() { values[k] = mine.contains(Int(i)) ? Double(h[Int(i)]) : -.infinity }
        values.withUnsafeMutableBufferPointer { ranks.allReduceMax($0) }
    }
}
