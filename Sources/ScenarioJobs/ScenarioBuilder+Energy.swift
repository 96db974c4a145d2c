import CityImport
import EnergyModel
import Foundation
import SimCore
import TrafficModel

extension ScenarioBuilder {
    /// Bounds of the building table: dwellings in one building, floor or roof area (m²).
    static let maxDwellings = 10_000
    static let maxFloor = 10_000_000.0

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
        var bc = CSVTable.Checker(file: files.buildings)
        for row in bt {
            guard let load = bc.whole(row, "load", 0...Int(Int32.max)),
                let dwellings = bc.whole(row, "dwellings", 0...maxDwellings),
                let residential = bc.number(row, "residential_floor_m2", 0...maxFloor, units: "m2"),
                let other = bc.number(row, "other_floor_m2", 0...maxFloor, units: "m2"),
                let roof = bc.number(row, "roof_m2", 0...maxFloor, units: "m2"),
                let x = bc.number(row, "x", -1e8...1e8, units: "m"), let y = bc.number(row, "y", -1e8...1e8, units: "m")
            else { continue }
            guard load < grid.loads.count else {
                bc.report(
                    row, "load", code: "E-MODEL-050", "load \(load) is not in the grid (it has \(grid.loads.count))",
                    hint: "re-import the grid so both files match")
                continue
            }
            buildings.append(
                .init(
                    load: load, dwellings: dwellings, residentialFloor: residential, otherFloor: other,
                    roofArea: roof, x: x, y: y))
        }
        problems += bc.problems
        let at = try CSVTable.read(
            files.assets, numeric: ["element", "x", "y", "critical_depth_m"], text: ["kind", "name"]
        ).rows
        var assets: [EnergySetup.Asset] = []
        var ac = CSVTable.Checker(file: files.assets)
        var seenNames = Set<String>()
        for row in at {
            let kindText = row.text["kind"]!
            guard let kind = EnergySetup.Asset.Kind(rawValue: kindText) else {
                ac.report(
                    row, "kind", code: "E-MODEL-051", "\(InputToken.quote(kindText)) is not 'primary' or 'secondary'",
                    hint: InputToken.isPlain(kindText)
                        ? DidYouMean.suggest(kindText, from: ["primary", "secondary"]).map { "did you mean '\($0)'?" }
                        : nil)
                continue
            }
            guard let e = ac.whole(row, "element", 0...Int(Int32.max)),
                let x = ac.number(row, "x", -1e8...1e8, units: "m"),
                let y = ac.number(row, "y", -1e8...1e8, units: "m"),
                let depth = ac.number(row, "critical_depth_m", 0...100, units: "m")
            else { continue }
            if (kind == .primary && e >= grid.extGrids.count) || (kind == .secondary && e >= grid.trafos.count) {
                ac.report(
                    row, "element", code: "E-MODEL-052", "\(kind.rawValue) \(e) is not in the grid",
                    hint: "re-import the grid so both files match")
                continue
            }
            let name = row.text["name"]!
            if !seenNames.insert(name).inserted {
                ac.report(
                    row, "name", code: "E-MODEL-053", "asset name \(InputToken.quote(name)) appears twice",
                    hint: "jobs name assets for hardening and outages: give each its own name")
                continue
            }
            assets.append(.init(kind: kind, element: e, name: name, x: x, y: y, criticalDepth: depth))
        }
        problems += ac.problems
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
            grid.addCable(name: "added cable \(c.from) – \(c.to)", fromBus: f, toBus: t, km: km, type: .simbenchMV)
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
            var wc = CSVTable.Checker(file: wf)
            var prev = -Double.infinity
            var times: [Double] = []
            var temperatures: [Double] = []
            var irradiance: [Double] = []
            for row in w {
                guard let t = wc.number(row, "time_s", 0...SimDuration.maximum.seconds, units: "s"),
                    let c = wc.number(row, "temperature_c", -90...60, units: "degC"),
                    let g = wc.number(row, "irradiance_w_m2", 0...1500, units: "W/m2")
                else { continue }
                if t <= prev {
                    wc.report(row, "time_s", code: "E-JOB-069", "times must increase (\(t) after \(prev))")
                    continue
                }
                prev = t
                times.append(t)
                temperatures.append(c)
                irradiance.append(g)
            }
            problems += wc.problems
            if w.isEmpty {
                problems.append(
                    Diagnostic(SourceLocation(file: wf), code: "E-JOB-069", message: "the weather series is empty"))
            }
            source = .series(timesS: times, temperatureC: temperatures, irradiance: irradiance)
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
