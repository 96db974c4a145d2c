import FloodModel
import Foundation
import SimCore
import SimEngine
import TrafficModel

/// A point given in the model's projected CRS or as WGS 84 longitude/latitude.
public enum JobPoint: Sendable, Equatable, CustomStringConvertible {
    case projected(x: Double, y: Double)
    case lonLat(lon: Double, lat: Double)
    public var description: String {
        switch self {
        case .projected(let x, let y): "(x \(x), y \(y))"
        case .lonLat(let lon, let lat): "(lon \(lon), lat \(lat))"
        }
    }
}

public struct JobInflow: Sendable, Equatable {
    public var name: String
    public var points: [JobPoint]  // one point, or a polyline
    public var times: [SimDuration]
    public var discharge: [Double]  // m³/s
    public var location: SourceLocation
}

public enum JobRainfall: Sendable, Equatable {
    case none
    /// Blocks of constant intensity (mm/h) from each time.
    case series(times: [SimDuration], mmPerHour: [Double])
    /// Alternating-block design storm from an IDF curve i = a / (t + b)^c (i in mm/h, t in minutes).
    case designStorm(
        a: Double, b: Double, c: Double, duration: SimDuration, step: SimDuration, peak: Double, start: SimDuration)
    /// Rasters of intensity (mm/h), each from its time.
    case gridded(times: [SimDuration], files: [String])
}

/// A change to the road network (traffic scenarios).
public struct NetworkChange: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case closeLink = "close_link", setLanes = "set_lanes", addLanes = "add_lanes", setSpeed = "set_speed",
            setCapacity = "set_capacity", addLink = "add_link"
    }
    public var kind: Kind
    public var name: String
    /// The links changed (all kinds but add_link).
    public var links: [String] = []
    /// lanes (set/add_lanes, add_link), km/h (set_speed, add_link), veh/h (set_capacity, add_link).
    public var lanes: Double?, speedKmh: Double?, capacity: Double?
    /// add_link: id, end nodes and optional length (m; default the straight distance).
    public var id: String?, from: String?, to: String?, length: Double?
    /// When the change takes effect during the run (nil: from the start, on the network the run is built on).
    public var at: SimDuration?
    public var location: SourceLocation
}

public struct TerrainChange: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case raise = "raise_terrain", lower = "lower_terrain", setManning = "set_manning"
    }
    public var kind: Kind
    public var name: String
    public var line: [JobPoint]
    public var amount: Double  // metres (raise/lower) or Manning's n
    public var width: Double?  // metres; default one cell
    public var location: SourceLocation
}

/// The water at the start of a flood run (`flood.initial`).
public enum JobInitialWater: Sendable, Equatable {
    /// Depths (m) from a raster on the terrain's grid.
    case depth(file: String)
    /// Water-surface elevations (m) from a raster on the terrain's grid: depth = level − bed where positive.
    case levelGrid(file: String)
    /// A level (m) held by a polygon (a reservoir): depth = level − bed inside it where positive.
    case level(Double, within: [JobPoint])
}

public struct FloodJobSettings: Sendable, Equatable {
    public var precision: Precision = .double
    public var theta = 0.8, alpha = 0.7
    public var advection = false
    public var maxStep = SimDuration.seconds(10)
    public var boundaries: FloodBoundaries?
    public var seaLevel: Double?
    public var rainfall: JobRainfall = .none
    public var inflows: [JobInflow] = []
    public var manningOverrides: [String: Double] = [:]
    public var infiltration: Infiltration = .none
    public var drainageMmPerHour = 0.0
    public var inundationDepth = 0.1
    public var initial: JobInitialWater?
    public var initialLocation: SourceLocation?
}

/// Settings of the traffic domain (queue model) in a job.
public struct TrafficJobSettings: Sendable, Equatable {
    public var tick = SimDuration.seconds(1)
    public var stuckTime = SimDuration.seconds(10)
    public var jamSpacing = 7.5
    public var flowCapacityFactor = 1.0
    public var storageCapacityFactor = 1.0
    /// Demand scaling of the model's vehicles (`VehiclePlans.scaled`), and the departure jitter of the copies.
    public var demandScale = 1.0
    /// Demand scaled further by where trips start (`demand_zones: {name: {within: [points], scale: 1.2}}`): a
    /// vehicle whose first link starts in a zone's polygon (the first that holds it, in name order) is scaled by
    /// `demand_scale` × the zone's scale.
    public var demandZones: [DemandZone] = []
    public var departureJitter = SimDuration.zero
    /// Days simulated toward a dynamic user equilibrium (1 = the given routes), and the share re-routed after each.
    public var iterations = 1
    public var rerouteShare = 0.1
    public var junctionDelay = SimDuration.zero
    /// How links respond to standing water when the job also floods (`traffic.flood`).
    public var floodResponse = FloodResponse()
    /// How signalised junctions behave without power when the job also runs the grid (`traffic.signals`).
    public var signalResponse = SignalResponse()
    /// Another vehicles table (`id,depart_s,route`) instead of the model's, resolved against the job's folder.
    public var vehicles: String?
    public var vehiclesLocation: SourceLocation?
}

/// A district whose trips are scaled (`traffic.demand_zones`).
public struct DemandZone: Sendable, Equatable {
    public var name: String
    public var polygon: [JobPoint]
    public var scale: Double
    public var location: SourceLocation
}

/// Settings of the energy domain in a job.
public struct EnergyJobSettings: Sendable, Equatable {
    public var step = SimDuration.minutes(15)
    public var evShare = 0.0, pvShare = 0.0, heatPumpShare = 0.0, demandGrowth = 1.0
    /// Synthetic weather (daily temperature cosine, clear-sky irradiance × clearness) unless a series file is given.
    public var temperatureMean = 13.0, temperatureAmplitude = 4.0, clearness = 0.75
    public var weatherFile: String?
    public var weatherLocation: SourceLocation?
    public var repairDelay = SimDuration.hours(6)
    /// Raise the critical water depth of assets (a raised substation): asset name, "primary", "secondary" or "all".
    public var hardening: [(target: String, raise: Double, location: SourceLocation)] = []
    /// Reinforcement: more transformers in parallel at a secondary substation.
    public var reinforce: [(asset: String, transformers: Int, location: SourceLocation)] = []
    /// New MV cables between two substations (a new or meshed feeder).
    public var addCables: [(from: String, to: String, location: SourceLocation)] = []
    /// Scenario outages: asset name, from, to.
    public var outages: [(asset: String, from: SimDuration, to: SimDuration, location: SourceLocation)] = []
    public static func == (a: Self, b: Self) -> Bool { a.hashDescription == b.hashDescription }
    /// Everything that changes results (not where in the file it was said).
    var hashDescription: String {
        "\(step)|\(evShare)|\(pvShare)|\(heatPumpShare)|\(demandGrowth)|\(temperatureMean)|"
            + "\(temperatureAmplitude)|\(clearness)|\(weatherFile ?? "")|\(repairDelay)|"
            + hardening.map { "\($0.target)=\($0.raise)" }.joined(separator: ",") + "|"
            + outages.map { "\($0.asset)@\($0.from)-\($0.to)" }.joined(separator: ",")
            + "|" + reinforce.map { "\($0.asset)+\($0.transformers)" }.joined(separator: ",") + "|"
            + addCables.map { "\($0.from)~\($0.to)" }.joined(separator: ",")
    }
}

/// A validated job (schema 1).
public struct Job: Sendable {
    public var file: String
    public var text: String
    public var name: String
    public var description: String?
    public var modelDirectory: String
    public var startISO: String
    public var duration: SimDuration
    public var outputInterval: SimDuration
    public var checkpointInterval: SimDuration?
    public var checkpointKeep = 3
    /// Keep every checkpoint, and after the run its states (`<output>/<name>.states`) for forks
    /// (`checkpoint: {keep: all}` or `citytwin run --keep-checkpoints`).
    public var keepStates = false
    /// The saved state this job starts from (`citytwin fork`, a study's `from:`); nil: from the start.
    public var fork: ForkPoint?
    public var seed: UInt64 = 0
    public var workers: Int?
    public var partitions: Int?
    public var flood: FloodJobSettings?
    public var traffic: TrafficJobSettings?
    public var energy: EnergyJobSettings?
    public var changes: [TerrainChange] = []
    public var networkChanges: [NetworkChange] = []
    /// Couplings switched off or configured (`couplings: {flood_energy: false}`); default: every coupling whose
    /// domains are present, on.
    public var couplings: [String: CouplingSetting] = [:]
    /// Where the job's and its model's files may be (`--allow-path`).
    public var access = FileAccess()

    static let topKeys = [
        "schema", "name", "description", "model", "start", "end", "duration", "output_interval",
        "checkpoint", "seed", "workers", "partitions", "flood", "traffic", "energy", "changes", "couplings",
    ]
    static let floodKeys = [
        "precision", "theta", "alpha", "advection", "max_step", "boundaries", "sea_level", "rainfall", "inflows",
        "manning", "infiltration", "drainage", "inundation_depth", "initial",
    ]

    /// A job file is read whole; it may be at most this large.
    static let fileLimit = 1 << 20

    /// Reads and checks a job file. Throws an InputError listing every problem found. Files the job names must
    /// resolve inside the job's folder or its model's folder, or a folder opened in `access`.
    public static func load(path: String, access: FileAccess = FileAccess()) throws -> Job {
        let text = try InputFile.text(path, limit: fileLimit, what: "the job file")
        return try parse(text: text, file: path, access: access)
    }

    public static func parse(text: String, file: String, access: FileAccess = FileAccess()) throws -> Job {
        let r = YAMLReader(file: file)
        guard let root = r.parse(text) else { throw InputError(r.diagnostics) }
        return try parse(root: root, reader: r, text: text, file: file, access: access)
    }

    /// A job from a parsed tree (a job file's, or a study run's: its base job with the study's overrides spliced in,
    /// each node located in the file it was written in). Relative paths resolve from `file`'s folder.
    static func parse(root: YNode, reader r: YAMLReader, text: String, file: String, access: FileAccess) throws -> Job {
        guard
            let m = r.mapping(
                root, allowed: topKeys, required: ["schema", "name", "model", "start", "output_interval"])
        else {
            throw InputError(r.diagnostics)
        }
        if let s = m["schema"], let v = r.int(s), v != 1 {
            r.report(s, 20, "unsupported job schema \(v)", hint: "this CityTwin reads 'schema: 1'")
        }
        let name = r.string(m["name"]) ?? ""
        if let n = m["name"], !name.isEmpty, !name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) {
            r.report(
                n, 21, "name '\(name)' may only use letters, digits, '-', '_' and '.'", hint: "it names the result file"
            )
        }
        let baseDir = (file as NSString).deletingLastPathComponent
        var modelDir = ""
        if let mn = m["model"], let s = r.scalar(mn) {
            modelDir = s.hasPrefix("/") ? s : (baseDir.isEmpty ? s : baseDir + "/" + s)
            modelDir = (modelDir as NSString).standardizingPath
            var isDir: ObjCBool = false
            if !FileManager.default.fileExists(atPath: modelDir, isDirectory: &isDir) || !isDir.boolValue {
                r.report(
                    mn, 22, "model directory '\(s)' does not exist (resolved to \(modelDir))",
                    hint: "paths are relative to the job file's folder")
            } else if !SafeFile.exists(modelDir + "/model.yaml") {
                r.report(
                    mn, 23, "'\(s)' has no model.yaml", hint: "point 'model:' at a folder made by 'citytwin import'")
            }
        }
        let paths = JobPaths(base: baseDir, model: modelDir, access: access)
        var startISO = "2000-01-01T00:00:00Z"
        var startDate: Date?
        if let st = m["start"], let s = r.scalar(st) {
            if let d = parseISO(s) {
                startDate = d
                startISO = isoString(d)
            } else {
                r.report(st, 24, "'\(s)' is not an ISO 8601 time", hint: "write e.g. 2026-10-14T00:00:00Z")
            }
        }
        var duration: SimDuration?
        switch (m["duration"], m["end"]) {
        case (let d?, nil): duration = r.duration(d)
        case (nil, let e?):
            if let s = r.scalar(e) {
                if let ed = parseISO(s), let sd = startDate {
                    let ms = Int64(((ed.timeIntervalSince(sd)) * 1000).rounded())
                    if ms > 0 {
                        duration = SimDuration(milliseconds: ms)
                    } else {
                        r.report(e, 25, "end must be after start")
                    }
                } else if parseISO(s) == nil {
                    r.report(e, 24, "'\(s)' is not an ISO 8601 time", hint: "write e.g. 2026-10-14T06:00:00Z")
                }
            }
        case (_?, let e?): r.report(e, 26, "give either 'end' or 'duration', not both")
        case (nil, nil): r.report(root, 7, "missing required key 'duration' (or 'end')")
        }
        let outInt = r.duration(m["output_interval"])
        var ckInt: SimDuration?
        var keep = 3
        var keepStates = false
        if let c = m["checkpoint"],
            let cm = r.mapping(c, allowed: ["interval", "keep"], required: ["interval"], what: "checkpoint")
        {
            ckInt = r.duration(cm["interval"])
            if let k = cm["keep"] {
                if let v = r.scalar(k), v == "all" {
                    keepStates = true
                } else if let v = r.scalar(k), Int(v) == nil {
                    r.report(
                        k, 12, "keep must be a number of checkpoints (1…1000) or 'all', got '\(v)'",
                        hint: "'all' keeps every checkpoint, and after the run the states forks start from")
                } else {
                    keep = r.int(k, min: 1, max: 1000) ?? 3
                }
            }
        }
        var seed: UInt64 = 0
        if let s = m["seed"], let str = r.scalar(s) {
            if let v = UInt64(str) {
                seed = v
            } else {
                r.report(s, 12, "seed must be a whole number >= 0 (got '\(str)')")
            }
        }
        let workers = m["workers"].flatMap { r.int($0, min: 1, max: 4096) }
        var traffic: TrafficJobSettings?
        if let t = m["traffic"] { traffic = parseTraffic(t, r, paths: paths) }
        let partitions = m["partitions"].flatMap { r.int($0, min: 1, max: 1_000_000) }
        var flood: FloodJobSettings?
        if let f = m["flood"] { flood = parseFlood(f, r, paths: paths) }
        var energy: EnergyJobSettings?
        if let e = m["energy"] { energy = parseEnergy(e, r, paths: paths) }
        var changes: [TerrainChange] = []
        var networkChanges: [NetworkChange] = []
        if let c = m["changes"], let items = r.sequence(c) {
            for it in items {
                if case .mapping(let mp) = it.node,
                    let t = mp.first(where: { $0.key.string == "type" })?.value.scalar?.string,
                    NetworkChange.Kind(rawValue: t) != nil
                {
                    if let ch = parseNetworkChange(it, r) { networkChanges.append(ch) }
                } else if let ch = parseChange(it, r) {
                    changes.append(ch)
                }
            }
        }
        let couplings = m["couplings"].map { parseCouplings($0, r) } ?? [:]
        for c in networkChanges {
            if let at = c.at, let d = duration, at >= d {
                r.absorb([
                    Diagnostic(
                        c.location, code: "E-JOB-041", keyPath: "changes.\(c.name).at",
                        message: "the change takes effect at \(at), at or after the end of the run (\(d))",
                        hint: "give a time within the run")
                ])
            }
        }
        if !networkChanges.isEmpty && traffic == nil, let c = m["changes"] {
            r.report(c, 40, "network changes need a 'traffic:' section", hint: "they would change nothing otherwise")
        }
        if let d = duration, let o = outInt, o > d, let on = m["output_interval"] {
            r.report(
                on, 27, "output_interval \(o) is longer than the run (\(d))",
                hint: "use an interval no longer than the run")
        }

        if flood == nil && traffic == nil && energy == nil {
            r.report(
                root, 28, "the job has no domain to simulate",
                hint: "add a 'flood:', 'traffic:' and/or 'energy:' section")
        }
        if let e = energy, let d = duration, let en = m["energy"], d.milliseconds % e.step.milliseconds != 0 {
            r.report(
                en, 62, "the run (\(d)) is not a whole number of energy steps (\(e.step))",
                hint: "energies are integrated per step; make the duration a multiple of the energy step")
        }
        if let e = energy, let d = outInt, let en = m["energy"], d.milliseconds % e.step.milliseconds != 0 {
            r.report(
                en, 62, "output_interval \(d) is not a whole number of energy steps (\(e.step))",
                hint: "use a multiple of the energy step")
        }
        if !r.diagnostics.isEmpty { throw InputError(r.diagnostics) }
        return Job(
            file: file, text: text, name: name, description: r.string(m["description"]), modelDirectory: modelDir,
            startISO: startISO, duration: duration!, outputInterval: outInt!, checkpointInterval: ckInt,
            checkpointKeep: keep, keepStates: keepStates, seed: seed, workers: workers, partitions: partitions,
            flood: flood, traffic: traffic, energy: energy, changes: changes,
            networkChanges: networkChanges, couplings: couplings, access: access)
    }

    /// Bounds of forcing a job may ask for (a located error beyond them).
    static let maxStormBlocks: Int64 = 100_000
    static let maxRainIntensity = 5_000.0

    static let energyKeys = [
        "step", "ev_share", "pv_share", "heat_pump_share", "demand_growth", "weather", "repair_delay", "hardening",
        "outages",
        "reinforce", "add_cables",
    ]

    static func parseEnergy(_ n: YNode, _ r: YAMLReader, paths: JobPaths) -> EnergyJobSettings? {
        if case .scalar(let s) = n.node, s.string.isEmpty || s.string == "~" || s.string == "null" {
            return EnergyJobSettings()
        }
        guard let m = r.mapping(n, allowed: energyKeys, what: "energy") else { return nil }
        var e = EnergyJobSettings()
        if let v = m["step"], let d = r.duration(v) {
            if d.milliseconds < 60_000 || d.milliseconds > 3_600_000 || 3_600_000 % d.milliseconds != 0 {
                r.report(
                    v, 60, "step must divide an hour, between 1min and 1h (got \(d))",
                    hint: "15min is the usual power-flow step")
            } else {
                e.step = d
            }
        }
        if let v = m["ev_share"] { e.evShare = r.double(v, min: 0, max: 1) ?? 0 }
        if let v = m["pv_share"] { e.pvShare = r.double(v, min: 0, max: 1) ?? 0 }
        if let v = m["heat_pump_share"] { e.heatPumpShare = r.double(v, min: 0, max: 1) ?? 0 }
        if let v = m["demand_growth"] { e.demandGrowth = r.double(v, min: 0, max: 10, exclusiveMin: true) ?? 1 }
        if let v = m["repair_delay"] { e.repairDelay = r.duration(v, positive: false) ?? e.repairDelay }
        if let w = m["weather"] {
            if let wm = r.mapping(
                w, allowed: ["temperature_mean", "temperature_amplitude", "clearness", "file"], what: "energy.weather")
            {
                if let v = wm["temperature_mean"] {
                    e.temperatureMean = r.double(v, min: -50, max: 50, units: "degC") ?? e.temperatureMean
                }
                if let v = wm["temperature_amplitude"] {
                    e.temperatureAmplitude = r.double(v, min: 0, max: 30, units: "K") ?? e.temperatureAmplitude
                }
                if let v = wm["clearness"] { e.clearness = r.double(v, min: 0, max: 1) ?? e.clearness }
                if let v = wm["file"] {
                    if let p = paths.file(v, r, what: "weather file") {
                        e.weatherFile = p
                        e.weatherLocation = v.location
                    }
                    if wm.count > 1 { r.report(v, 61, "give either 'file' or the synthetic weather keys, not both") }
                }
            }
        }
        if let h = m["hardening"], let items = r.sequence(h) {
            for it in items {
                guard
                    let hm = r.mapping(
                        it, allowed: ["asset", "raise"], required: ["asset", "raise"], what: "hardening")
                else { continue }
                if let a = r.string(hm["asset"]), let d = r.double(hm["raise"], min: 0, max: 20, units: "m") {
                    e.hardening.append((a, d, it.location))
                }
            }
        }
        if let x = m["reinforce"], let items = r.sequence(x) {
            for it in items {
                guard
                    let xm = r.mapping(it, allowed: ["asset", "transformers"], required: ["asset"], what: "reinforce")
                else { continue }
                if let a = r.string(xm["asset"]) {
                    e.reinforce.append((a, xm["transformers"].flatMap { r.int($0, min: 1, max: 10) } ?? 1, it.location))
                }
            }
        }
        if let x = m["add_cables"], let items = r.sequence(x) {
            for it in items {
                guard let xm = r.mapping(it, allowed: ["from", "to"], required: ["from", "to"], what: "add_cables")
                else { continue }
                if let f = r.string(xm["from"]), let t = r.string(xm["to"]) {
                    if f == t {
                        r.report(it, 70, "a cable from '\(f)' to itself")
                    } else {
                        e.addCables.append((f, t, it.location))
                    }
                }
            }
        }
        if let o = m["outages"], let items = r.sequence(o) {
            for it in items {
                guard
                    let om = r.mapping(
                        it, allowed: ["asset", "from", "to"], required: ["asset", "from", "to"], what: "outage")
                else { continue }
                if let a = r.string(om["asset"]), let f = r.duration(om["from"], positive: false),
                    let t = r.duration(om["to"])
                {
                    if t <= f {
                        r.report(it, 63, "outage ends (\(t)) before it starts (\(f))")
                    } else {
                        e.outages.append((a, f, t, it.location))
                    }
                }
            }
        }
        return e
    }

    static let trafficKeys = [
        "tick", "stuck_time", "jam_spacing", "flow_capacity_factor", "storage_capacity_factor", "demand_scale",
        "departure_jitter", "iterations", "reroute_share", "junction_delay", "vehicles", "flood", "signals",
        "demand_zones",
    ]

    static func parseTraffic(_ n: YNode, _ r: YAMLReader, paths: JobPaths = JobPaths()) -> TrafficJobSettings? {
        // An empty section (`traffic: {}`) takes every default.
        if case .scalar(let s) = n.node, s.string.isEmpty || s.string == "~" || s.string == "null" {
            return TrafficJobSettings()
        }
        guard let m = r.mapping(n, allowed: trafficKeys, what: "traffic") else { return nil }
        var t = TrafficJobSettings()
        if let v = m["tick"], let d = r.duration(v) {
            if d.milliseconds < 100 || d.milliseconds > 60_000 {
                r.report(
                    v, 11, "tick must be between 100ms and 60s (got \(d))", hint: "1s is the usual queue-model tick")
            } else {
                t.tick = d
            }
        }
        if let v = m["stuck_time"] { t.stuckTime = r.duration(v) ?? t.stuckTime }
        if let v = m["jam_spacing"] { t.jamSpacing = r.double(v, min: 1, max: 100, units: "m") ?? t.jamSpacing }
        if let v = m["flow_capacity_factor"] {
            t.flowCapacityFactor = r.double(v, min: 0, max: 100, exclusiveMin: true) ?? 1
        }
        if let v = m["storage_capacity_factor"] {
            t.storageCapacityFactor = r.double(v, min: 0, max: 100, exclusiveMin: true) ?? 1
        }
        if let v = m["demand_scale"] { t.demandScale = r.double(v, min: 0, max: 1000) ?? 1 }
        if let z = m["demand_zones"] { t.demandZones = parseDemandZones(z, r) }
        if let v = m["departure_jitter"] { t.departureJitter = r.duration(v, positive: false) ?? .zero }
        if let v = m["iterations"] { t.iterations = r.int(v, min: 1, max: 1000) ?? 1 }
        if let v = m["junction_delay"] { t.junctionDelay = r.duration(v, positive: false) ?? .zero }
        if let v = m["vehicles"], let p = paths.file(v, r, what: "vehicles file") {
            t.vehicles = p
            t.vehiclesLocation = v.location
        }
        if let fl = m["flood"],
            let fm = r.mapping(fl, allowed: ["close_depth", "max_wait", "interval"], what: "traffic.flood")
        {
            if let v = fm["close_depth"] {
                t.floodResponse.closeDepth = r.double(v, min: 0, max: 0.3, exclusiveMin: true, units: "m") ?? 0.3
            }
            if let v = fm["max_wait"] { t.floodResponse.maxWait = r.duration(v, positive: false) ?? .minutes(30) }
            if let v = fm["interval"], let d = r.duration(v) {
                if d.milliseconds % t.tick.milliseconds != 0 {
                    r.report(v, 11, "the interval must be a whole number of ticks (\(t.tick))")
                } else {
                    t.floodResponse.interval = d
                }
            }
        }
        if let sg = m["signals"],
            let sm = r.mapping(sg, allowed: ["dark_delay", "capacity_factor", "interval"], what: "traffic.signals")
        {
            if let v = sm["dark_delay"] { t.signalResponse.darkDelay = r.duration(v, positive: false) ?? .seconds(5) }
            if let v = sm["capacity_factor"] {
                t.signalResponse.capacityFactor = r.double(v, min: 0, max: 1, exclusiveMin: true) ?? 0.5
            }
            if let v = sm["interval"], let d = r.duration(v) {
                if d.milliseconds % t.tick.milliseconds != 0 {
                    r.report(v, 11, "the interval must be a whole number of ticks (\(t.tick))")
                } else {
                    t.signalResponse.interval = d
                }
            }
        }
        if let v = m["reroute_share"] { t.rerouteShare = r.double(v, min: 0, max: 1, exclusiveMin: true) ?? 0.1 }
        return t
    }

    static func parseFlood(_ n: YNode, _ r: YAMLReader, paths: JobPaths) -> FloodJobSettings? {
        guard let m = r.mapping(n, allowed: floodKeys, what: "flood") else { return nil }
        var f = FloodJobSettings()
        if let p = m["precision"], let s = r.choice(p, Precision.allCases.map(\.rawValue)) {
            f.precision = Precision(rawValue: s)!
        }
        if let t = m["theta"] { f.theta = r.double(t, min: 0, max: 1) ?? f.theta }
        if let a = m["alpha"] { f.alpha = r.double(a, min: 0, max: 0.7071, exclusiveMin: true) ?? f.alpha }
        if let a = m["advection"] { f.advection = r.bool(a) ?? f.advection }
        if let s = m["max_step"] { f.maxStep = r.duration(s) ?? f.maxStep }
        if let b = m["boundaries"] { f.boundaries = CityModel.parseBoundaries(b, r) }
        if let s = m["sea_level"] { f.seaLevel = r.double(s, min: -100, max: 100, units: "m") }
        if let d = m["inundation_depth"] {
            f.inundationDepth = r.double(d, min: 0, max: 100, exclusiveMin: true, units: "m") ?? 0.1
        }
        if let rn = m["rainfall"] { f.rainfall = parseRain(rn, r, paths: paths) }
        if let i = m["initial"], let im = r.mapping(i, allowed: ["depth", "level", "within"], what: "flood.initial") {
            f.initialLocation = i.location
            switch (im["depth"], im["level"], im["within"]) {
            case (let d?, nil, nil):
                if let p = paths.file(d, r, what: "initial depth grid") { f.initial = .depth(file: p) }
            case (nil, let l?, nil):
                if let p = paths.file(l, r, what: "initial level grid") { f.initial = .levelGrid(file: p) }
            case (nil, let l?, let w?):
                if let level = r.double(l, min: -11_000, max: 9_000, units: "m"), let items = r.sequence(w) {
                    let pts = items.compactMap { parsePoint($0, r) }
                    if items.count < 3 {
                        r.report(w, 30, "a polygon needs at least three points")
                    } else if pts.count == items.count {
                        f.initial = .level(level, within: pts)
                    }
                }
            case (_?, _?, _):
                r.report(i, 31, "give either 'depth' (a grid) or 'level' (a grid, or a value with 'within'), not both")
            case (_?, nil, _?):
                r.report(
                    im["within"]!, 39, "'within' goes with a 'level' value", hint: "write {level: 12.0, within: [...]}")
            case (nil, nil, _):
                r.report(
                    i, 7, "flood.initial needs 'depth: FILE.asc', 'level: FILE.asc' or {level: VALUE, within: [...]}")
            }
        }
        if let inf = m["inflows"], let items = r.sequence(inf) {
            for (k, it) in items.enumerated() {
                guard
                    let im = r.mapping(
                        it, allowed: ["name", "at", "line", "hydrograph"], required: ["hydrograph"], what: "an inflow")
                else { continue }
                var pts: [JobPoint] = []
                switch (im["at"], im["line"]) {
                case (let a?, nil): if let p = parsePoint(a, r) { pts = [p] }
                case (nil, let l?):
                    if let items = r.sequence(l) {
                        pts = items.compactMap { parsePoint($0, r) }
                        if items.count < 2 { r.report(l, 30, "a line needs at least two points") }
                    }
                case (_?, let l?): r.report(l, 31, "give either 'at' (a point) or 'line', not both")
                case (nil, nil): r.report(it, 7, "an inflow needs 'at' (a point) or 'line' (a list of points)")
                }
                guard let h = im["hydrograph"], let (times, q) = parseSeries(h, r, units: "m3/s", range: 0...1e6) else {
                    continue
                }
                f.inflows.append(
                    JobInflow(
                        name: r.string(im["name"]) ?? "inflow\(k + 1)", points: pts, times: times, discharge: q,
                        location: it.location))
            }
        }
        if let mn = m["manning"], let mm = r.mapping(mn, allowed: ["classes"], what: "flood.manning") {
            if let c = mm["classes"], case .mapping(let cm) = c.node {
                for (k, v) in cm {
                    guard case .scalar(let ks) = k else { continue }
                    if let val = r.double(c.child(ks.string, v), min: 0, max: 1, exclusiveMin: true, units: "s m^-1/3")
                    {
                        f.manningOverrides[ks.string] = val
                    }
                }
            } else if let c = mm["classes"] {
                r.report(c, 3, "expected a mapping of land-cover class name to Manning's n, e.g. {road: 0.015}")
            }
        }
        if let i = m["infiltration"],
            let im = r.mapping(
                i, allowed: ["model", "rate", "ks", "psi", "delta_theta"], required: ["model"],
                what: "flood.infiltration")
        {
            switch r.choice(im["model"], ["none", "constant", "green_ampt"]) {
            case "constant":
                if let rate = r.double(im["rate"], min: 0, max: 10_000, units: "mm/h") {
                    f.infiltration = .constant(rate: rate / 3_600_000)
                } else if im["rate"] == nil {
                    r.report(i, 7, "constant infiltration needs 'rate' (mm/h)")
                }
            case "green_ampt":
                for k in ["ks", "psi", "delta_theta"] where im[k] == nil {
                    r.report(i, 7, "Green-Ampt infiltration needs '\(k)'")
                }
                if let ks = r.double(im["ks"], min: 0, max: 10_000, units: "mm/h"),
                    let psi = r.double(im["psi"], min: 0, max: 10_000, units: "mm"),
                    let dt = r.double(im["delta_theta"], min: 0, max: 1)
                {
                    f.infiltration = .greenAmpt(ks: ks / 3_600_000, psi: psi / 1000, deltaTheta: dt)
                }
            default: break
            }
        }
        if let d = m["drainage"],
            let dm = r.mapping(d, allowed: ["capacity"], required: ["capacity"], what: "flood.drainage")
        {
            f.drainageMmPerHour = r.double(dm["capacity"], min: 0, max: 10_000, units: "mm/h") ?? 0
        }
        return f
    }

    static func parseRain(_ n: YNode, _ r: YAMLReader, paths: JobPaths) -> JobRainfall {
        guard let m = r.mapping(n, allowed: ["series", "design_storm", "gridded"], what: "flood.rainfall") else {
            return .none
        }
        if m.count > 1 { r.report(n, 32, "give one of 'series', 'design_storm' or 'gridded'") }
        if let s = m["series"] {
            guard let (t, v) = parseSeries(s, r, units: "mm/h", range: -1e300...maxRainIntensity) else { return .none }
            if let bad = v.firstIndex(where: { $0 < 0 }) {
                r.report(s, 11, "rain intensity must be >= 0 (entry \(bad) is \(v[bad]))")
            }
            return .series(times: t, mmPerHour: v)
        }
        if let d = m["design_storm"],
            let dm = r.mapping(
                d, allowed: ["idf", "duration", "step", "peak", "start"], required: ["idf", "duration"],
                what: "design_storm")
        {
            var a = 0.0
            var b = 0.0
            var c = 0.0
            if let idf = dm["idf"],
                let im = r.mapping(
                    idf, allowed: ["a", "b", "c"], required: ["a", "b", "c"],
                    what: "idf (i = a / (t + b)^c, i in mm/h, t in minutes)")
            {
                a = r.double(im["a"], min: 0, max: 1e6, exclusiveMin: true) ?? 0
                b = r.double(im["b"], min: 0, max: 1e4) ?? 0
                c = r.double(im["c"], min: 0, max: 2, exclusiveMin: true) ?? 0
            }
            let dur = r.duration(dm["duration"]) ?? .hours(1)
            let step = dm["step"].flatMap { r.duration($0) } ?? .minutes(5)
            if step.milliseconds > 0, dur.milliseconds % step.milliseconds != 0, let sn = dm["step"] ?? dm["duration"] {
                r.report(sn, 33, "the storm duration \(dur) must be a whole number of steps of \(step)")
            } else if dur.milliseconds / max(step.milliseconds, 1) > maxStormBlocks, let dn = dm["duration"] {
                r.report(
                    dn, 33,
                    "the storm has \(dur.milliseconds / max(step.milliseconds, 1)) blocks of \(step); "
                        + "at most \(maxStormBlocks)",
                    hint: "a design storm lasts hours to days: shorten it or take longer steps")
            }
            let peakIntensity = a / pow(step.seconds / 60 + b, c)
            if a > 0, c > 0, !(peakIntensity <= maxRainIntensity), let idf = dm["idf"] {
                r.report(
                    idf, 11, "this IDF curve gives \(Int(min(peakIntensity, 1e15))) mm/h over one step of \(step)",
                    hint: "rain intensities above \(Int(maxRainIntensity)) mm/h are not plausible; check a, b and c")
            }
            let peak = dm["peak"].flatMap { r.double($0, min: 0, max: 1) } ?? 0.5
            let start = dm["start"].flatMap { r.duration($0, positive: false) } ?? .zero
            return .designStorm(a: a, b: b, c: c, duration: dur, step: step, peak: peak, start: start)
        }
        if let g = m["gridded"], let items = r.sequence(g) {
            var times: [SimDuration] = []
            var files: [String] = []
            for it in items {
                guard let gm = r.mapping(it, allowed: ["time", "file"], required: ["time", "file"]) else { continue }
                if let tn = gm["time"], let fnode = gm["file"], let t = r.duration(tn, positive: false),
                    let p = paths.file(fnode, r, what: "rain grid")
                {
                    if let last = times.last, t <= last { r.report(tn, 35, "times must increase") }
                    times.append(t)
                    files.append(p)
                }
            }
            return .gridded(times: times, files: files)
        }
        return .none
    }

    /// A list of `[time, value]` pairs with increasing times.
    static func parseSeries(_ n: YNode, _ r: YAMLReader, units: String, range: ClosedRange<Double>) -> (
        [SimDuration], [Double]
    )? {
        guard let items = r.sequence(n) else { return nil }
        var t: [SimDuration] = []
        var v: [Double] = []
        for it in items {
            guard case .sequence(let pair) = it.node, pair.count == 2 else {
                r.report(it, 36, "expected a pair [time, value in \(units)], e.g. [30min, 12.5]")
                continue
            }
            guard let d = r.duration(it.item(0, pair[0]), positive: false),
                let x = r.double(it.item(1, pair[1]), min: range.lowerBound, max: range.upperBound, units: units)
            else { continue }
            if let last = t.last, d <= last {
                r.report(it, 35, "times must increase (\(d) after \(last))")
                continue
            }
            t.append(d)
            v.append(x)
        }
        if t.isEmpty {
            r.report(n, 37, "the series is empty")
            return nil
        }
        return (t, v)
    }

    /// `demand_zones: {name: {within: [point, point, point, ...], scale: 1.2}}`, in name order.
    static func parseDemandZones(_ n: YNode, _ r: YAMLReader) -> [DemandZone] {
        guard case .mapping(let m) = n.node else {
            r.report(n, 3, "expected a mapping of zone names to {within: [points], scale: factor}")
            return []
        }
        var out: [DemandZone] = []
        for (k, v) in m {
            guard let name = k.scalar?.string else { continue }
            let child = n.child(name, v)
            guard
                let zm = r.mapping(
                    child, allowed: ["within", "scale"], required: ["within", "scale"], what: "a zone"),
                let scale = r.double(zm["scale"], min: 0, max: 1000)
            else { continue }
            let items = zm["within"].flatMap { r.sequence($0) } ?? []
            let points = items.compactMap { parsePoint($0, r) }
            guard points.count == items.count else { continue }
            if points.count < 3 {
                r.report(zm["within"]!, 30, "zone '\(name)' needs a polygon of at least 3 points")
                continue
            }
            out.append(DemandZone(name: name, polygon: points, scale: scale, location: child.location))
        }
        return out.sorted { $0.name < $1.name }
    }

    static func parsePoint(_ n: YNode, _ r: YAMLReader) -> JobPoint? {
        guard let m = r.mapping(n, allowed: ["x", "y", "lon", "lat"], what: "a point") else { return nil }
        if m["lon"] != nil || m["lat"] != nil {
            if m["x"] != nil || m["y"] != nil { r.report(n, 38, "give a point as {lon, lat} or {x, y}, not both") }
            guard let lon = r.double(m["lon"], min: -180, max: 180), let lat = r.double(m["lat"], min: -90, max: 90)
            else {
                if m["lon"] == nil || m["lat"] == nil { r.report(n, 7, "a point needs both 'lon' and 'lat'") }
                return nil
            }
            return .lonLat(lon: lon, lat: lat)
        }
        guard let x = r.double(m["x"], min: -1e8, max: 1e8), let y = r.double(m["y"], min: -1e8, max: 1e8) else {
            if m["x"] == nil || m["y"] == nil {
                r.report(n, 7, "a point needs {x, y} (model CRS metres) or {lon, lat}")
            }
            return nil
        }
        return .projected(x: x, y: y)
    }

    static func parseChange(_ n: YNode, _ r: YAMLReader) -> TerrainChange? {
        guard
            let m = r.mapping(
                n, allowed: ["type", "name", "line", "height", "depth", "manning", "width"],
                required: ["type", "line"], what: "a change")
        else { return nil }
        guard
            let kindS = r.choice(
                m["type"],
                ["raise_terrain", "lower_terrain", "set_manning"] + NetworkChange.Kind.allCases.map(\.rawValue)),
            let kind = TerrainChange.Kind(rawValue: kindS)
        else { return nil }
        var pts: [JobPoint] = []
        if let l = m["line"], let items = r.sequence(l) {
            pts = items.compactMap { parsePoint($0, r) }
            if items.isEmpty { r.report(l, 30, "a line needs at least one point") }
        }
        let amountKey = kind == .raise ? "height" : kind == .lower ? "depth" : "manning"
        for other in ["height", "depth", "manning"] where other != amountKey {
            if let o = m[other] {
                r.report(o, 39, "'\(other)' does not apply to \(kindS)", hint: "\(kindS) takes '\(amountKey)'")
            }
        }
        guard let an = m[amountKey] else {
            r.report(n, 7, "\(kindS) needs '\(amountKey)'")
            return nil
        }
        guard
            let amount = r.double(
                an, min: 0, max: kind == .setManning ? 1 : 1000, exclusiveMin: true,
                units: kind == .setManning ? "s m^-1/3" : "m")
        else { return nil }
        let width = m["width"].flatMap { r.double($0, min: 0, max: 10_000, exclusiveMin: true, units: "m") }
        return TerrainChange(
            kind: kind, name: r.string(m["name"]) ?? kindS, line: pts, amount: amount, width: width,
            location: n.location)
    }

    /// `couplings: {flood_energy: false, flood_traffic: {outside: 0}}`: each coupling on or off, and the value
    /// consumer elements outside the provider's coverage see (without it they are an error). The names are
    /// checked against the couplings the job's domains have when the scenario is assembled.
    static func parseCouplings(_ n: YNode, _ r: YAMLReader) -> [String: CouplingSetting] {
        guard case .mapping(let m) = n.node else {
            r.report(n, 3, "expected a mapping of coupling name to true/false or {enabled, outside}")
            return [:]
        }
        var out: [String: CouplingSetting] = [:]
        for (k, v) in m {
            guard case .scalar(let ks) = k else { continue }
            let node = n.child(ks.string, v)
            var s = CouplingSetting(location: node.location)
            if case .scalar = v {
                guard let on = r.bool(node) else { continue }
                s.enabled = on
            } else if let cm = r.mapping(node, allowed: ["enabled", "outside"], what: "couplings.\(ks.string)") {
                if let e = cm["enabled"] { s.enabled = r.bool(e) ?? true }
                if let o = cm["outside"] { s.outside = r.double(o, min: -1e9, max: 1e9) }
            }
            if out[ks.string] != nil { r.report(node, 6, "coupling '\(ks.string)' appears twice") }
            out[ks.string] = s
        }
        return out
    }

    static func parseNetworkChange(_ n: YNode, _ r: YAMLReader) -> NetworkChange? {
        guard
            let m = r.mapping(
                n,
                allowed: ["type", "name", "links", "lanes", "speed", "capacity", "id", "from", "to", "length", "at"],
                required: ["type"], what: "a network change"),
            let tn = m["type"], let kind = NetworkChange.Kind(rawValue: r.scalar(tn) ?? "")
        else { return nil }
        var c = NetworkChange(kind: kind, name: r.string(m["name"]) ?? kind.rawValue, location: n.location)
        let wants: [NetworkChange.Kind: [String]] = [
            .closeLink: ["links"], .setLanes: ["links", "lanes"], .addLanes: ["links", "lanes"],
            .setSpeed: ["links", "speed"], .setCapacity: ["links", "capacity"],
            .addLink: ["id", "from", "to", "lanes", "speed", "capacity"],
        ]
        let optional: [NetworkChange.Kind: [String]] = [.addLink: ["length"]]
        let need = wants[kind]!
        for k in need where m[k] == nil { r.report(n, 7, "\(kind.rawValue) needs '\(k)'") }
        let general = ["type", "name", "at"]
        for (k, v) in m where !general.contains(k) && !need.contains(k) && !(optional[kind] ?? []).contains(k) {
            r.report(
                v, 39, "'\(k)' does not apply to \(kind.rawValue)",
                hint: "\(kind.rawValue) takes: \((need + (optional[kind] ?? [])).joined(separator: ", "))")
        }
        if let l = m["links"] {
            if let items = r.sequence(l) {
                c.links = items.compactMap { r.string($0) }
                if items.isEmpty { r.report(l, 30, "'links' lists no link") }
            }
        }
        if let v = m["lanes"] { c.lanes = r.double(v, min: kind == .addLanes ? -10 : 1, max: 20) }
        if let v = m["speed"] { c.speedKmh = r.double(v, min: 1, max: 300, units: "km/h") }
        if let v = m["capacity"] { c.capacity = r.double(v, min: 1, max: 100_000, units: "veh/h") }
        if let v = m["length"] { c.length = r.double(v, min: 0, max: 1e6, exclusiveMin: true, units: "m") }
        c.id = m["id"].flatMap { r.string($0) }
        c.from = m["from"].flatMap { r.string($0) }
        c.to = m["to"].flatMap { r.string($0) }
        if let a = m["at"] {
            c.at = r.duration(a, positive: false)
            if kind == .addLink {
                r.report(
                    a, 39, "add_link cannot take effect during a run ('at')",
                    hint: "a new road is part of the network the run starts with: drop 'at'")
            }
        }
        return c
    }

}

public func fnv1a(_ s: String) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in s.utf8 {
        h ^= UInt64(b)
        h = h &* 0x100_0000_01b3
    }
    let hex = String(h, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}

func parseISO(_ s: String) -> Date? {
    let f = ISO8601DateFormatter()
    if let d = f.date(from: s) { return d }
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let d = f.date(from: s) { return d }
    f.formatOptions = [.withFullDate]
    return f.date(from: s)
}
func isoString(_ d: Date) -> String { ISO8601DateFormatter().string(from: d) }

/// Where a job's files may be and how a named file is resolved (see `FileAccess`).
struct JobPaths {
    var base = ""
    var model = ""
    var access = FileAccess()

    /// The path of a file the job names at `n`: inside the job's or the model's folder (or an allowed one) and a
    /// regular file; otherwise a located error and nil.
    func file(_ n: YNode, _ r: YAMLReader, what: String) -> String? {
        guard let s = r.string(n) else { return nil }
        switch access.resolve(s, base: base, roots: [base.isEmpty ? "." : base] + (model.isEmpty ? [] : [model])) {
        case .inside(let p):
            guard InputFile.isRegularFile(p) else {
                r.report(n, 34, "\(what) '\(s)' is not a regular file", hint: "name a file, not a device or folder")
                return nil
            }
            return p
        case .missing(let p):
            r.report(
                n, 34, "\(what) '\(s)' does not exist (resolved to \(p))",
                hint: "paths are relative to the job file's folder")
        case .outside(let c):
            r.report(
                n, 41, "\(what) '\(s)' resolves outside the job's and the model's folders (to \(c))",
                hint: FileAccess.outsideHint)
        }
        return nil
    }
}
