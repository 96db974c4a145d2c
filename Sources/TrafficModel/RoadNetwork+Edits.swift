import SimCore

/// A change to a road network (a scenario's roadworks, a new bridge), by link and node ids.
public enum LinkEdit: Sendable, Equatable {
    case close(links: [String])
    case setLanes(links: [String], lanes: Double)
    case addLanes(links: [String], lanes: Double)
    case setSpeed(links: [String], kmh: Double)
    case setCapacity(links: [String], vph: Double)
    case add(id: String, from: String, to: String, lanes: Double, kmh: Double, vph: Double, length: Double?)
}

/// A problem with an edit: which one (its index), the key it concerns, what and how to fix it.
public struct LinkEditProblem: Sendable, Equatable {
    public var edit: Int
    public var key: String
    public var code: String
    public var message: String
    public var hint: String?
}

extension RoadNetwork {
    /// The network with `edits` applied in order (lanes keep their capacity per lane; closed links are removed
    /// with `keepingLinks`, so every column and turn restriction stays), the new index of every old link (−1:
    /// closed), and the problems (unknown ids with the nearest one, impossible lane counts, duplicate ids).
    public func applying(_ edits: [LinkEdit]) -> (
        network: RoadNetwork, newIndex: [Int32], problems: [LinkEditProblem]
    ) {
        var net = self
        var index: [String: Int] = [:]
        for (i, id) in net.linkIDs.enumerated() { index[id] = i }
        var nodeIndex: [String: Int32] = [:]
        for (i, id) in net.nodeIDs.enumerated() { nodeIndex[id] = Int32(i) }
        var problems: [LinkEditProblem] = []
        var closed = Set<Int>()
        func link(_ id: String, _ e: Int) -> Int? {
            if let i = index[id] { return i }
            problems.append(
                LinkEditProblem(
                    edit: e, key: "links", code: "E-JOB-060", message: "has no link \(InputToken.quote(id))",
                    hint: DidYouMean.suggest(id, from: Array(net.linkIDs.prefix(200_000))).map {
                        "did you mean '\($0)'?"
                    }))
            return nil
        }
        for (e, edit) in edits.enumerated() {
            switch edit {
            case .close(let links):
                for id in links { if let a = link(id, e) { closed.insert(a) } }
            case .setLanes(let links, let l), .addLanes(let links, let l):
                let set = if case .setLanes = edit { true } else { false }
                for id in links {
                    guard let a = link(id, e) else { continue }
                    let old = max(net.lanes[a], 1)
                    let new = set ? l : net.lanes[a] + l
                    guard new >= 1 else {
                        problems.append(
                            LinkEditProblem(
                                edit: e, key: "lanes", code: "E-JOB-061",
                                message: "link \(InputToken.quote(id)) would have \(new) lanes",
                                hint: "use close_link to take a road away"))
                        continue
                    }
                    net.capacity[a] *= new / old  // capacity per lane kept
                    net.lanes[a] = new
                }
            case .setSpeed(let links, let kmh):
                for id in links {
                    guard let a = link(id, e) else { continue }
                    net.freeSpeed[a] = kmh / 3.6
                    net.freeFlowTime[a] = net.length[a] / net.freeSpeed[a]
                }
            case .setCapacity(let links, let vph):
                for id in links { if let a = link(id, e) { net.capacity[a] = vph } }
            case .add(let id, let f, let t, let lanes, let kmh, let vph, let length):
                if index[id] != nil {
                    problems.append(
                        LinkEditProblem(
                            edit: e, key: "id", code: "E-JOB-062",
                            message: "link id \(InputToken.quote(id)) already exists", hint: "choose a new id"))
                    continue
                }
                guard let fi = nodeIndex[f], let ti = nodeIndex[t] else {
                    let unknown = nodeIndex[f] == nil ? f : t
                    problems.append(
                        LinkEditProblem(
                            edit: e, key: "", code: "E-JOB-063", message: "has no node \(InputToken.quote(unknown))",
                            hint: DidYouMean.suggest(unknown, from: Array(net.nodeIDs.prefix(200_000))).map {
                                "did you mean '\($0)'?"
                            }))
                    continue
                }
                let dx = net.nodeX[Int(ti)] - net.nodeX[Int(fi)]
                let dy = net.nodeY[Int(ti)] - net.nodeY[Int(fi)]
                let len = length ?? max(1, (dx * dx + dy * dy).squareRoot())
                index[id] = net.linkCount
                net.appendLink(id: id, from: fi, to: ti, length: len, lanes: lanes, freeSpeed: kmh / 3.6, capacity: vph)
            }
        }
        let (kept, newIndex) = net.keepingLinks { !closed.contains($0) }
        return (kept, newIndex, problems)
    }
}

extension VehiclePlans {
    /// These plans (on `old`) on the edited network `kept` (`newIndex` from `RoadNetwork.applying`): routes that
    /// avoid every closed link are renumbered; the others are routed again on free-flow times — link to link
    /// (every turn checked) when both end links are open, else from where the first link starts to where the last
    /// ends. Vehicles left without a route are dropped and counted.
    public func rerouted(from net: RoadNetwork, to kept: RoadNetwork, newIndex: [Int32]) -> (
        plans: VehiclePlans, dropped: Int, rerouted: Int
    ) {
        let plans = self
        var out = VehiclePlans()
        var tree = ShortestPathTree(nodeCount: kept.nodeCount)
        var path: [Int32] = []
        var dropped = 0
        var rerouted = 0
        for v in 0..<plans.count {
            let r = plans.route(v)
            if r.allSatisfy({ newIndex[Int($0)] >= 0 }) {
                out.append(id: plans.ids[v], depart: plans.depart[v], route: r.map { newIndex[Int($0)] })
                continue
            }
            let first = Int(r.first!)
            let last = Int(r.last!)
            if newIndex[first] >= 0 && newIndex[last] >= 0 {
                // both ends still open: the fastest link-to-link route (every turn checked)
                let found = kept.freeFlowTime.withUnsafeBufferPointer {
                    tree.linkRoutes(kept, from: newIndex[first], to: [newIndex[last]], cost: $0)
                }
                if let nr = found[0] {
                    out.append(id: plans.ids[v], depart: plans.depart[v], route: nr)
                    rerouted += 1
                } else {
                    dropped += 1
                }
                continue
            }
            var route: [Int32] = []
            // keep the first and last link if they are open, else start/end at their nodes
            let o = newIndex[first] >= 0 ? Int(kept.to[Int(newIndex[first])]) : Int(net.from[first])
            let d = newIndex[last] >= 0 ? Int(kept.from[Int(newIndex[last])]) : Int(net.to[last])
            kept.freeFlowTime.withUnsafeBufferPointer { tree.search(kept, from: o, cost: $0, targets: nil) }
            guard o == d || tree.dist[d].isFinite else {
                dropped += 1
                continue
            }
            tree.path(to: d, kept, into: &path)
            if newIndex[first] >= 0 { route.append(newIndex[first]) }
            route += path
            if newIndex[last] >= 0 && (route.last != newIndex[last]) { route.append(newIndex[last]) }
            if route.isEmpty {
                dropped += 1
                continue
            }
            out.append(id: plans.ids[v], depart: plans.depart[v], route: route)
            rerouted += 1
        }
        return (out, dropped, rerouted)
    }
}
