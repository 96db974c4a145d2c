import SimCore

/// The grid over MPI ranks: feeders are the partitions, so each rank solves the power flows of its contiguous
/// share of feeders. After each energy step every feeder's held results (powers, voltages, loadings, supply, the
/// step's sums) go to every rank (`MPI_Alltoallv`), so `endTick`, snapshots and the `energy.supply` field are the
/// threaded run's on every rank; the agents' state and the solvers' warm starts stay on the feeder's rank until
/// `synchronize` gathers them (checkpoints, the end).
extension EnergyDomain {
    public func distribute(over ranks: any RankGroup) -> Bool {
        guard ranks.size > 1, feeders.count >= ranks.size else { return false }
        self.ranks = ranks
        ownedFeeders = ranks.owned(feeders.count)
        return true
    }

    /// The held results of feeder f as 64-bit words (doubles by their bits), with what only the step needs.
    func heldWords(_ f: Int) -> [Int64] {
        let st = feeders[f]
        let extra = [st.unsolved ? 1 : 0, Double(st.newtonFallbacks)] + st.served.map(Double.init)
        return (st.held + extra).map { Int64(bitPattern: $0.bitPattern) }
    }

    /// Takes feeder f's held results from `words` at `o` (advancing it).
    func takeHeld(_ f: Int, _ words: [Int64], _ o: inout Int) {
        let st = feeders[f]
        let n = st.heldCount + 2 + st.buildings.count
        let v = words[o..<(o + n)].map { Double(bitPattern: UInt64(bitPattern: $0)) }
        var k = 0
        st.setHeld(v[...], &k)
        st.unsolved = v[k] != 0
        st.newtonFallbacks = Int(v[k + 1])
        st.served = v[(k + 2)...].map { UInt8($0) }
        o += n
    }

    /// Sends this rank's feeders' `words` to every other rank; hands each other rank's to `take`, feeder by feeder.
    func shareFeeders(_ words: (Int) -> [Int64], _ take: (Int, [Int64], inout Int) -> Void) {
        guard let ranks else { return }
        let mine = ownedFeeders.flatMap(words)
        let got = ranks.allToAll((0..<ranks.size).map { $0 == ranks.rank ? [] : mine })
        for r in 0..<ranks.size where r != ranks.rank {
            var o = 0
            for f in ranks.owned(feeders.count, rank: r) { take(f, got[r], &o) }
        }
    }

    func shareHeld() { shareFeeders(heldWords, takeHeld) }

    /// The agents' state and the warm start of feeder f (the warm start prefixed by its length).
    func agentWords(_ f: Int) -> [Int64] {
        let a = feeders[f].agents
        let warm = feeders[f].flow?.warmState ?? []
        let d = (a.ti + a.te + a.evSoC + warm).map { Int64(bitPattern: $0.bitPattern) }
        return a.active.map(Int64.init) + a.hpMode.map(Int64.init) + a.evAway.map(Int64.init) + [Int64(warm.count)]
            + d
    }

    func takeAgents(_ f: Int, _ words: [Int64], _ o: inout Int) {
        let st = feeders[f]
        let h = st.agents.householdCount
        func ints(_ n: Int) -> ArraySlice<Int64> {
            defer { o += n }
            return words[o..<(o + n)]
        }
        func doubles(_ n: Int) -> [Double] { ints(n).map { Double(bitPattern: UInt64(bitPattern: $0)) } }
        st.agents.active = ints(h).map { UInt8($0) }
        st.agents.hpMode = ints(h).map { Int8($0) }
        st.agents.evAway = ints(h).map { UInt8($0) }
        let warm = Int(ints(1).first ?? 0)
        st.agents.ti = doubles(h)
        st.agents.te = doubles(h)
        st.agents.evSoC = doubles(h)
        let w = doubles(warm)
        if let pf = st.flow { pf.warmState = w.isEmpty ? nil : w }
    }

    public func synchronize() { shareFeeders(agentWords, takeAgents) }
}

extension EnergyDomain {
    /// The feeder of a per-feeder checkpoint array (`f<k>_…`; nil: the grid-wide arrays, the same on every rank).
    static func feederOf(_ name: String) -> Int? {
        guard name.first == "f", let u = name.firstIndex(of: "_") else { return nil }
        return Int(name[name.index(after: name.startIndex)..<u])
    }

    /// The grid-wide arrays and this rank's feeders' arrays.
    public func checkpointPart() -> [NamedArray] {
        guard ranks != nil else { return checkpointState() }
        return checkpointState().filter { Self.feederOf($0.name).map { ownedFeeders.contains($0) } ?? true }
    }

    /// The grid-wide arrays of the first part and every part's feeders; then the usual restore (which refuses
    /// a feeder no part holds).
    public func restore(fromParts parts: [[NamedArray]]) throws {
        var merged = parts[0]
        for p in parts.dropFirst() { merged += p.filter { Self.feederOf($0.name) != nil } }
        try restore(from: merged)
    }
}
