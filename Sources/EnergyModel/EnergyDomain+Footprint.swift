import SimCore

extension EnergyDomain {
    /// The energy domain's footprint: `gridBytes` is the size of the grid file (its JSON parse is the largest
    /// transient: ~25 B of objects per byte of text).
    ///
    /// Per household: the agents' struct-of-arrays fields (~30 values, 240 B); per building ~120 B (and ~1 KB
    /// while its table row is read); per bus and branch ~600 B for the per-unit model, the feeder's admittance
    /// matrix and its KLU factors. Compute each energy step: ~0.13 µs per bus and (0.022 + 0.09 × EV share) µs per
    /// household (Monaco: 4,613 buses and 39,719 households in 2.2 ms per step at 20 % EVs, docs/performance.md).
    public static func footprint(
        buildings: Int, dwellings: Int, buses: Int, branches: Int, trafos: Int, gridBytes: Int, evShare: Double,
        duration: SimDuration, step: SimDuration
    ) -> Footprint {
        let b = Double(buildings)
        let d = Double(dwellings)
        let n = Double(buses + branches)
        var f = Footprint()
        f.state = d * 240 + b * 120 + n * 600
        f.building = Double(gridBytes) * 25 + b * 1000
        // per output: bus voltages, transformer and line loadings (branches), building demand and supply
        f.snapshot = 4 * (Double(buses) + Double(branches) + 2 * b)
        // unserved energy and positions of buildings, positions of buses, transformers and line ends
        f.finals = b * 8 * 3 + n * 40 + 4096
        f.diagnostics = 9
        f.checkpoint = d * 80 + b * 40 + n * 16 + 4096
        f.ticks = Double(duration.milliseconds) / Double(max(1, step.milliseconds))
        f.seconds = f.ticks * (Double(buses) * 0.13e-6 + d * (0.022e-6 + 0.09e-6 * evShare))
        f.parallelShare = 0.8
        // set-up: parsing the grid's JSON (~250 ns per byte), building feeders, solvers and agents
        f.setupSeconds = Double(gridBytes) * 250e-9 + b * 5e-6 + n * 20e-6
        return f
    }
}
