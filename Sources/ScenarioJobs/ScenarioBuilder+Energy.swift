import CityImport
import EnergyModel
import Foundation
import SimCore
import TrafficModel

extension ScenarioBuilder {
    /// The energy setup of a job: the model's grid, buildings and substations, the job's weather, adoption shares,
    /// hardening and outage events (asset names checked, with suggestions).
    public static func energySetup(job: Job, model: CityModel) throws -> EnergySetup {
        guard let ej = job.energy else {
            throw InputError(
                SourceLocation(file: job.file), code: "E-JOB-064", message: "the job has no energy section")
        }
        guard let files = model.energy else {
            throw InputError(
                SourceLocation(file: model.directory + "/model.yaml"), code: "E-JOB-065",
                message: "model '\(model.name)' has no energy section (a grid), which the job's energy section needs",
                hint:
                    "add one with 'citytwin import grid <extract.osm.pbf> -o \(model.directory)', or drop the energy section"
            )
        }
        var grid = try GridReader.readReference(files.grid)
        let bt = try CSVTable.read(
            files.buildings,
            numeric: ["load", "x", "y", "dwellings", "residential_floor_m2", "other_floor_m2", "roof_m2"]
        ).rows
        var problems: [Diagnostic] = []
        var buildings: [EnergySetup.Building] = []
        for row in bt {
            let line = row.line
            let load = Int(row["load"]!)
            guard load >= 0 && load < grid.loads.count else {
                problems.append(
                    Diagnostic(
                        SourceLocation(file: files.buildings, line: line), code: "E-MODEL-050", keyPath: "load",
                        message: "load \(load) is not in the grid (it has \(grid.loads.count))",
                        hint: "re-import the grid so both files match"))
                continue
            }
            buildings.append(
                .init(
                    load: load, dwellings: Int(row["dwellings"]!), residentialFloor: row["residential_floor_m2"]!,
                    otherFloor: row["other_floor_m2"]!,
                    roofArea: row["roof_m2"]!, x: row["x"]!, y: row["y"]!))
        }
        let at = try CSVTable.read(
            files.assets, numeric: ["element", "x", "y", "critical_depth_m"], text: ["kind", "name"]
        ).rows
        var assets: [EnergySetup.Asset] = []
        for row in at {
            let line = row.line
            guard let kind = EnergySetup.Asset.Kind(rawValue: row.text["kind"]!) else {
                problems.append(
                    Diagnostic(
                        SourceLocation(file: files.assets, line: line), code: "E-MODEL-051", keyPath: "kind",
                        message: "'\(row.text["kind"]!)' is not 'primary' or 'secondary'",
                        hint: DidYouMean.suggest(row.text["kind"]!, from: ["primary", "secondary"]).map {
                            "did you mean '\($0)'?"
                        }))
                continue
            }
            let e = Int(row["element"]!)
            if (kind == .primary && !(0..<grid.extGrids.count).contains(e))
                || (kind == .secondary && !(0..<grid.trafos.count).contains(e))
            {
                problems.append(
                    Diagnostic(
                        SourceLocation(file: files.assets, line: line), code: "E-MODEL-052", keyPath: "element",
                        message: "\(kind.rawValue) \(e) is not in the grid",
                        hint: "re-import the grid so both files match"))
                continue
            }
            assets.append(
                .init(
                    kind: kind, element: e, name: row.text["name"]!, x: row["x"]!, y: row["y"]!,
                    criticalDepth: row["critical_depth_m"]!))
        }
        // hardening and outages by asset name
        let names = assets.map(\.name)
        for h in ej.hardening {
            let hit: [Int]
            switch h.target {
            case "all": hit = Array(assets.indices)
            case "primary", "secondary": hit = assets.indices.filter { assets[$0].kind.rawValue == h.target }
            default: hit = assets.indices.filter { assets[$0].name == h.target }
            }
            if hit.isEmpty {
                problems.append(
                    Diagnostic(
                        h.location, code: "E-JOB-066", keyPath: "energy.hardening.asset",
                        message: "no asset '\(h.target)' in model '\(model.name)'",
                        hint: DidYouMean.suggest(h.target, from: names + ["all", "primary", "secondary"]).map {
                            "did you mean '\($0)'?"
                        } ?? "use an asset name from grid/assets.csv, 'primary', 'secondary' or 'all'"))
            }
            for a in hit { assets[a].criticalDepth += h.raise }
        }
        // reinforcement and new cables (planning alternatives)
        for x in ej.reinforce {
            guard let a = names.firstIndex(of: x.asset), assets[a].kind == .secondary else {
                problems.append(
                    Diagnostic(
                        x.location, code: "E-JOB-071", keyPath: "energy.reinforce.asset",
                        message: "no secondary substation '\(x.asset)' in model '\(model.name)'",
                        hint: DidYouMean.suggest(x.asset, from: assets.filter { $0.kind == .secondary }.map(\.name)).map
                        { "did you mean '\($0)'?" }))
                continue
            }
            grid.trafos[assets[a].element].parallel += x.transformers
        }
        for c in ej.addCables {
            func mvBus(_ name: String, _ key: String) -> Int? {
                guard let a = names.firstIndex(of: name) else {
                    problems.append(
                        Diagnostic(
                            c.location, code: "E-JOB-072", keyPath: "energy.add_cables.\(key)",
                            message: "no asset '\(name)' in model '\(model.name)'",
                            hint: DidYouMean.suggest(name, from: names).map { "did you mean '\($0)'?" }))
                    return nil
                }
                return assets[a].kind == .primary
                    ? grid.extGrids[assets[a].element].bus : grid.trafos[assets[a].element].hvBus
            }
            guard let f = mvBus(c.from, "from"), let t = mvBus(c.to, "to") else { continue }
            let pf = assets[names.firstIndex(of: c.from)!]
            let pt = assets[names.firstIndex(of: c.to)!]
            let straight: Double = hypot(pf.x - pt.x, pf.y - pt.y) / 1000
            let km: Double = max(0.05, 1.3 * straight)  // route factor 1.3 over the straight line
            let cable = SyntheticGrid.mvCable
            let r: Double = cable.r * km
            let x: Double = cable.x * km
            let b: Double = cable.c * km * 2 * Double.pi * grid.fHz * 1e-3
            grid.lines.append(
                Grid.Line(
                    name: "added cable \(c.from) – \(c.to)", fromBus: f, toBus: t, rOhm: r, xOhm: x, bMicroS: b,
                    maxIkA: cable.imax))
        }
        var events: [EnergySetup.OutageEvent] = []
        for o in ej.outages {
            guard let a = names.firstIndex(of: o.asset) else {
                problems.append(
                    Diagnostic(
                        o.location, code: "E-JOB-067", keyPath: "energy.outages.asset",
                        message: "no asset '\(o.asset)' in model '\(model.name)'",
                        hint: DidYouMean.suggest(o.asset, from: names).map { "did you mean '\($0)'?" }
                            ?? "use an asset name from grid/assets.csv"))
                continue
            }
            if o.from.milliseconds >= job.duration.milliseconds {
                problems.append(
                    Diagnostic(
                        o.location, code: "E-JOB-068", keyPath: "energy.outages.from",
                        message: "the outage starts at \(o.from), after the run ends (\(job.duration))",
                        hint: "it would change nothing"))
            }
            events.append(
                .init(
                    asset: a, from: SimTime(milliseconds: o.from.milliseconds),
                    to: SimTime(milliseconds: o.to.milliseconds)))
        }
        // weather: the job's start sets day, time and weekday; latitude from the model's position
        let start = parseISO(job.startISO) ?? Date(timeIntervalSince1970: 0)
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let day = cal.ordinality(of: .day, in: .year, for: start) ?? 1
        let comps = cal.dateComponents([.hour, .minute, .second, .weekday], from: start)
        let second = Double((comps.hour ?? 0) * 3600 + (comps.minute ?? 0) * 60 + (comps.second ?? 0))
        let weekday = ((comps.weekday ?? 2) + 5) % 7  // Calendar: 1 = Sunday → 0 = Monday
        var latitude = 43.73
        if model.epsg >= 32601 && model.epsg <= 32760, !assets.isEmpty {
            let p = UTMProjection(zone: model.epsg % 100, north: model.epsg < 32700)
            latitude =
                p.inverse(
                    x: assets.map(\.x).reduce(0, +) / Double(assets.count),
                    y: assets.map(\.y).reduce(0, +) / Double(assets.count)
                ).latitude
        }
        var source = Weather.Source.synthetic(
            meanC: ej.temperatureMean, amplitudeC: ej.temperatureAmplitude, clearness: ej.clearness)
        if let wf = ej.weatherFile {
            let w = try CSVTable.read(wf, numeric: ["time_s", "temperature_c", "irradiance_w_m2"]).rows
            var prev = -Double.infinity
            for row in w {
                if row["time_s"]! <= prev || row["irradiance_w_m2"]! < 0 {
                    problems.append(
                        Diagnostic(
                            SourceLocation(file: wf, line: row.line), code: "E-JOB-069",
                            message: "times must increase and irradiance be ≥ 0"))
                }
                prev = row["time_s"]!
            }
            if w.isEmpty {
                problems.append(
                    Diagnostic(SourceLocation(file: wf), code: "E-JOB-069", message: "the weather series is empty"))
            }
            source = .series(
                timesS: w.map { $0["time_s"]! }, temperatureC: w.map { $0["temperature_c"]! },
                irradiance: w.map { $0["irradiance_w_m2"]! })
        }
        if !problems.isEmpty { throw InputError(problems) }
        var s = EnergySetup(
            grid: grid, buildings: buildings, assets: assets,
            weather: Weather(source: source, latitude: latitude, startDay: day, startSecond: second))
        s.step = ej.step
        s.evShare = ej.evShare
        s.pvShare = ej.pvShare
        s.heatPumpShare = ej.heatPumpShare
        s.demandGrowth = ej.demandGrowth
        s.repairDelay = ej.repairDelay
        s.events = events
        s.startWeekday = weekday
        s.seed = job.seed
        return s
    }

}

extension ScenarioBuilder {
    /// The drivers of a traffic population as energy agents' schedules: vehicles named `<person>_<leg>` (the
    /// synthetic population's convention) are grouped by person; the home is the residential building nearest the
    /// start of the first leg; a leg is homeward when it ends at that leg's start node; the day's distance is the
    /// sum of the routes; the estimated arrival is departure + free-flow time (the traffic domain's actual arrival
    /// replaces it when traffic runs in the same job). Vehicles not named that way are left out (and counted).
    public static func drivers(plans: VehiclePlans, network net: RoadNetwork, buildings: [EnergySetup.Building])
        -> (
            drivers: [(
                building: Int, legs: [(vehicle: Int, depart: Double, homeward: Bool, arrival: Double)], km: Double
            )], unmatched: Int
        )
    {
        var persons: [String: [(leg: Int, vehicle: Int)]] = [:]
        var unmatched = 0
        for (v, id) in plans.ids.enumerated() {
            guard let u = id.lastIndex(of: "_"), let leg = Int(id[id.index(after: u)...]),
                plans.routeStart[v + 1] > plans.routeStart[v]
            else {
                unmatched += 1
                continue
            }
            persons[String(id[..<u]), default: []].append((leg, v))
        }
        // residential buildings on a coarse grid for the nearest search
        let cell = 200.0
        var grid: [Int64: [Int]] = [:]
        func key(_ x: Double, _ y: Double) -> Int64 {
            Int64((x / cell).rounded(.down)) << 32 | (Int64((y / cell).rounded(.down)) & 0xFFFF_FFFF)
        }
        for (b, bl) in buildings.enumerated() where bl.dwellings > 0 { grid[key(bl.x, bl.y), default: []].append(b) }
        func nearest(_ x: Double, _ y: Double) -> Int? {
            var best: Int?
            var bd = Double.infinity
            for r in 0...5 {
                let cx = Int64((x / cell).rounded(.down))
                let cy = Int64((y / cell).rounded(.down))
                for dx in -Int64(r)...Int64(r) {
                    for dy in -Int64(r)...Int64(r) where max(abs(dx), abs(dy)) == Int64(r) {
                        for b in grid[(cx + dx) << 32 | ((cy + dy) & 0xFFFF_FFFF)] ?? [] {
                            let d = hypot(buildings[b].x - x, buildings[b].y - y)
                            if d < bd || (d == bd && b < best!) {
                                bd = d
                                best = b
                            }
                        }
                    }
                }
                if best != nil && Double(r) * cell > bd { break }
            }
            return best
        }
        var out:
            [(building: Int, legs: [(vehicle: Int, depart: Double, homeward: Bool, arrival: Double)], km: Double)] = []
        for person in persons.keys.sorted() {
            let legs = persons[person]!.sorted { $0.leg < $1.leg }
            let first = legs[0].vehicle
            let homeNode = net.from[Int(plans.routeLinks[Int(plans.routeStart[first])])]
            guard let home = nearest(net.nodeX[Int(homeNode)], net.nodeY[Int(homeNode)]) else {
                unmatched += legs.count
                continue
            }
            var km = 0.0
            var list: [(vehicle: Int, depart: Double, homeward: Bool, arrival: Double)] = []
            for l in legs {
                let r = Int(plans.routeStart[l.vehicle])..<Int(plans.routeStart[l.vehicle + 1])
                let links = r.map { Int(plans.routeLinks[$0]) }
                km += links.reduce(0.0) { $0 + net.length[$1] } / 1000
                let dep = Double(plans.depart[l.vehicle]) / 1000
                let tt = links.reduce(0.0) { $0 + net.freeFlowTime[$1] }
                list.append((l.vehicle, dep, net.to[links.last!] == homeNode, dep + tt))
            }
            out.append((home, list, km))
        }
        return (out, unmatched)
    }
}
