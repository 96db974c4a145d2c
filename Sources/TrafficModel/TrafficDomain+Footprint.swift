import SimCore

#if canImport(Glibc)
    import Glibc
#endif

extension TrafficDomain {
    /// The traffic domain's footprint: `routeEntries` links over all routes (after demand scaling).
    ///
    /// Per link: the network's attributes and id (112 B), the queue model's counters, flow accumulators and
    /// link ring (initially 8 slots of 24 B: ~300 B); per node ~90 B; per vehicle: id, departure, route start in
    /// the plans and entry/arrival times, cursors and work lists in the domain (~70 B), plus 8 B per route link
    /// (plans and the domain's route sequence). Re-planning days (`iterations` > 1) keep a second set of plans and
    /// the travel-time profile (12 B per link and 15-min bin). Compute: ~250 ns per vehicle-link event and a
    /// Dijkstra over the links (~2 ns per link·log₂ links) per re-routed vehicle, both measured on Monaco and the
    /// SUMO grids (docs/performance.md); a simulated day also costs ~20 µs of dispatch per tick.
    public static func footprint(
        nodes: Int, links: Int, vehicles: Int, routeEntries: Int, gaps: Int, duration: SimDuration,
        tick: SimDuration, iterations: Int, rerouteShare: Double
    ) -> Footprint {
        let l = Double(links)
        let v = Double(vehicles)
        let e = Double(routeEntries)
        var f = Footprint()
        let bins = (Double(duration.milliseconds) / 900_000).rounded(.up)
        f.state = l * 410 + Double(nodes) * 90 + v * 70 + e * 8
        if iterations > 1 { f.state += v * 30 + e * 4 + l * bins * 12 * 2 }
        // building: the tables as text and their rows, the unscaled plans beside the scaled ones
        f.building = l * 300 + Double(nodes) * 120 + v * 60 + e * 4
        f.snapshot = 6 * 4 * l
        // per link: flows and end points, its attributes, its shape (about three points on a city network)
        f.finals = 7 * 4 * v + l * 100
        f.diagnostics = 3
        f.checkpoint = l * 80 + v * 24 + e * 0 + 4096
        f.ticks = Double(duration.milliseconds) / Double(max(1, tick.milliseconds))
        let days = Double(max(1, iterations))
        // a day: two parallel phases per tick (~20 µs of dispatch, whatever the workers) and the link events
        let day = f.ticks * 20e-6 + e * 250e-9
        let rerouted = Double(max(0, iterations - 1)) * min(1, rerouteShare) * v
        let search = rerouted * l * max(1, log2(max(l, 2))) * 2e-9
        f.seconds = days * day + search
        f.parallelShare = 0.2
        // set-up: the tables, and a fastest path for every `a > b` gap (~12 µs each: the search stops early)
        f.setupSeconds = Double(gaps) * 12e-6 + (l + Double(nodes) + v) * 2e-6
        return f
    }
}
