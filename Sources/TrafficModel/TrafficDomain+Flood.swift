import SimCore

/// Speed in standing water after Pregnolato, Ford, Wilkinson & Dawson (2017), "The impact of flooding on road
/// transport: a depth-disruption function", Transportation Research Part D 55: v(w) = 0.0009 w² − 0.5529 w +
/// 86.9448 km/h for a water depth w in mm (fitted up to 300 mm, where a road becomes impassable).
public enum FloodSpeed {
    /// km/h at a depth in metres (the curve itself: callers cap it at a link's free speed).
    public static func pregnolato(depth: Double) -> Double {
        let w = max(0, depth) * 1000
        return 0.0009 * w * w - 0.5529 * w + 86.9448
    }
}

// MARK: the flood → traffic coupling

extension TrafficDomain {
    /// Arrival mark of a cancelled trip (no open route within the longest wait).
    static let cancelledMark: Int64 = -2

    /// The water depth on every link: the maximum over the cells its shape passes through (when the domain
    /// responds to water), refreshed every `FloodResponse.interval`.
    var floodRequirement: [ExchangeField] {
        guard let f = floodResponse else { return [] }
        let shapes = network.linkShapes
        return [
            ExchangeField(
                "flood.water_depth", units: "m",
                site: .lines(ids: network.linkIDs, start: shapes.start, x: shapes.x, y: shapes.y), interval: f.interval)
        ]
    }

    /// New link depths: speed limits from the depth-disruption curve (capped at the free speed), links at or above
    /// the closing depth closed; vehicles already on a link keep their progress and cover the rest at the new speed
    /// (their exit times recomputed); when a closure changes, vehicles whose remaining route crosses a closed link
    /// are routed again on the current travel times.
    func receiveDepths(_ values: [Double]) {
        guard let f = floodResponse, values.count == network.linkCount else { return }
        let T = clockAfterTick
        var closureChanged = false
        for a in 0..<network.linkCount {
            let w = values[a]
            linkDepth[a] = w
            let shut: UInt8 = w >= f.closeDepth || editClosed[a] != 0 ? 1 : 0
            if shut != closed[a] {
                closed[a] = shut
                closedCount += shut == 1 ? 1 : -1
                closureChanged = true
            }
            let ms = traversalMs(a, depth: min(w, f.closeDepth))
            if ms != freeMs[a] { rescale(a, to: ms, at: T, water: true) }
        }
        if closureChanged { reroute(at: T) }
    }

    /// The traversal time of link a (ms) at a water depth: the dry one while the curve allows the free speed.
    func traversalMs(_ a: Int, depth w: Double) -> Int64 {
        // at or above the dry speed this is the dry time (a changed speed limit included)
        let v = FloodSpeed.pregnolato(depth: w) / 3.6
        return max(dryMs[a], Int64((network.length[a] / max(v, 0.01) * 1000).rounded(.up)))
    }

    /// Sets link a's traversal time to `ms`: vehicles still driving on it cover the rest of their way at the new
    /// speed (remaining time scaled, rounded up, so the queue stays in order); the end node wakes to see it. The
    /// time lost to the `water` counts as water delay.
    func rescale(_ a: Int, to ms: Int64, at T: Int64, water: Bool) {
        let old = freeMs[a]
        freeMs[a] = ms
        var i = qHead[a]
        var head = Int64.max
        while i < qTail[a] {
            let k = Int(i & qMask[a])
            let exit = rings[a][k].exit
            if exit > T {
                let new = T + ((exit - T) * ms + old - 1) / old
                if water { waterDelayMs += new - exit }
                rings[a][k].exit = new
            }
            if i == qHead[a] { head = rings[a][k].exit }
            i += 1
        }
        let v = Int(network.to[a])
        if head != Int64.max {
            nodeWake[v] = min(nodeWake[v], max(head, T))
            if !nodeActive[v] {
                nodeActive[v] = true
                parts[Int(partOfNode[v])].active.append(Int32(v))
            }
        }
    }

    /// Routes again, on the current travel times and avoiding closed links, every vehicle whose remaining route
    /// crosses a closed link: those on a link from the end of it, those due but not yet on the network from their
    /// first link (vehicles departing later are checked when they depart: `rerouteDepartures`). Vehicles are taken
    /// in index order; a vehicle without an open route keeps its route and waits.
    func reroute(at T: Int64) {
        let cost = floodCosts()
        // where each vehicle on the network is: its link, ring slot and cursor
        var place = [(link: Int32, slot: Int32)](repeating: (-1, -1), count: plans.count)
        for a in 0..<network.linkCount {
            var i = qHead[a]
            while i < qTail[a] {
                let k = Int(i & qMask[a])
                place[Int(rings[a][k].vehicle)] = (Int32(a), Int32(k))
                i += 1
            }
        }
        var tree = ShortestPathTree(nodeCount: network.nodeCount)
        var seq = routeSeq.array
        for h in 0..<plans.count where vArrive[h] == -1 {
            if place[h].link >= 0 {
                let slot = Int(place[h].slot)
                let link = Int(place[h].link)
                if let start = routeAgain(h, cursor: Int(rings[link][slot].cursor), onLink: true, &seq, &tree, cost) {
                    rings[link][slot].cursor = start
                }
            } else if vStart[h] < 0 && plans.depart[h] <= T {
                if let start = routeAgain(h, cursor: Int(routeSeqStart[h]), onLink: false, &seq, &tree, cost) {
                    routeSeqStart[h] = start
                }
            }
        }
        if seq.count != routeSeq.count { routeSeq = FieldBuffer(seq) }
    }

    /// While any link is closed: the vehicles departing in this tick whose route crosses a closed link choose a
    /// route on the current travel times first (serially, before the partitions move them).
    func rerouteDepartures(at T: Int64) {
        guard closedCount > 0 else { return }
        var cost: [Double]?
        var tree: ShortestPathTree?
        var seq: [Int32] = []
        for p in parts {
            var k = p.depNext
            while k < p.departures.count, plans.depart[Int(p.departures[k])] <= T {
                let h = Int(p.departures[k])
                k += 1
                guard crossesClosed(from: Int(routeSeqStart[h]), routeSeq) else { continue }
                if cost == nil {
                    cost = floodCosts()
                    tree = ShortestPathTree(nodeCount: network.nodeCount)
                    seq = routeSeq.array
                }
                if let start = routeAgain(h, cursor: Int(routeSeqStart[h]), onLink: false, &seq, &tree!, cost!) {
                    routeSeqStart[h] = start
                }
            }
        }
        if cost != nil && seq.count != routeSeq.count { routeSeq = FieldBuffer(seq) }
    }

    /// Link costs for re-routing: current traversal times, closed links impassable.
    func floodCosts() -> [Double] {
        (0..<network.linkCount).map { closed[$0] != 0 ? .infinity : Double(freeMs[$0]) / 1000 }
    }

    func crossesClosed(from c: Int, _ seq: FieldBuffer<Int32>) -> Bool {
        var c = c
        while seq[c] >= 0 {
            if closed[Int(seq[c])] != 0 { return true }
            c += 1
        }
        return false
    }

    /// A new route for vehicle h if its remaining route (after the link at `cursor` when on it, else the whole
    /// route) crosses a closed link and an open one exists: appended to `seq`, returning where it starts.
    func routeAgain(
        _ h: Int, cursor: Int, onLink: Bool, _ seq: inout [Int32], _ tree: inout ShortestPathTree, _ cost: [Double]
    ) -> Int32? {
        var c = onLink ? cursor + 1 : cursor
        var crosses = false
        var last = Int32(-1)
        while seq[c] >= 0 {
            if closed[Int(seq[c])] != 0 { crosses = true }
            last = seq[c]
            c += 1
        }
        guard crosses, last >= 0 else { return nil }
        let from = seq[cursor]
        if !onLink && closed[Int(from)] != 0 { return nil }  // cannot even start: waits
        let found = cost.withUnsafeBufferPointer { tree.linkRoutes(network, from: from, to: [last], cost: $0) }
        guard let route = found[0], !route.contains(where: { closed[Int($0)] != 0 && $0 != from }) else {
            return nil
        }
        let start = Int32(seq.count)
        seq += route
        seq.append(-1)
        rerouted[h] = 1
        return start
    }

    /// The flood response's outputs (empty without one): the water depth and speed limit of every link.
    var floodSnapshots: [ArrayData] {
        guard floodResponse != nil else { return [] }
        let m = network.linkCount
        var depth = [Float](repeating: 0, count: m)
        var limit = depth
        for a in 0..<m {
            depth[a] = Float(linkDepth[a])
            limit[a] = closed[a] != 0 ? 0 : Float(network.length[a] / (Double(freeMs[a]) / 1000))
        }
        return [.float32(depth), .float32(limit)]
    }

    var floodSnapshotVariables: [Variable] {
        guard floodResponse != nil else { return [] }
        return [
            Variable(
                "link_depth", units: "m", longName: "water depth on the link (maximum over the cells it crosses)",
                dims: ["link"]),
            Variable(
                "link_speed_limit", units: "m s-1",
                longName: "speed in the water on the link (Pregnolato et al. 2017; 0: closed)", dims: ["link"]),
        ]
    }

    var floodKPIs: [KPI] {
        guard floodResponse != nil else { return [] }
        let delay = parts.reduce(waterDelayMs) { $0 + $1.waterDelayMs }
        let cancelled = (0..<plans.count).filter { vArrive[$0] == Self.cancelledMark }.count
        return [
            KPI("water_delay", Double(delay) / 3_600_000, "h"),
            KPI("trips_rerouted", Double(rerouted.reduce(0) { $0 + Int($1) }), "1"),
            KPI("trips_cancelled", Double(cancelled), "1"),
            KPI("link_hours_closed", Double(closedLinkMs) / 3_600_000, "h"),
        ]
    }

    var floodState: [NamedArray] {
        guard floodResponse != nil else { return [] }
        return [
            NamedArray("link_depth", .float64(linkDepth)),
            NamedArray("flood_counters", .int64([waterDelayMs + parts.reduce(0) { $0 + $1.waterDelayMs }])),
        ]
    }

    func restoreFlood(from state: [NamedArray]) throws {
        guard floodResponse != nil else { return }
        guard case .float64(let ld)? = state.first(where: { $0.name == "link_depth" })?.data,
            ld.count == network.linkCount,
            case .int64(let c)? = state.first(where: { $0.name == "flood_counters" })?.data, c.count == 1
        else {
            throw RunError(
                "checkpoint traffic flood state is missing or inconsistent",
                hint: "it was written without the flood coupling, or by another version; start the run afresh")
        }
        linkDepth = ld
        waterDelayMs = c[0]
        for p in parts { p.waterDelayMs = 0 }
    }
}
