import Foundation
import SimCore
import TrafficModel

extension ScenarioBuilder {
    /// The model's network and vehicles with the job's network changes applied. Vehicles whose route uses a
    /// closed link are routed again on free-flow times from where their first link starts to where their last link
    /// ends; those left without any route are dropped and counted.
    public static func trafficSetup(job: Job, model: CityModel) throws -> (
        network: RoadNetwork, plans: VehiclePlans, dropped: Int, rerouted: Int, timed: [TimedLinkEdit]
    ) {
        let (base, _) = try model.loadTraffic()
        let plans: VehiclePlans
        if let p = job.traffic?.vehicles {
            plans = try VehiclePlans.fromCSV(try InputFile.text(p, what: "the vehicles table"), file: p, on: base)
        } else {
            plans = try model.loadVehicles(on: base)
        }
        // changes with a time take effect during the run, on the network the others make
        let initial = job.networkChanges.filter { $0.at == nil }
        let timed = job.networkChanges.filter { $0.at != nil }
        guard !initial.isEmpty else { return (base, plans, 0, 0, try timedEdits(timed, on: base, model: model)) }
        let edits: [LinkEdit] = initial.map { c in
            switch c.kind {
            case .closeLink: .close(links: c.links)
            case .setLanes: .setLanes(links: c.links, lanes: c.lanes ?? 1)
            case .addLanes: .addLanes(links: c.links, lanes: c.lanes ?? 0)
            case .setSpeed: .setSpeed(links: c.links, kmh: c.speedKmh ?? 50)
            case .setCapacity: .setCapacity(links: c.links, vph: c.capacity ?? 1)
            case .addLink:
                .add(
                    id: c.id ?? "", from: c.from ?? "", to: c.to ?? "", lanes: c.lanes ?? 1, kmh: c.speedKmh ?? 50,
                    vph: c.capacity ?? 1, length: c.length)
            }
        }
        let (kept, newIndex, problems) = base.applying(edits)
        if !problems.isEmpty {
            throw InputError(
                problems.map { p in
                    let c = initial[p.edit]
                    let message =
                        p.code == "E-JOB-061" || p.code == "E-JOB-062"
                        ? p.message : "model '\(model.name)' \(p.message)"
                    return Diagnostic(
                        c.location, code: p.code, keyPath: "changes.\(c.name)" + (p.key.isEmpty ? "" : ".\(p.key)"),
                        message: message, hint: p.hint)
                })
        }
        let r = plans.rerouted(from: base, to: kept, newIndex: newIndex)
        return (kept, r.plans, r.dropped, r.rerouted, try timedEdits(timed, on: kept, model: model))
    }

    /// The changes with a time (`at:`) as edits of `network` (the one the run starts on): unknown links, and links
    /// a change without a time already took away, are located errors with the nearest id.
    static func timedEdits(_ changes: [NetworkChange], on network: RoadNetwork, model: CityModel) throws
        -> [TimedLinkEdit]
    {
        guard !changes.isEmpty else { return [] }
        var index: [String: Int32] = [:]
        for (i, id) in network.linkIDs.enumerated() { index[id] = Int32(i) }
        var problems: [Diagnostic] = []
        var out: [TimedLinkEdit] = []
        for c in changes {
            var links: [Int32] = []
            for id in c.links {
                if let a = index[id] {
                    links.append(a)
                    if c.kind == .addLanes, network.lanes[Int(a)] + (c.lanes ?? 0) < 1 {
                        problems.append(
                            Diagnostic(
                                c.location, code: "E-JOB-061", keyPath: "changes.\(c.name).lanes",
                                message:
                                    "link \(InputToken.quote(id)) would have \(network.lanes[Int(a)] + (c.lanes ?? 0)) "
                                    + "lanes", hint: "use close_link to take a road away"))
                    }
                    continue
                }
                problems.append(
                    Diagnostic(
                        c.location, code: "E-JOB-060", keyPath: "changes.\(c.name).links",
                        message: "model '\(model.name)' has no link \(InputToken.quote(id)) on the network the run "
                            + "starts on (or a change without 'at' closes it)",
                        hint: DidYouMean.suggest(id, from: Array(network.linkIDs.prefix(200_000))).map {
                            "did you mean '\($0)'?"
                        }))
            }
            let change: TimedLinkEdit.Change
            switch c.kind {
            case .closeLink: change = .close
            case .setLanes: change = .setLanes(c.lanes ?? 1)
            case .addLanes: change = .addLanes(c.lanes ?? 0)
            case .setSpeed: change = .setSpeed(kmh: c.speedKmh ?? 50)
            case .setCapacity: change = .setCapacity(vph: c.capacity ?? 1)
            case .addLink: continue  // refused when the job is read
            }
            out.append(TimedLinkEdit(at: c.at ?? .zero, change: change, links: links))
        }
        if !problems.isEmpty { throw InputError(problems) }
        return out
    }

    /// Each vehicle's demand factor: `traffic.demand_scale` × the scale of the first demand zone (in name order)
    /// whose polygon holds the start of its first link. A zone that holds no trip's start is an error (its scale
    /// would change nothing).
    static func demandFactors(job: Job, model: CityModel, network: RoadNetwork, plans: VehiclePlans) throws
        -> [Double]
    {
        guard let t = job.traffic else { return [] }
        let proj =
            model.epsg >= 32601 && model.epsg <= 32760
            ? UTMProjection(zone: model.epsg % 100, north: model.epsg < 32700) : nil
        var problems: [Diagnostic] = []
        var polygons: [[(Double, Double)]] = []
        for z in t.demandZones {
            var pts: [(Double, Double)] = []
            for p in z.polygon {
                switch p {
                case .projected(let x, let y): pts.append((x, y))
                case .lonLat(let lon, let lat):
                    guard let proj else { continue }
                    let r = proj.forward(longitude: lon, latitude: lat)
                    pts.append((r.x, r.y))
                }
            }
            if pts.count < z.polygon.count {
                problems.append(
                    Diagnostic(
                        z.location, code: "E-JOB-051", keyPath: "traffic.demand_zones.\(z.name)",
                        message: "model '\(model.name)' has no UTM CRS, so lon/lat points cannot be placed",
                        hint: "give the polygon as {x, y} points in the model's coordinates"))
            }
            polygons.append(pts)
        }
        var factors = [Double](repeating: t.demandScale, count: plans.count)
        var used = [Int](repeating: 0, count: polygons.count)
        for i in 0..<plans.count {
            guard let first = plans.route(i).first, network.nodeX.count == network.nodeCount else { continue }
            let v = Int(network.from[Int(first)])
            let (x, y) = (network.nodeX[v], network.nodeY[v])
            if let z = polygons.firstIndex(where: { Self.contains($0, x, y) }) {
                factors[i] = t.demandScale * t.demandZones[z].scale
                used[z] += 1
            }
        }
        for (z, zone) in t.demandZones.enumerated() where used[z] == 0 && polygons[z].count >= 3 {
            problems.append(
                Diagnostic(
                    zone.location, code: "E-JOB-053", keyPath: "traffic.demand_zones.\(zone.name)",
                    message: "zone '\(zone.name)' holds the start of no trip (or only of trips an earlier zone takes)",
                    hint: "check its polygon: points are {x, y} in the model's CRS or {lon, lat}"))
        }
        if !problems.isEmpty { throw InputError(problems) }
        return factors
    }

    /// Point in polygon by the crossing number (a point on an edge may fall either way).
    static func contains(_ polygon: [(Double, Double)], _ x: Double, _ y: Double) -> Bool {
        var inside = false
        var j = polygon.count - 1
        for i in polygon.indices {
            let (xi, yi) = polygon[i]
            let (xj, yj) = polygon[j]
            if (yi > y) != (yj > y), x < (xj - xi) * (y - yi) / (yj - yi) + xi { inside.toggle() }
            j = i
        }
        return inside
    }
}
