import SimCore

/// Vehicles with fixed routes: vehicle i departs at `depart[i]` (ms since the start) onto the first link of its
/// route `routeLinks[routeStart[i] ..< routeStart[i + 1]]` and arrives when it leaves the last one.
public struct VehiclePlans: Sendable, Equatable {
    public var ids: [String]
    public var depart: [Int64]
    public var routeStart: [Int32]
    public var routeLinks: [Int32]

    public init(ids: [String], depart: [Int64], routeStart: [Int32], routeLinks: [Int32]) {
        self.ids = ids
        self.depart = depart
        self.routeStart = routeStart
        self.routeLinks = routeLinks
    }
    public init() { self.init(ids: [], depart: [], routeStart: [0], routeLinks: []) }

    public var count: Int { ids.count }

    /// The demand scaled by `factor`: every vehicle ⌊factor⌋ times, plus once more with probability
    /// factor − ⌊factor⌋; copies after the first depart uniformly within ±`jitter` of the original (never before
    /// 0). Draws come from Philox keyed by (seed, vehicle id, copy): the same on every machine, the same for a
    /// vehicle whatever else the table holds, and monotone (every vehicle kept at a factor is kept at a larger one).
    /// Copies are named `<id>#<k>`.
    public func scaled(by factor: Double, jitter: SimDuration, seed: UInt64) -> VehiclePlans {
        if factor == 1 && jitter.milliseconds == 0 { return self }
        return scaled(by: [Double](repeating: factor, count: count), jitter: jitter, seed: seed)
    }

    /// The demand scaled vehicle by vehicle (`factors[i]` for vehicle i; districts scaled apart), with the same
    /// keyed draws as a single factor: a vehicle is kept or copied the same way whatever the others' factors.
    public func scaled(by factors: [Double], jitter: SimDuration, seed: UInt64) -> VehiclePlans {
        precondition(factors.count == count)
        let rng = Philox4x64(seed: seed, stream: 0x6A69_7474)  // "jitt"
        var out = VehiclePlans()
        for i in 0..<count {
            let whole = Int(factors[i].rounded(.down))
            let frac = factors[i] - Double(whole)
            let key = StableKey.of(ids[i])
            let r = rng.block((key, 0xFFFF_FFFF, 0, 0))
            let copies = whole + (Philox4x64.unitDouble(r.0) < frac ? 1 : 0)
            for k in 0..<copies {
                var d = depart[i]
                if k > 0 && jitter.milliseconds > 0 {
                    let u = Philox4x64.unitDouble(rng.block((key, UInt64(k), 0, 0)).0)
                    d = max(0, d + Int64(((2 * u - 1) * Double(jitter.milliseconds)).rounded()))
                }
                out.append(id: k == 0 ? ids[i] : "\(ids[i])#\(k)", depart: d, route: Array(route(i)))
            }
        }
        return out
    }

    public mutating func append(id: String, depart: Int64, route: [Int32]) {
        ids.append(id)
        self.depart.append(depart)
        routeLinks.append(contentsOf: route)
        routeStart.append(Int32(routeLinks.count))
    }

    public func route(_ i: Int) -> ArraySlice<Int32> { routeLinks[Int(routeStart[i])..<Int(routeStart[i + 1])] }

    /// Problems: empty routes, links that do not exist or do not connect.
    public func validate(on net: RoadNetwork, origin: SourceLocation) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for i in 0..<count {
            let r = route(i)
            if r.isEmpty {
                out.append(Diagnostic(origin, code: "E-PLAN-001", message: "vehicle '\(ids[i])' has an empty route"))
            }
            var prev: Int32? = nil
            for a in r {
                guard a >= 0 && Int(a) < net.linkCount else {
                    out.append(
                        Diagnostic(
                            origin, code: "E-PLAN-002",
                            message: "vehicle '\(ids[i])' uses link index \(a), which does not exist"))
                    break
                }
                if let p = prev, net.to[Int(p)] != net.from[Int(a)] {
                    out.append(
                        Diagnostic(
                            origin, code: "E-PLAN-003",
                            message:
                                "vehicle '\(ids[i])': link '\(net.linkIDs[Int(a)])' does not start where '\(net.linkIDs[Int(p)])' ends",
                            hint: "routes must be connected link sequences"))
                    break
                }
                prev = a
            }
            if depart[i] < 0 {
                out.append(
                    Diagnostic(origin, code: "E-PLAN-004", message: "vehicle '\(ids[i])' departs before the start"))
            }
            if out.count > 50 { break }
        }
        return out
    }
}

/// Settings of the queue model.
public struct QueueParameters: Sendable, Equatable {
    /// The model's clock tick (vehicles move at tick boundaries).
    public var tick: SimDuration = .seconds(1)
    /// Road length one vehicle occupies in a standing queue, per lane (m).
    public var jamSpacing = 7.5
    /// A vehicle that could have left its link this long ago but is blocked by a full next link is moved anyway.
    public var stuckTime: SimDuration = .seconds(10)
    /// Scale of flow and storage capacities (for a sampled population, e.g. 0.1 for a 10 % sample).
    public var flowCapacityFactor = 1.0
    public var storageCapacityFactor = 1.0
    /// Time added to a vehicle's link traversal each time it crosses a junction onto another link (a simple
    /// stand-in for junction control: priority and signal losses; 0 = none, like SUMO meso without junction
    /// control).
    public var junctionDelay: SimDuration = .zero
    /// Seed of the junction priority draws.
    public var seed: UInt64 = 0
    /// When set, link travel times are also collected by entry-time bin over `profileHorizon` (for re-routing).
    public var profileBin: SimDuration? = nil
    public var profileHorizon: SimDuration = .zero
    /// How the network responds to standing water (the flood → traffic coupling); nil: it does not.
    public var flood: FloodResponse? = nil
    /// How signalised junctions behave without power (the energy → traffic coupling); nil: they always work.
    public var signals: SignalResponse? = nil
    /// Changes to links during the run (closures, lanes, speeds, capacities from a time on).
    public var timedEdits: [TimedLinkEdit] = []
    /// How long a vehicle waits for a link closed by an edit before its trip is cancelled (the flood response's
    /// `maxWait` when it has one).
    public var closureWait: SimDuration = .minutes(30)
    public init() {}
}

/// How links respond to the water on them: speeds after Pregnolato et al. (2017), closure at `closeDepth`, and how
/// long a vehicle without an open route waits before its trip is cancelled.
public struct FloodResponse: Sendable, Equatable {
    public var closeDepth = 0.3
    public var maxWait: SimDuration = .minutes(30)
    /// How often the link depths are refreshed from the flood domain.
    public var interval: SimDuration = .minutes(1)
    public init() {}
}

/// Signalised junctions without power work as all-way stops: every vehicle crossing one is delayed by `darkDelay`
/// (stopping and starting again) and the links into it discharge at `capacityFactor` of their capacity (movements
/// take turns instead of running in parallel). The defaults follow the Highway Capacity Manual's all-way-stop
/// control (HCM 6th ed., ch. 21: departure headways of roughly 4–7 s per vehicle where a signal's saturated lane
/// gives about 2 s, i.e. around half the throughput per approach, and a few seconds of stop-and-go per vehicle).
public struct SignalResponse: Sendable, Equatable {
    public var darkDelay: SimDuration = .seconds(5)
    public var capacityFactor = 0.5
    /// How often the supply at the signals is refreshed from the energy domain.
    public var interval: SimDuration = .minutes(1)
    public init() {}
}

extension VehiclePlans {
    /// These vehicles on the routes of a traffic checkpoint (`route_seq`, `route_seq_start`: each vehicle's route
    /// as planned, re-routes before departure included) — the plans a fork of that state runs.
    public func withRoutes(from state: [NamedArray]) throws -> VehiclePlans {
        guard case .int32(let seq)? = state.first(where: { $0.name == "route_seq" })?.data,
            case .int32(let start)? = state.first(where: { $0.name == "route_seq_start" })?.data,
            start.count == count
        else {
            throw RunError(
                "the saved state has no routes for these \(count) vehicles",
                hint: "fork from a state saved by this CityTwin with the same vehicles")
        }
        var out = VehiclePlans()
        for i in 0..<count {
            var c = Int(start[i])
            var route: [Int32] = []
            while c >= 0, c < seq.count, seq[c] >= 0 {
                route.append(seq[c])
                c += 1
            }
            out.append(id: ids[i], depart: depart[i], route: route)
        }
        return out
    }
}
