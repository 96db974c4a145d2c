import FloodModel
import Foundation
import SimCore
import TrafficModel

/// A land-cover class of a model: its Manning's n and how water behaves on it.
public struct LandClass: Sendable, Equatable {
    public var code: Int
    public var name: String
    public var manning: Double
    public var pervious: Bool
    public var drained: Bool
    /// Cells of this class hold the sea level (fixed-level boundary inside the grid).
    public var sea: Bool
}

/// A city model directory (`Data/<city>/model.yaml` plus the rasters it names).
public struct CityModel: Sendable {
    public var directory: String
    public var name: String
    public var epsg: Int
    /// Terrain (needed by flood jobs); a traffic-only model has none.
    public var terrain: Raster<Double>?
    public var landcover: Raster<Int>?
    public var classes: [LandClass]
    public var seaLevel: Double
    public var boundaries: FloodBoundaries
    /// The road network and demand files (traffic section), if the model has one.
    public var traffic: TrafficFiles?
    /// The distribution grid files (energy section), if the model has one.
    public var energy: EnergyFiles?

    public struct EnergyFiles: Sendable {
        /// grid/network.json (reference format), grid/buildings.csv (loads per building), grid/assets.csv (substations).
        public var grid: String, buildings: String, assets: String
    }

    public struct TrafficFiles: Sendable {
        public var nodes: String, links: String
        public var demand: String?
        /// Vehicles with routes (`population/vehicles.csv`).
        public var vehicles: String?
        /// Banned turns (`network/turns.csv`).
        public var turns: String?
        public var zonesAreThrough: Bool
    }

    static let keys = [
        "schema", "name", "description", "crs", "terrain", "landcover", "classes", "sea_level", "boundaries", "traffic",
        "energy", "provenance",
    ]

    /// Loads and checks a model; every problem is reported, located in model.yaml or the raster file.
    public static func load(directory: String) throws -> CityModel {
        let file = directory + "/model.yaml"
        guard FileManager.default.fileExists(atPath: file) else {
            throw InputError(
                SourceLocation(file: file), code: "E-MODEL-001",
                message: "no model.yaml in model directory '\(directory)'",
                hint: "point 'model:' at a folder made by 'citytwin import' (e.g. Data/monaco)")
        }
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let r = YAMLReader(file: file, codePrefix: "E-MODEL")
        guard let root = r.parse(text), let m = r.mapping(root, allowed: keys, required: ["schema", "name"]) else {
            throw InputError(r.diagnostics)
        }
        if let s = m["schema"], let v = r.int(s), v != 1 {
            r.report(s, 20, "unsupported model schema \(v)", hint: "this CityTwin reads schema 1")
        }
        let name = r.string(m["name"]) ?? "model"
        var epsg = 0
        if let c = m["crs"], let s = r.scalar(c) {
            if s.hasPrefix("EPSG:"), let e = Int(s.dropFirst(5)) {
                epsg = e
            } else {
                r.report(c, 21, "crs must look like 'EPSG:32632' (got '\(s)')")
            }
        }
        var classes: [LandClass] = []
        if let cl = m["classes"], let items = r.sequence(cl) {
            for it in items {
                guard
                    let c = r.mapping(
                        it, allowed: ["code", "name", "manning", "pervious", "drained", "sea"],
                        required: ["code", "name", "manning"])
                else { continue }
                guard let code = r.int(c["code"], min: 0, max: 255), let nm = r.string(c["name"]),
                    let n = r.double(c["manning"], min: 0, exclusiveMin: true, units: "s m^-1/3")
                else { continue }
                func flag(_ k: String) -> Bool { c[k].flatMap { r.scalar($0) }.map { $0 == "true" } ?? false }
                classes.append(
                    LandClass(
                        code: code, name: nm, manning: n, pervious: flag("pervious"), drained: flag("drained"),
                        sea: flag("sea")))
            }
        }
        let seaLevel = m["sea_level"].flatMap { r.double($0, units: "m") } ?? 0
        let boundaries =
            m["boundaries"].flatMap { parseBoundaries($0, r) }
            ?? FloodBoundaries(
                north: .free(minSlope: 0.001), south: .free(minSlope: 0.001), east: .free(minSlope: 0.001),
                west: .free(minSlope: 0.001))
        var traffic: TrafficFiles?
        if let t = m["traffic"],
            let tm = r.mapping(
                t, allowed: ["nodes", "links", "demand", "vehicles", "banned_turns", "zones_are_through"],
                required: ["nodes", "links"], what: "traffic")
        {
            let through = tm["zones_are_through"].flatMap { r.bool($0) } ?? true
            func file(_ k: String) -> String? {
                guard let n = tm[k], let s = r.string(n) else { return nil }
                let p = directory + "/" + s
                if !FileManager.default.fileExists(atPath: p) {
                    r.report(n, 22, "'\(s)' does not exist in the model directory")
                    return nil
                }
                return p
            }
            if let n = file("nodes"), let l = file("links") {
                traffic = TrafficFiles(
                    nodes: n, links: l, demand: file("demand"), vehicles: file("vehicles"), turns: file("banned_turns"),
                    zonesAreThrough: through)
            }
        }
        var energy: EnergyFiles?
        if let e = m["energy"],
            let em = r.mapping(
                e, allowed: ["grid", "buildings", "assets"], required: ["grid", "buildings", "assets"], what: "energy")
        {
            func file(_ k: String) -> String? {
                guard let n = em[k], let s = r.string(n) else { return nil }
                let p = directory + "/" + s
                if !FileManager.default.fileExists(atPath: p) {
                    r.report(n, 22, "'\(s)' does not exist in the model directory")
                    return nil
                }
                return p
            }
            if let g = file("grid"), let b = file("buildings"), let a = file("assets") {
                energy = EnergyFiles(grid: g, buildings: b, assets: a)
            }
        }
        if m["terrain"] == nil && traffic == nil {
            r.report(
                root, 23, "the model has neither terrain nor a traffic network",
                hint: "add 'terrain: terrain.asc' and/or a 'traffic:' section")
        }
        if !r.diagnostics.isEmpty { throw InputError(r.diagnostics) }
        guard m["terrain"] != nil else {
            return CityModel(
                directory: directory, name: name, epsg: epsg, terrain: nil, landcover: nil, classes: classes,
                seaLevel: seaLevel, boundaries: boundaries, traffic: traffic, energy: energy)
        }

        let terrainPath = directory + "/" + (r.string(m["terrain"]) ?? "terrain.asc")
        let t = try AsciiGrid.read(path: terrainPath, epsg: epsg)
        if let bad = t.values.firstIndex(where: { $0 == nil }) {
            throw InputError(
                SourceLocation(file: terrainPath), code: "E-MODEL-030",
                message: "terrain has a NODATA cell at column \(bad % t.geometry.nx), row \(bad / t.geometry.nx)",
                hint: "fill voids when importing (citytwin import fills SRTM voids)")
        }
        let terrain = Raster(geometry: t.geometry, values: t.values.map { $0 ?? 0 })
        var landcover: Raster<Int>?
        if let lc = m["landcover"], let lcName = r.scalar(lc) {
            let p = directory + "/" + lcName
            let l = try AsciiGrid.read(path: p, epsg: epsg)
            guard l.geometry.nx == terrain.geometry.nx, l.geometry.ny == terrain.geometry.ny else {
                throw InputError(
                    SourceLocation(file: p), code: "E-MODEL-031",
                    message:
                        "land cover is \(l.geometry.nx) x \(l.geometry.ny) cells, terrain \(terrain.geometry.nx) x \(terrain.geometry.ny)",
                    hint: "both rasters must cover the same grid")
            }
            let codes = Set(classes.map(\.code))
            var vals = [Int](repeating: 0, count: l.values.count)
            for (k, v) in l.values.enumerated() {
                let c = Int(v ?? -1)
                guard codes.contains(c) else {
                    throw InputError(
                        SourceLocation(file: p), code: "E-MODEL-032",
                        message:
                            "land cover code \(c) at column \(k % l.geometry.nx), row \(k / l.geometry.nx) is not in model.yaml classes",
                        hint: "add a class with code \(c) to model.yaml")
                }
                vals[k] = c
            }
            landcover = Raster(geometry: terrain.geometry, values: vals)
        }
        return CityModel(
            directory: directory, name: name, epsg: epsg, terrain: terrain, landcover: landcover,
            classes: classes, seaLevel: seaLevel, boundaries: boundaries, traffic: traffic, energy: energy)
    }

    /// Loads the road network (and the OD demand if the model has one).
    public func loadTraffic() throws -> (network: RoadNetwork, demand: ODMatrix?) {
        guard let t = traffic else {
            throw InputError(
                SourceLocation(file: directory + "/model.yaml"), code: "E-MODEL-040",
                message: "model '\(name)' has no traffic section",
                hint: "import a network first, e.g. 'citytwin import tntp NET.tntp --trips TRIPS.tntp -o DIR'")
        }
        func text(_ p: String) throws -> String {
            guard let d = FileManager.default.contents(atPath: p), let s = String(data: d, encoding: .utf8) else {
                throw InputError(
                    SourceLocation(file: p), code: "E-MODEL-041", message: "cannot read the file as UTF-8 text")
            }
            return s
        }
        var net = try RoadNetwork.fromCSV(
            nodes: try text(t.nodes), nodesFile: t.nodes, links: try text(t.links), linksFile: t.links,
            zonesAreThrough: t.zonesAreThrough)
        if let tp = t.turns { try net.readBannedTurns(try text(tp), file: tp) }
        let od = try t.demand.map { try net.odFromCSV(try text($0), file: $0) }
        return (net, od)
    }

    /// The model's vehicles with routes on `network`.
    public func loadVehicles(on network: RoadNetwork) throws -> VehiclePlans {
        guard let p = traffic?.vehicles else {
            throw InputError(
                SourceLocation(file: directory + "/model.yaml"), code: "E-MODEL-043", keyPath: "traffic.vehicles",
                message: "model '\(name)' has no vehicles",
                hint:
                    "import routes, e.g. 'citytwin import sumo --routes FILE', or add 'vehicles: population/vehicles.csv'"
            )
        }
        guard let d = FileManager.default.contents(atPath: p), let s = String(data: d, encoding: .utf8) else {
            throw InputError(
                SourceLocation(file: p), code: "E-MODEL-041", message: "cannot read the file as UTF-8 text")
        }
        return try VehiclePlans.fromCSV(s, file: p, on: network)
    }

    static func parseBoundaries(_ n: YNode, _ r: YAMLReader) -> FloodBoundaries? {
        guard let m = r.mapping(n, allowed: ["north", "south", "east", "west"]) else { return nil }
        var b = FloodBoundaries()
        func edge(_ k: String) -> EdgeBoundary? {
            guard let e = m[k] else { return nil }
            return parseEdge(e, r)
        }
        b.north = edge("north") ?? .closed
        b.south = edge("south") ?? .closed
        b.east = edge("east") ?? .closed
        b.west = edge("west") ?? .closed
        return b
    }

    /// `closed`, `free`, `{free: {min_slope: 0.002}}` or `{level: 1.5}`.
    static func parseEdge(_ n: YNode, _ r: YAMLReader) -> EdgeBoundary? {
        if case .scalar(let s) = n.node {
            switch s.string {
            case "closed": return .closed
            case "free": return .free(minSlope: 0.001)
            default:
                let hint =
                    DidYouMean.suggest(s.string, from: ["closed", "free", "level"]).map { "did you mean '\($0)'?" }
                    ?? "use closed, free, {free: {min_slope: S}} or {level: METRES}"
                r.report(n, 40, "unknown boundary type '\(s.string)'", hint: hint)
                return nil
            }
        }
        guard let m = r.mapping(n, allowed: ["level", "free"]) else { return nil }
        if let l = m["level"] { return r.double(l, units: "m").map { .level($0) } }
        if let f = m["free"], let fm = r.mapping(f, allowed: ["min_slope"]) {
            return .free(minSlope: r.double(fm["min_slope"], min: 0, exclusiveMin: true) ?? 0.001)
        }
        r.report(n, 41, "a boundary mapping needs 'level' or 'free'")
        return nil
    }
}
