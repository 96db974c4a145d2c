import SimCore

/// Mean link travel times by the time vehicles entered the link, measured in a simulated day (the
/// time-dependent costs that re-routing between iterations uses). Bins without observations hold the free-flow
/// time.
public struct TravelTimeProfile: Sendable {
    public var binMs: Int64
    public var bins: Int
    /// Seconds, link-major: `seconds[a * bins + b]`.
    public var seconds: [Double]
    public init(binMs: Int64, bins: Int, seconds: [Double]) {
        self.binMs = binMs
        self.bins = bins
        self.seconds = seconds
    }

    @inline(__always) public func time(_ a: Int, at t: Double) -> Double {
        let b = min(max(Int(t / Double(binMs)), 0), bins - 1)
        return seconds[a * bins + b]
    }
}

extension ShortestPathTree {
    /// Time-dependent Dijkstra: earliest arrival (ms) at `target` leaving `origin` at `depart` when link a entered
    /// at time t takes `profile.time(a, at: t)` seconds (first-in first-out links make label setting exact).
    /// Fills `path` with the links; returns the arrival time, or nil if unreachable.
    public mutating func earliestArrival(
        _ net: RoadNetwork, from origin: Int, departAt depart: Double, to target: Int,
        profile: TravelTimeProfile, path: inout [Int32]
    ) -> Double? {
        path.removeAll(keepingCapacity: true)
        if origin == target { return depart }
        let cost: (Int, Double) -> Double = { a, t in 1000 * profile.time(a, at: t) }
        if net.hasTurnRestrictions {
            searchLinks(net, from: origin, start: depart, targets: [Int32(target)], cost: cost)
        } else {
            searchNodes(net, from: origin, start: depart, target: target, cost: cost)
        }
        guard dist[target].isFinite else { return nil }
        self.path(to: target, net, into: &path)
        return dist[target]
    }
}
