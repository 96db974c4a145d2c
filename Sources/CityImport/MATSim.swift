import Foundation
import SimCore
import TrafficModel

/// Readers for MATSim's network (network_v1/v2) and population (plans_v4 with node routes, v5/v6 with link
/// routes `type="links"`) XML, optionally gzip-compressed.
///
/// Capacities are per `capperiod` (e.g. "12:00" = vehicles per 12 h) and become vehicles per hour. Links whose
/// `modes` do not include car are left out. From each person's selected plan, every leg whose mode is a car mode
/// (`car`; `taxi` too by default — the shared Berlin copy relabelled car legs as taxi) becomes a vehicle departing
/// at the leg's `dep_time` (else the previous activity's `end_time`, else its start + `dur`). A node route runs from
/// the previous activity's link through the nodes to the next activity's link; a leg without a route is routed on
/// free-flow travel times (Dijkstra).
public enum MATSim {
    public struct Options: Sendable {
        public var carModes: Set<String> = ["car", "taxi"]
        /// Ignore the plans' routes and route every car leg on free-flow travel times.
        public var reroute = false
        public init() {}
    }

    public struct PlansSummary: Sendable {
        public var persons = 0, carLegs = 0, routedByUs = 0
        public var otherModes: [String: Int] = [:]
    }

    /// "HH:MM[:SS]" (hours may exceed 24) → seconds.
    static func time(_ s: String) -> Double? {
        let p = s.split(separator: ":")
        guard p.count == 2 || p.count == 3, let h = Double(p[0]), let m = Double(p[1]) else { return nil }
        let sec = p.count == 3 ? Double(p[2]) : 0
        guard let sec, h >= 0, m >= 0, sec >= 0 else { return nil }
        return h * 3600 + m * 60 + sec
    }

    public static func readNetwork(_ path: String) throws -> RoadNetwork {
        var ids: [String] = []
        var xs: [Double] = []
        var ys: [Double] = []
        var index: [String: Int32] = [:]
        var capPeriod = 3600.0
        var lid: [String] = []
        var from: [Int32] = []
        var to: [Int32] = []
        var len: [Double] = []
        var spd: [Double] = []
        var cap: [Double] = []
        var lanes: [Double] = []
        try XMLEvents.parse(try readMaybeGzip(path), file: path) { name, a, line in
            let loc = SourceLocation(file: path, line: line)
            switch name {
            case "node":
                guard let id = a["id"], let x = a["x"].flatMap(Double.init), let y = a["y"].flatMap(Double.init) else {
                    throw InputError(loc, code: "E-MATSIM-001", message: "a <node> needs id and numeric x, y")
                }
                if index[id] != nil {
                    throw InputError(loc, code: "E-MATSIM-002", message: "node id '\(id)' appears twice")
                }
                index[id] = Int32(ids.count)
                ids.append(id)
                xs.append(x)
                ys.append(y)
            case "links":
                if let cp = a["capperiod"] {
                    guard let t = time(cp), t > 0 else {
                        throw InputError(
                            loc, code: "E-MATSIM-003", message: "capperiod=\"\(cp)\" is not a duration hh:mm[:ss]")
                    }
                    capPeriod = t
                }
            case "link":
                guard let id = a["id"], let f = a["from"], let t = a["to"] else {
                    throw InputError(loc, code: "E-MATSIM-004", message: "a <link> needs id, from and to")
                }
                if let modes = a["modes"],
                    !modes.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }).contains("car")
                {
                    return
                }
                guard let fi = index[f], let ti = index[t] else {
                    let unknown = index[f] == nil ? f : t
                    throw InputError(
                        loc, code: "E-MATSIM-005",
                        message: "link '\(id)' refers to node '\(unknown)', which is not defined before it",
                        hint: DidYouMean.suggest(unknown, from: Array(ids.prefix(200_000))).map {
                            "did you mean '\($0)'?"
                        })
                }
                guard let l = a["length"].flatMap(Double.init), let v = a["freespeed"].flatMap(Double.init),
                    let c = a["capacity"].flatMap(Double.init), l > 0, v > 0, c > 0
                else {
                    throw InputError(
                        loc, code: "E-MATSIM-006", message: "link '\(id)' needs positive length, freespeed and capacity"
                    )
                }
                lid.append(id)
                from.append(fi)
                to.append(ti)
                len.append(l)
                spd.append(v)
                cap.append(c * 3600 / capPeriod)
                lanes.append(max(1, a["permlanes"].flatMap(Double.init) ?? 1))
            default: break
            }
        }
        if lid.isEmpty {
            throw InputError(
                SourceLocation(file: path), code: "E-MATSIM-007", message: "no car links",
                hint: "is this a MATSim network file?")
        }
        let m = lid.count
        return RoadNetwork(
            nodeIDs: ids, nodeX: xs, nodeY: ys, zoneCount: 0, zonesAreThrough: true, linkIDs: lid, from: from, to: to,
            length: len, lanes: lanes, freeSpeed: spd, capacity: cap, freeFlowTime: (0..<m).map { len[$0] / spd[$0] },
            bprAlpha: [Double](repeating: 0.15, count: m), bprBeta: [Double](repeating: 4, count: m),
            fixedCost: [Double](repeating: 0, count: m))
    }

    public static func readPlans(_ path: String, network net: RoadNetwork, options: Options = Options()) throws -> (
        VehiclePlans, PlansSummary
    ) {
        var linkIndex: [String: Int32] = [:]
        var nodeIndex: [String: Int32] = [:]
        for (i, id) in net.linkIDs.enumerated() { linkIndex[id] = Int32(i) }
        for (i, id) in net.nodeIDs.enumerated() { nodeIndex[id] = Int32(i) }
        // node pair → fastest link between them
        var pairLink: [Int64: Int32] = [:]
        for a in 0..<net.linkCount {
            let key = Int64(net.from[a]) << 32 | Int64(net.to[a])
            if let b = pairLink[key], net.freeFlowTime[Int(b)] <= net.freeFlowTime[a] { continue }
            pairLink[key] = Int32(a)
        }
        var plans = VehiclePlans()
        var summary = PlansSummary()
        var tree = ShortestPathTree(nodeCount: net.nodeCount)
        var person = ""
        var planIndex = 0
        var active = false
        var legNo = 0
        struct Act {
            var link: Int32?
            var end: Double?
            var line: Int
        }
        struct Leg {
            var mode: String
            var dep: Double?
            var route: String?
            var routeType: String?
            var line: Int
        }
        var prevAct: Act? = nil
        var pending: Leg? = nil
        var routeAttrs: [String: String] = [:]

        func finish(_ leg: Leg, endLink: Int32?, _ line: Int) throws {
            guard options.carModes.contains(leg.mode) else {
                summary.otherModes[leg.mode, default: 0] += 1
                return
            }
            let loc = SourceLocation(file: path, line: leg.line)
            guard let start = prevAct?.link, let end = endLink else {
                throw InputError(
                    loc, code: "E-MATSIM-010",
                    message: "person '\(person)': a car leg needs activities with links before and after it")
            }
            guard let dep = leg.dep ?? prevAct?.end else {
                throw InputError(
                    loc, code: "E-MATSIM-011",
                    message:
                        "person '\(person)': cannot tell when the leg departs (no dep_time, no end_time or dur before it)"
                )
            }
            var route: [Int32] = []
            let tokens =
                options.reroute
                ? [] : (leg.route ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" })
            if leg.routeType == "links" && !options.reroute {
                for t in tokens {
                    guard let a = linkIndex[String(t)] else {
                        throw InputError(
                            loc, code: "E-MATSIM-012",
                            message: "person '\(person)': route link '\(t)' is not in the network")
                    }
                    route.append(a)
                }
            } else if !tokens.isEmpty {
                route.append(start)
                var prevNode: Int32? = nil
                for t in tokens {
                    guard let n = nodeIndex[String(t)] else {
                        throw InputError(
                            loc, code: "E-MATSIM-013",
                            message: "person '\(person)': route node '\(t)' is not in the network")
                    }
                    if let p = prevNode {
                        guard let a = pairLink[Int64(p) << 32 | Int64(n)] else {
                            throw InputError(
                                loc, code: "E-MATSIM-014",
                                message: "person '\(person)': no link from node '\(net.nodeIDs[Int(p)])' to '\(t)'")
                        }
                        route.append(a)
                    }
                    prevNode = n
                }
                route.append(end)
            } else if start == end {
                route = [start]
            } else {
                // no route: shortest free-flow path from the end of the start link to the start of the end link
                let o = Int(net.to[Int(start)])
                let d = Int(net.from[Int(end)])
                var mid: [Int32] = []
                if o != d {
                    net.freeFlowTime.withUnsafeBufferPointer { tree.search(net, from: o, cost: $0) }
                    guard tree.dist[d].isFinite else {
                        throw InputError(
                            loc, code: "E-MATSIM-015",
                            message:
                                "person '\(person)': no path from link '\(net.linkIDs[Int(start)])' to '\(net.linkIDs[Int(end)])'"
                        )
                    }
                    tree.path(to: d, net, into: &mid)
                }
                route = [start] + mid + [end]
                summary.routedByUs += 1
            }
            for k in 1..<max(route.count, 1) where net.to[Int(route[k - 1])] != net.from[Int(route[k])] {
                throw InputError(
                    loc, code: "E-MATSIM-016",
                    message: "person '\(person)': route is not connected at link '\(net.linkIDs[Int(route[k])])'")
            }
            plans.append(id: "\(person)_\(legNo)", depart: Int64((dep * 1000).rounded()), route: route)
            summary.carLegs += 1
        }

        try XMLEvents.parse(
            try readMaybeGzip(path), file: path, textOf: ["route"],
            text: { _, text, _ in
                if active, pending != nil {
                    pending!.route = text
                    pending!.routeType = routeAttrs["type"]
                }
            }
        ) { name, a, line in
            let loc = SourceLocation(file: path, line: line)
            switch name {
            case "person":
                if let p = pending {
                    try finish(p, endLink: nil, line)
                    pending = nil
                }
                guard let id = a["id"] else {
                    throw InputError(loc, code: "E-MATSIM-020", message: "a <person> needs an id")
                }
                person = id
                planIndex = -1
                active = false
                prevAct = nil
                legNo = 0
                summary.persons += 1
            case "plan":
                planIndex += 1
                let sel = a["selected"]
                active = sel == "yes" || (sel == nil && planIndex == 0)
                if active {
                    prevAct = nil
                    pending = nil
                    legNo = 0
                }
            case "act", "activity":
                guard active else { return }
                let link = try a["link"].map { l -> Int32 in
                    guard let i = linkIndex[l] else {
                        throw InputError(
                            loc, code: "E-MATSIM-021",
                            message: "person '\(person)': activity link '\(l)' is not in the network")
                    }
                    return i
                }
                if let p = pending {
                    try finish(p, endLink: link, line)
                    pending = nil
                    legNo += 1
                }
                var end = a["end_time"].flatMap(time)
                if end == nil, let st = a["start_time"].flatMap(time), let d = a["dur"].flatMap(time) { end = st + d }
                prevAct = Act(link: link, end: end, line: line)
            case "leg":
                guard active else { return }
                pending = Leg(
                    mode: a["mode"] ?? "car", dep: a["dep_time"].flatMap(time), route: nil, routeType: nil, line: line)
            case "route":
                routeAttrs = a
            default: break
            }
        }
        return (plans, summary)
    }
}
