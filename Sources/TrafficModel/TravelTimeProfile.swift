import SimCore

/// Mean link travel times by the time vehicles entered the link, measured in a simulated day (the
/// time-dependent costs that re-routing between iterations uses). Bins without observations hold the free-flow
/// time.
public struct TravelTimeProfile: Sendable {
    public var binMs: Int64
    public var bins: Int
    /// Seconds, link-major: `seconds[a * bins + b]`.
    public var seconds: [Double]
    public init(binMs: Int64, bins: Int, seconds: [Double]) { self.binMs = binMs; self.bins = bins; self.seconds = seconds }

    @inline(__always) public func time(_ a: Int, at t: Double) -> Double {
        let b = min(max(Int(t / Double(binMs)), 0), bins - 1)
        return seconds[a * bins + b]
    }
}

extension ShortestPathTree {
    /// Time-dependent Dijkstra: earliest arrival (ms) at `target` leaving `origin` at `depart` when link a entered
    /// at time t takes `profile.time(a, at: t)` seconds (first-in first-out links make label setting exact).
    /// Fills `path` with the links; returns the arrival time, or nil if unreachable.
    public mutating func earliestArrival(_ net: RoadNetwork, from origin: Int, departAt depart: Double, to target: Int,
                                         profile: TravelTimeProfile, path: inout [Int32]) -> Double? {
        path.removeAll(keepingCapacity: true)
        if origin == target { return depart }
        if net.hasTurnRestrictions {
            searchLinks(net, from: origin, start: depart, targets: [Int32(target)]) { a, t in 1000 * profile.time(a, at: t) }
            guard dist[target].isFinite else { return nil }
            self.path(to: target, net, into: &path)
            return dist[target]
        }
        linkMode = false
        // reuse the static search with a cost that depends on the label: run a small label-setting loop here
        let n = dist.count
        if heapKey.count < n + 1 { heapKey = [Double](repeating: 0, count: n + 1); heapNode = [Int32](repeating: 0, count: n + 1) }
        for v in touched { dist[Int(v)] = .infinity; predLink[Int(v)] = -1; pos[Int(v)] = -1 }
        touched.removeAll(keepingCapacity: true)
        let zones = net.zonesAreThrough ? 0 : net.zoneCount
        var size = 0
        func place(_ i: Int, _ k: Double, _ v: Int32) { heapKey[i] = k; heapNode[i] = v; pos[Int(v)] = Int32(i) }
        func up(_ i0: Int, _ k: Double, _ v: Int32) {
            var i = i0
            while i > 0 { let p = (i - 1) >> 2; if heapKey[p] <= k { break }; place(i, heapKey[p], heapNode[p]); i = p }
            place(i, k, v)
        }
        func down(_ k: Double, _ v: Int32) {
            var i = 0
            while true {
                let c0 = 4 * i + 1
                if c0 >= size { break }
                var c = c0, ck = heapKey[c0]
                var j = c0 + 1
                while j < min(c0 + 4, size) { if heapKey[j] < ck { c = j; ck = heapKey[j] }; j += 1 }
                if ck >= k { break }
                place(i, ck, heapNode[c]); i = c
            }
            place(i, k, v)
        }
        dist[origin] = depart; touched.append(Int32(origin))
        place(0, depart, Int32(origin)); size = 1
        var found = false
        while size > 0 {
            let u = Int(heapNode[0])
            size -= 1
            if size > 0 { down(heapKey[size], heapNode[size]) }
            pos[u] = -2
            if u == target { found = true; break }
            if u < zones && u != origin { continue }
            let du = dist[u]
            for e in Int(net.outStart[u])..<Int(net.outStart[u + 1]) {
                let a = Int(net.outLinks[e]), v = Int(net.to[a])
                let pv = pos[v]
                if pv == -2 { continue }
                let nd = du + 1000 * profile.time(a, at: du)
                if nd < dist[v] {
                    if pv == -1 && dist[v] == .infinity { touched.append(Int32(v)) }
                    dist[v] = nd; predLink[v] = Int32(a)
                    if pv == -1 { size += 1; up(size - 1, nd, Int32(v)) } else { up(Int(pv), nd, Int32(v)) }
                }
            }
        }
        guard found else { return nil }
        self.path(to: target, net, into: &path)
        return dist[target]
    }
}
