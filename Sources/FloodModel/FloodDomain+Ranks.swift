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
        for (name, f, w) in rowFields { ranks.gatherBands(f, width: w, bands: bands, extraRows: name == "qy" ? 1 : 0) }
        ranks.gatherBands(arrival, width: nx, bands: bands)
    }

    func readDistributed(at indices: [Int32], into values: inout [Double]) {
        guard let ranks else { return }
        let mine = bands[ranks.rank] * nx..<bands[ranks.rank + 1] * nx
        for (k, i) in indices.enumerated() { values[k] = mine.contains(Int(i)) ? Double(h[Int(i)]) : -.infinity }
        values.withUnsafeMutableBufferPointer { ranks.allReduceMax($0) }
    }
}

extension FloodDomain {
    /// The state arrays of a checkpoint kept by rows (their names in `checkpointState`), with their row width.
    var rowFields: [(name: String, field: FieldBuffer<Real>, width: Int)] {
        [
            ("h", h, nx), ("qx", qx, nx + 1), ("qy", qy, nx), ("cum_infiltration", cumInfil, nx),
            ("max_depth", maxDepth, nx), ("max_speed", maxSpeed, nx),
        ]
    }

    /// This rank's rows of every state array (`rows`: first and end row; the last rank also has the south face
    /// row of `qy`), and the accounts.
    public func checkpointPart() -> [NamedArray] {
        guard let ranks else { return checkpointState() }
        let a = bands[ranks.rank]
        let b = bands[ranks.rank + 1]
        func rows<T>(_ f: FieldBuffer<T>, _ w: Int, _ extra: Int) -> [T] {
            Array(UnsafeBufferPointer(start: f.base + a * w, count: (b - a + extra) * w))
        }
        var out = [NamedArray("rows", .int64([Int64(a), Int64(b)]))]
        for (name, f, w) in rowFields {
            let e = name == "qy" && ranks.rank == ranks.size - 1 ? 1 : 0
            let v = rows(f, w, e)
            let data: ArrayData =
                Real.self == Float.self ? .float32(v.map { Float($0) }) : .float64(v.map { Double($0) })
            out.append(NamedArray(name, shape: [b - a + e, w], data))
        }
        out.append(NamedArray("arrival", shape: [b - a, nx], .float32(rows(arrival, nx, 0))))
        return out + accountArrays
    }

    /// The parts' rows joined in rank order (they must cover the grid's rows in order), then the usual restore.
    public func restore(fromParts parts: [[NamedArray]]) throws {
        var end: Int64 = 0
        for (r, p) in parts.enumerated() {
            guard let rows = p.first(where: { $0.name == "rows" }), case .int64(let ab) = rows.data, ab.count == 2,
                ab[0] == end
            else {
                throw RunError(
                    "checkpoint flood part of rank \(r) does not continue the rows before it",
                    hint: "the checkpoint is damaged; resume from an earlier one or start afresh")
            }
            end = ab[1]
        }
        guard end == Int64(ny) else {
            throw RunError("checkpoint flood parts cover \(end) of \(ny) rows", hint: "start afresh")
        }
        var merged: [NamedArray] = []
        for name in rowFields.map(\.name) + ["arrival"] {
            let pieces = parts.compactMap { $0.first { $0.name == name }?.data }
            guard pieces.count == parts.count, let joined = ArrayData.joined(pieces) else {
                throw RunError(
                    "checkpoint flood parts of '\(name)' are missing or of mixed types", hint: "start afresh")
            }
            merged.append(NamedArray(name, joined))
        }
        try restore(from: merged + parts[0].filter { $0.name == "accounts" || $0.name == "counters" })
    }
}
