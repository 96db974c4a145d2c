import Foundation
import SimCore
import TrafficModel

/// Readers for Eclipse SUMO's formats: plain XML nodes/edges (netconvert `--plain-output`), the full network
/// (`.net.xml`) and route files (`<vehicle>` with a `<route edges="…">` or a reference to a top-level `<route>`).
/// Files may be gzip-compressed. SUMO has no link capacity (its flow comes from headways); we give every lane
/// `capacityPerLane` vehicles per hour.
public enum SUMO {
    public struct Options: Sendable {
        public var capacityPerLane = 1800.0
        public var bprAlpha = 0.15, bprBeta = 4.0
        public init(capacityPerLane: Double = 1800) { self.capacityPerLane = capacityPerLane }
    }

    struct Builder {
        var nodeIDs: [String] = [], xs: [Double] = [], ys: [Double] = []
        var nodeIndex: [String: Int32] = [:]
        var linkIDs: [String] = [], from: [Int32] = [], to: [Int32] = [], len: [Double] = [], lanes: [Double] = [],
            speed: [Double] = []

        mutating func node(_ id: String, _ x: Double, _ y: Double) -> Bool {
            if nodeIndex[id] != nil { return false }
            nodeIndex[id] = Int32(nodeIDs.count)
            nodeIDs.append(id)
            xs.append(x)
            ys.append(y)
            return true
        }

        func network(_ o: Options) -> RoadNetwork {
            let m = linkIDs.count
            return RoadNetwork(
                nodeIDs: nodeIDs, nodeX: xs, nodeY: ys, zoneCount: 0, zonesAreThrough: true, linkIDs: linkIDs,
                from: from, to: to, length: len, lanes: lanes, freeSpeed: speed,
                capacity: lanes.map { $0 * o.capacityPerLane }, freeFlowTime: (0..<m).map { len[$0] / speed[$0] },
                bprAlpha: [Double](repeating: o.bprAlpha, count: m), bprBeta: [Double](repeating: o.bprBeta, count: m),
                fixedCost: [Double](repeating: 0, count: m))
        }
    }

    static func number(_ a: [String: String], _ key: String, _ file: String, _ line: Int, _ what: String) throws
        -> Double?
    {
        guard let s = a[key] else { return nil }
        guard let v = Double(s), v.isFinite else {
            throw InputError(
                SourceLocation(file: file, line: line), code: "E-SUMO-002",
                message: "\(what): \(key)=\"\(s)\" is not a number")
        }
        return v
    }

    /// Turns from the connections (`<connection from to>`): an edge with any connection listed may only turn into
    /// the edges it is connected to; the others become banned turns.
    static func applyConnections(_ pairs: [(String, String)], to net: inout RoadNetwork) {
        var index: [String: Int32] = [:]
        for (i, id) in net.linkIDs.enumerated() { index[id] = Int32(i) }
        var allowed: [Int32: Set<Int32>] = [:]
        for (f, t) in pairs { if let a = index[f], let b = index[t] { allowed[a, default: []].insert(b) } }
        var banned: [(from: Int32, to: Int32)] = []
        for (a, ok) in allowed.sorted(by: { $0.key < $1.key }) {
            let v = Int(net.to[Int(a)])
            for e in Int(net.outStart[v])..<Int(net.outStart[v + 1]) where !ok.contains(net.outLinks[e]) {
                banned.append((a, net.outLinks[e]))
            }
        }
        net.setBannedTurns(banned)
    }

    /// Plain nodes + edges (+ connections, for turn restrictions). Edge length: the `length` attribute, else the
    /// distance between its nodes.
    public static func readPlain(nodes: String, edges: String, connections: String? = nil, options: Options = Options())
        throws -> RoadNetwork
    {
        var b = Builder()
        try XMLEvents.parse(try readMaybeGzip(nodes), file: nodes) { name, a, line in
            guard name == "node" else { return }
            guard let id = a["id"], let x = try number(a, "x", nodes, line, "node"),
                let y = try number(a, "y", nodes, line, "node '\(a["id"] ?? "?")'")
            else {
                throw InputError(
                    SourceLocation(file: nodes, line: line), code: "E-SUMO-001", message: "a <node> needs id, x and y")
            }
            if !b.node(id, x, y) {
                throw InputError(
                    SourceLocation(file: nodes, line: line), code: "E-SUMO-003",
                    message: "node id '\(id)' appears twice")
            }
        }
        if b.nodeIDs.isEmpty {
            throw InputError(
                SourceLocation(file: nodes), code: "E-SUMO-004", message: "no <node> elements",
                hint: "is this a SUMO plain nodes file (.nod.xml)?")
        }
        try XMLEvents.parse(try readMaybeGzip(edges), file: edges) { name, a, line in
            guard name == "edge" else { return }
            let loc = SourceLocation(file: edges, line: line)
            guard let id = a["id"], let f = a["from"], let t = a["to"] else {
                throw InputError(loc, code: "E-SUMO-005", message: "an <edge> needs id, from and to")
            }
            guard let fi = b.nodeIndex[f], let ti = b.nodeIndex[t] else {
                let unknown = b.nodeIndex[f] == nil ? f : t
                throw InputError(
                    loc, code: "E-SUMO-006",
                    message: "edge '\(id)' refers to node '\(unknown)', which the nodes file does not have",
                    hint: DidYouMean.suggest(unknown, from: Array(b.nodeIDs.prefix(200_000))).map {
                        "did you mean '\($0)'?"
                    })
            }
            let lanes = try number(a, "numLanes", edges, line, "edge '\(id)'") ?? 1
            let speed = try number(a, "speed", edges, line, "edge '\(id)'") ?? 13.89
            let length =
                try number(a, "length", edges, line, "edge '\(id)'")
                ?? hypot(b.xs[Int(ti)] - b.xs[Int(fi)], b.ys[Int(ti)] - b.ys[Int(fi)])
            guard lanes >= 1, speed > 0, length > 0 else {
                throw InputError(
                    loc, code: "E-SUMO-007",
                    message: "edge '\(id)' needs numLanes >= 1, speed > 0 and a positive length")
            }
            b.linkIDs.append(id)
            b.from.append(fi)
            b.to.append(ti)
            b.len.append(length)
            b.lanes.append(lanes)
            b.speed.append(speed)
        }
        var net = b.network(options)
        if let c = connections {
            var pairs: [(String, String)] = []
            try XMLEvents.parse(try readMaybeGzip(c), file: c) { name, a, _ in
                if name == "connection", let f = a["from"], let t = a["to"] { pairs.append((f, t)) }
            }
            applyConnections(pairs, to: &net)
        }
        return net
    }

    /// A full `.net.xml`: junctions and normal edges; lanes that passenger cars may not use are not counted, and
    /// edges without any are left out. Length and speed are those of the edge's first car lane.
    public static func readNet(_ path: String, options: Options = Options()) throws -> RoadNetwork {
        var b = Builder()
        var pendingEdges: [(id: String, from: String, to: String, line: Int)] = []
        var connections: [(String, String)] = []
        var laneInfo: [(lanes: Double, length: Double, speed: Double)] = []
        var inEdge = false
        try XMLEvents.parse(try readMaybeGzip(path), file: path) { name, a, line in
            switch name {
            case "junction":
                inEdge = false
                guard let id = a["id"], !id.hasPrefix(":") else { return }
                guard let x = try number(a, "x", path, line, "junction '\(id)'"),
                    let y = try number(a, "y", path, line, "junction '\(id)'")
                else {
                    throw InputError(
                        SourceLocation(file: path, line: line), code: "E-SUMO-001",
                        message: "junction '\(id)' needs x and y")
                }
                _ = b.node(id, x, y)
            case "edge":
                inEdge = false
                if let fn = a["function"], fn != "normal" { return }
                guard let id = a["id"], let f = a["from"], let t = a["to"] else {
                    throw InputError(
                        SourceLocation(file: path, line: line), code: "E-SUMO-005",
                        message: "an <edge> needs id, from and to")
                }
                pendingEdges.append((id, f, t, line))
                laneInfo.append((0, 0, 0))
                inEdge = true
            case "lane":
                guard inEdge else { return }
                let allow = a["allow"]
                let disallow = a["disallow"] ?? ""
                let carsAllowed =
                    (allow == nil || allow!.split(separator: " ").contains("passenger"))
                    && !disallow.split(separator: " ").contains("passenger") && disallow != "all"
                guard carsAllowed else { return }
                let len = try number(a, "length", path, line, "lane '\(a["id"] ?? "?")'") ?? 0
                let sp = try number(a, "speed", path, line, "lane '\(a["id"] ?? "?")'") ?? 0
                var li = laneInfo[laneInfo.count - 1]
                if li.lanes == 0 {
                    li.length = len
                    li.speed = sp
                }
                li.lanes += 1
                laneInfo[laneInfo.count - 1] = li
            case "connection":
                inEdge = false
                if let f = a["from"], let t = a["to"], !f.hasPrefix(":") { connections.append((f, t)) }
            default:
                if name != "param" && name != "neigh" && name != "stopOffset" { inEdge = false }
            }
        }
        for (k, e) in pendingEdges.enumerated() where laneInfo[k].lanes > 0 {
            guard let fi = b.nodeIndex[e.from], let ti = b.nodeIndex[e.to] else {
                throw InputError(
                    SourceLocation(file: path, line: e.line), code: "E-SUMO-006",
                    message: "edge '\(e.id)' refers to a junction that the file does not have")
            }
            let li = laneInfo[k]
            guard li.length > 0, li.speed > 0 else {
                throw InputError(
                    SourceLocation(file: path, line: e.line), code: "E-SUMO-007",
                    message: "edge '\(e.id)' has a lane without positive length and speed")
            }
            b.linkIDs.append(e.id)
            b.from.append(fi)
            b.to.append(ti)
            b.len.append(li.length)
            b.lanes.append(li.lanes)
            b.speed.append(li.speed)
        }
        if b.linkIDs.isEmpty {
            throw InputError(
                SourceLocation(file: path), code: "E-SUMO-008", message: "no drivable edges",
                hint: "is this a SUMO network (.net.xml)?")
        }
        var net = b.network(options)
        applyConnections(connections, to: &net)
        return net
    }

    /// Vehicles with routes (each a connected sequence of the network's links), and trips (`<trip from to depart>`),
    /// which we route on free-flow travel times (respecting the network's turn restrictions).
    public static func readRoutes(_ path: String, network net: RoadNetwork) throws -> VehiclePlans {
        var linkIndex: [String: Int32] = [:]
        for (i, id) in net.linkIDs.enumerated() { linkIndex[id] = Int32(i) }
        var named: [String: [Int32]] = [:]
        var plans = VehiclePlans()
        var current: (id: String, depart: Int64, line: Int, route: [Int32]?)? = nil
        var seen = Set<String>()
        var trips: [(id: String, depart: Int64, from: Int32, to: Int32, line: Int)] = []
        func edges(_ s: String, _ line: Int, _ who: String, connected: Bool = true) throws -> [Int32] {
            var r: [Int32] = []
            for e in s.split(separator: " ") {
                guard let a = linkIndex[String(e)] else {
                    throw InputError(
                        SourceLocation(file: path, line: line), code: "E-SUMO-011",
                        message: "\(who) uses edge '\(e)', which the network does not have",
                        hint: DidYouMean.suggest(String(e), from: Array(net.linkIDs.prefix(200_000))).map {
                            "did you mean '\($0)'?"
                        } ?? "routes must belong to this network")
                }
                if connected, let p = r.last, net.to[Int(p)] != net.from[Int(a)] {
                    throw InputError(
                        SourceLocation(file: path, line: line), code: "E-SUMO-012",
                        message: "\(who): edge '\(e)' does not start where '\(net.linkIDs[Int(p)])' ends",
                        hint: "the route is not connected in this network")
                }
                r.append(a)
            }
            if r.isEmpty {
                throw InputError(
                    SourceLocation(file: path, line: line), code: "E-SUMO-013", message: "\(who) has an empty route")
            }
            return r
        }
        func flush() throws {
            guard let c = current else { return }
            guard let r = c.route else {
                throw InputError(
                    SourceLocation(file: path, line: c.line), code: "E-SUMO-014",
                    message: "vehicle '\(c.id)' has no route",
                    hint: "give it a <route edges=\"…\"/> child or route=\"ID\"")
            }
            plans.append(id: c.id, depart: c.depart, route: r)
            current = nil
        }
        try XMLEvents.parse(try readMaybeGzip(path), file: path) { name, a, line in
            switch name {
            case "vehicle":
                try flush()
                guard let id = a["id"] else {
                    throw InputError(
                        SourceLocation(file: path, line: line), code: "E-SUMO-015", message: "a <vehicle> needs an id")
                }
                if !seen.insert(id).inserted {
                    throw InputError(
                        SourceLocation(file: path, line: line), code: "E-SUMO-016",
                        message: "vehicle id '\(id)' appears twice")
                }
                guard let ds = a["depart"], let d = Double(ds), d >= 0, d.isFinite else {
                    throw InputError(
                        SourceLocation(file: path, line: line), code: "E-SUMO-017",
                        message: "vehicle '\(id)': depart=\"\(a["depart"] ?? "")\" is not a time in seconds >= 0",
                        hint: "only numeric departure times are supported (not 'triggered' or 'now')")
                }
                var r: [Int32]? = nil
                if let ref = a["route"] {
                    guard let nr = named[ref] else {
                        throw InputError(
                            SourceLocation(file: path, line: line), code: "E-SUMO-018",
                            message: "vehicle '\(id)' refers to route '\(ref)', which is not defined before it")
                    }
                    r = nr
                }
                current = (id, Int64((d * 1000).rounded()), line, r)
            case "route":
                guard let e = a["edges"] else {
                    throw InputError(
                        SourceLocation(file: path, line: line), code: "E-SUMO-019", message: "a <route> needs edges")
                }
                if current != nil && current!.route == nil {
                    current!.route = try edges(e, line, "vehicle '\(current!.id)'")
                } else if let rid = a["id"] {
                    try flush()
                    named[rid] = try edges(e, line, "route '\(rid)'")
                }
            case "trip":
                try flush()
                guard let id = a["id"], let f = a["from"], let t = a["to"] else {
                    throw InputError(
                        SourceLocation(file: path, line: line), code: "E-SUMO-021",
                        message: "a <trip> needs id, from and to edges",
                        hint: "trips between junctions (fromJunction/toJunction) or taz are not supported")
                }
                if !seen.insert(id).inserted {
                    throw InputError(
                        SourceLocation(file: path, line: line), code: "E-SUMO-016",
                        message: "vehicle id '\(id)' appears twice")
                }
                if a["via"] != nil {
                    throw InputError(
                        SourceLocation(file: path, line: line), code: "E-SUMO-022",
                        message: "trip '\(id)': 'via' is not supported")
                }
                guard let ds = a["depart"], let dep = Double(ds), dep >= 0, dep.isFinite else {
                    throw InputError(
                        SourceLocation(file: path, line: line), code: "E-SUMO-017",
                        message: "trip '\(id)': depart=\"\(a["depart"] ?? "")\" is not a time in seconds >= 0")
                }
                let r = try edges(f + " " + t, line, "trip '\(id)'", connected: false)
                trips.append((id, Int64((dep * 1000).rounded()), r[0], r[1], line))
            case "flow", "person", "personFlow", "routeDistribution":
                throw InputError(
                    SourceLocation(file: path, line: line), code: "E-SUMO-020",
                    message: "<\(name)> elements are not supported",
                    hint:
                        "give vehicles explicit routes (e.g. route them with duarouter), or use a population with our router"
                )
            default: break
            }
        }
        try flush()
        if trips.isEmpty { return plans }
        // route the trips link to link (every turn checked), one search per departure edge
        var byFrom: [Int32: [Int]] = [:]
        for (k, t) in trips.enumerated() { byFrom[t.from, default: []].append(k) }
        var routes = [[Int32]](repeating: [], count: trips.count)
        var tree = ShortestPathTree(nodeCount: net.nodeCount)
        for (f, ks) in byFrom.sorted(by: { $0.key < $1.key }) {
            let found = net.freeFlowTime.withUnsafeBufferPointer {
                tree.routes(net, fromLink: f, to: ks.map { trips[$0].to }, cost: $0)
            }
            for (i, k) in ks.enumerated() {
                let t = trips[k]
                if t.from == t.to {
                    routes[k] = [t.from]
                    continue
                }
                guard let mid = found[i] else {
                    throw InputError(
                        SourceLocation(file: path, line: t.line), code: "E-SUMO-023",
                        message:
                            "trip '\(t.id)': no path from edge '\(net.linkIDs[Int(t.from)])' to '\(net.linkIDs[Int(t.to)])'"
                    )
                }
                routes[k] = [t.from] + mid + [t.to]
            }
        }
        for (k, t) in trips.enumerated() { plans.append(id: t.id, depart: t.depart, route: routes[k]) }
        return plans
    }
}
