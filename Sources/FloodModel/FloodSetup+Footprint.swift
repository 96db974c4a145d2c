import SimCore

extension FloodSetup {
    /// Throughput of the kernels per worker (cell-updates per second), measured on the project machine
    /// (docs/performance.md: ~130 M/s single, ~50 M/s double on city-sized grids; momentum advection halves it).
    static let cellUpdatesPerSecond = (single: 130e6, double: 50e6)

    /// The flood domain's footprint on an `nx × ny` grid. `depth` is the deepest water expected (the fixed-level
    /// cells at the start, or a metre of flood water): it sets the CFL step Δt = α √θ Δx / √(g h) of
    /// `FloodDomain.proposeStep`, capped by `maxStep` and the output interval.
    ///
    /// Arrays per cell (R = 4 or 8 bytes): terrain, g n², depth, both face discharges and their raw values, the
    /// limiter, cumulative infiltration, maximum depth and speed (11 R), flags and arrival (5 B); the set-up the
    /// domain keeps (terrain, Manning, masks: 19 B) and its rain grids (8 B each); with advection two face
    /// velocities (2 R). Checkpoints hold depth, discharges, infiltration and maxima (6 R + 4 B per cell).
    public static func footprint(
        nx: Int, ny: Int, cellSize: Double, precision: Precision, parameters p: FloodParameters, rainGrids: Int,
        depth: Double, duration: SimDuration, outputInterval: SimDuration
    ) -> Footprint {
        let n = Double(nx) * Double(ny)
        let r: Double = precision == .single ? 4 : 8
        var f = Footprint()
        f.state = n * (11 * r + 5 + 19 + 8 * Double(rainGrids) + (rainGrids > 0 ? r : 0) + (p.advection ? 2 * r : 0))
        // building: the raster as read (Double? = 16 B), the heights and codes (16 B), set-up copies (24 B)
        f.building = n * 56
        f.snapshot = 4 * n
        f.finals = 4 * 4 * n
        f.diagnostics = 9
        f.checkpoint = n * (6 * r + 4) + 4096
        let h = max(depth, 0.01)
        let cfl = p.alpha * p.theta.squareRoot() * cellSize / (p.gravity * h).squareRoot()
        let dtMs = max(1, min(Double(p.maxStep.milliseconds), Double(outputInterval.milliseconds), (cfl * 1000)))
        f.ticks = Double(duration.milliseconds) / dtMs.rounded(.down)
        let rate =
            (precision == .single ? cellUpdatesPerSecond.single : cellUpdatesPerSecond.double)
            * (p.advection ? 0.5 : 1)
        f.seconds = f.ticks * n / rate
        f.parallelShare = 0.95
        return f
    }
}
