import Foundation
import SimCore
import TrafficModel

extension ScenarioBuilder {
    /// The model's network and vehicles with the job's network changes applied. Vehicles whose route uses a
    /// closed link are routed again on free-flow times from where their first link starts to where their last link
    /// ends; those left without any route are dropped and counted.
    public static func trafficSetup(job: Job, model: CityModel) throws -> (
        network: RoadNetwork, plans: VehiclePlans, dropped: Int, rerouted: Int
    ) {
        let (base, _) = try model.loadTraffic()
        var plans: VehiclePlans
        if let p = job.traffic?.vehicles {
            plans = try VehiclePlans.fromCSV(try InputFile.text(p, what: "the vehicles table"), file: p, on: base)
        } else {
            plans = try model.loadVehicles(on: base)
        }
        guard !job.networkChanges.isEmpty else { return (base, plans, 0, 0) }
        var net = base
        var index: [String: Int] = [:]
        for (i, id) in net.linkIDs.enumerated() { index[id] = i }
        var nodeIndex: [String: Int32] = [:]
        for (i, id) in net.nodeIDs.enumerated() { nodeIndex[id] = Int32(i) }
        var diags: [Diagnostic] = []
        var closed = Set<Int>()
        func link(_ id: String, _ c: NetworkChange) -> Int? {
            if let i = index[id] { return i }
            diags.append(
                Diagnostic(
                    c.location, code: "E-JOB-060", keyPath: "changes.\(c.name).links",
                    message: "model '\(model.name)' has no link '\(id)'",
                    hint: DidYouMean.suggest(id, from: Array(net.linkIDs.prefix(200_000))).map {
                        "did you mean '\($0)'?"
                    }))
            return nil
        }
        for c in job.networkChanges {
            switch c.kind {
            case .closeLink:
                for id in c.links { if let a = link(id, c) { closed.insert(a) } }
            case .setLanes, .addLanes:
                for id in c.links {
                    guard let a = link(id, c), let l = c.lanes else { continue }
                    let old = max(net.lanes[a], 1)
                    let new = c.kind == .setLanes ? l : net.lanes[a] + l
                    guard new >= 1 else {
                        diags.append(
                            Diagnostic(
                                c.location, code: "E-JOB-061", keyPath: "changes.\(c.name).lanes",
                                message: "link '\(id)' would have \(fmt(new)) lanes",
                                hint: "use close_link to take a road away"))
                        continue
                    }
                    net.capacity[a] *= new / old  // capacity per lane kept
                    net.lanes[a] = new
                }
            case .setSpeed:
                for id in c.links {
                    guard let a = link(id, c), let v = c.speedKmh else { continue }
                    net.freeSpeed[a] = v / 3.6
                    net.freeFlowTime[a] = net.length[a] / net.freeSpeed[a]
                }
            case .setCapacity:
                for id in c.links { if let a = link(id, c), let q = c.capacity { net.capacity[a] = q } }
            case .addLink:
                guard let id = c.id, let f = c.from, let t = c.to, let lanes = c.lanes, let v = c.speedKmh,
                    let q = c.capacity
                else { continue }
                if index[id] != nil {
                    diags.append(
                        Diagnostic(
                            c.location, code: "E-JOB-062", keyPath: "changes.\(c.name).id",
                            message: "link id '\(id)' already exists", hint: "choose a new id"))
                    continue
                }
                guard let fi = nodeIndex[f], let ti = nodeIndex[t] else {
                    let unknown = nodeIndex[f] == nil ? f : t
                    diags.append(
                        Diagnostic(
                            c.location, code: "E-JOB-063", keyPath: "changes.\(c.name)",
                            message: "model '\(model.name)' has no node '\(unknown)'",
                            hint: DidYouMean.suggest(unknown, from: Array(net.nodeIDs.prefix(200_000))).map {
                                "did you mean '\($0)'?"
                            }))
                    continue
                }
                let len =
                    c.length
                    ?? max(1, hypot(net.nodeX[Int(ti)] - net.nodeX[Int(fi)], net.nodeY[Int(ti)] - net.nodeY[Int(fi)]))
                index[id] = net.linkCount
                net.appendLink(id: id, from: fi, to: ti, length: len, lanes: lanes, freeSpeed: v / 3.6, capacity: q)
            }
        }
        if !diags.isEmpty { throw InputError(diags) }
        // drop closed links (renumbering; every column and turn restriction kept), re-route the vehicles that
        // used them
        let (kept, newIndex) = net.keepingLinks { !closed.contains($0) }
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
        plans = out
        return (kept, plans, dropped, rerouted)
    }
}
