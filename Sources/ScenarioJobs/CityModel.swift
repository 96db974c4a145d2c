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
        /// Link shapes (`network/geometry.csv`: id, WKT LINESTRING), for the flood coupling and maps.
        public var geometry: String?
        public var zonesAreThrough: Bool
    }

    static let keys = [
        "schema", "name", "description", "crs", "terrain", "landcover", "classes", "sea_level", "boundaries", "traffic",
        "energy", "provenance",
    ]

    /// model.yaml is read whole; it may be at most this large.
    static let yamlLimit = 1 << 20

    /// Loads and checks a model; every problem is reported, located in model.yaml or the raster file. Files the
    /// model names must resolve inside its folder (or a folder opened in `access`).
    public static func load(directory: String, access: FileAccess = FileAccess(), rasters: Bool = true) throws
        -> CityModel
    {
        let file = directory + "/model.yaml"
        guard SafeFile.exists(file) else {
            throw InputError(
                SourceLocation(file: file), code: "E-MODEL-001",
                message: "no model.yaml in model directory '\(directory)'",
                hint: "point 'model:' at a folder made by 'citytwin import' (e.g. Data/monaco)")
        }
        let text = try InputFile.text(file, limit: yamlLimit, what: "model.yaml")
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
            if s.hasPrefix("EPSG:"), let e = Int(s.dropFirst(5)), e > 0, e < 1_000_000 {
                epsg = e
            } else {
                r.report(c, 21, "crs must look like 'EPSG:32632' (got \(InputToken.quote(s)))")
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
                    let n = r.double(c["manning"], min: 0, max: 1, exclusiveMin: true, units: "s m^-1/3")
                else { continue }
                if classes.contains(where: { $0.code == code }) {
                    r.report(
                        c["code"]!, 24, "land-cover code \(code) appears twice", hint: "give each class its own code")
                    continue
                }
                if classes.contains(where: { $0.name == nm }) {
                    r.report(
                        c["name"]!, 24, "land-cover class '\(nm)' appears twice", hint: "give each class its own name")
                    continue
                }
                func flag(_ k: String) -> Bool { c[k].flatMap { r.bool($0) } ?? false }
                classes.append(
                    LandClass(
                        code: code, name: nm, manning: n, pervious: flag("pervious"), drained: flag("drained"),
                        sea: flag("sea")))
            }
        }
        let seaLevel = m["sea_level"].flatMap { r.double($0, min: -100, max: 100, units: "m") } ?? 0
        let boundaries =
            m["boundaries"].flatMap { parseBoundaries($0, r) }
            ?? FloodBoundaries(
                north: .free(minSlope: 0.001), south: .free(minSlope: 0.001), east: .free(minSlope: 0.001),
                west: .free(minSlope: 0.001))
        /// A file the model names: inside the model folder (or an allowed one), and a regular file.
        func modelFile(_ n: YNode?) -> String? {
            guard let n, let s = r.string(n) else { return nil }
            switch access.resolve(s, base: directory, roots: [directory]) {
            case .inside(let p):
                guard InputFile.isRegularFile(p) else {
                    r.report(n, 22, "'\(s)' is not a regular file", hint: "name a file of the model folder")
                    return nil
                }
                return p
            case .missing:
                r.report(n, 22, "'\(s)' does not exist in the model directory")
            case .outside(let c):
                r.report(n, 25, "'\(s)' resolves outside the model folder (to \(c))", hint: FileAccess.outsideHint)
            }
            return nil
        }
        var traffic: TrafficFiles?
        if let t = m["traffic"],
            let tm = r.mapping(
                t, allowed: ["nodes", "links", "demand", "vehicles", "banned_turns", "geometry", "zones_are_through"],
                required: ["nodes", "links"], what: "traffic")
        {
            let through = tm["zones_are_through"].flatMap { r.bool($0) } ?? true
            let n = modelFile(tm["nodes"])
            let l = modelFile(tm["links"])
            let demand = modelFile(tm["demand"])
            let vehicles = modelFile(tm["vehicles"])
            let turns = modelFile(tm["banned_turns"])
            let geometry = modelFile(tm["geometry"])
            if let n, let l {
                traffic = TrafficFiles(
                    nodes: n, links: l, demand: demand, vehicles: vehicles, turns: turns, geometry: geometry,
                    zonesAreThrough: through)
            }
        }
        var energy: EnergyFiles?
        if let e = m["energy"],
            let em = r.mapping(
                e, allowed: ["grid", "buildings", "assets"], required: ["grid", "buildings", "assets"], what: "energy")
        {
            let g = modelFile(em["grid"])
            let b = modelFile(em["buildings"])
            let a = modelFile(em["assets"])
            if let g, let b, let a { energy = EnergyFiles(grid: g, buildings: b, assets: a) }
        }
        let terrainPath = m["terrain"].flatMap { modelFile($0) }
        let landcoverPath = m["landcover"].flatMap { modelFile($0) }
        if m["landcover"] != nil && m["terrain"] == nil, let lc = m["landcover"] {
            r.report(lc, 26, "land cover needs a terrain", hint: "add 'terrain:' or remove 'landcover:'")
        }
        if m["terrain"] == nil && traffic == nil && m["traffic"] == nil {
            r.report(
                root, 23, "the model has neither terrain nor a traffic network",
                hint: "add 'terrain: terrain.asc' and/or a 'traffic:' section")
        }
        if !r.diagnostics.isEmpty { throw InputError(r.diagnostics) }
        var model = CityModel(
            directory: directory, name: name, epsg: epsg, terrain: nil, landcover: nil, classes: classes,
            seaLevel: seaLevel, boundaries: boundaries, traffic: traffic, energy: energy)
        model.terrainFile = terrainPath
        model.landcoverFile = landcoverPath
        if rasters { try model.loadRasters() }
        return model
    }

    /// The terrain and land-cover files (nil: none).
    public var terrainFile: String?
    public var landcoverFile: String?

    /// Plausible terrain heights (m): below the deepest ocean trench or above the highest summit is an error.
    static let terrainRange = -11_000.0...9_000.0

    /// Reads the terrain and land cover (checked cell by cell: heights in range, no NODATA, land-cover codes that
    /// are whole numbers of a class, both rasters on one georeferenced grid).
    public mutating func loadRasters() throws {
        guard let terrainPath = terrainFile else { return }
        let t = try AsciiGrid.read(path: terrainPath, epsg: epsg)
        let g = t.geometry
        var heights = [Double](repeating: 0, count: g.count)
        for (k, v) in t.values.enumerated() {
            guard let v else {
                throw InputError(
                    SourceLocation(file: terrainPath), code: "E-MODEL-030",
                    message: "terrain has a NODATA cell at column \(k % g.nx), row \(k / g.nx)",
                    hint: "fill voids when importing (citytwin import fills SRTM voids)")
            }
            guard Self.terrainRange.contains(v) else {
                throw InputError(
                    SourceLocation(file: terrainPath), code: "E-MODEL-033",
                    message: "terrain height \(v) m at column \(k % g.nx), row \(k / g.nx) is not plausible",
                    hint: "heights must lie between -11000 and 9000 m; mark missing cells with the NODATA_value")
            }
            heights[k] = v
        }
        terrain = Raster(geometry: g, values: heights)
        guard let p = landcoverFile else { return }
        let l = try AsciiGrid.read(path: p, epsg: epsg)
        let lg = l.geometry
        guard lg.nx == g.nx, lg.ny == g.ny else {
            throw InputError(
                SourceLocation(file: p), code: "E-MODEL-031",
                message: "land cover is \(lg.nx) x \(lg.ny) cells, terrain \(g.nx) x \(g.ny)",
                hint: "both rasters must cover the same grid")
        }
        guard lg.cellSize == g.cellSize, lg.xllCorner == g.xllCorner, lg.yllCorner == g.yllCorner else {
            throw InputError(
                SourceLocation(file: p), code: "E-MODEL-034",
                message:
                    "land cover is georeferenced at (\(lg.xllCorner), \(lg.yllCorner)) with \(lg.cellSize) m cells, "
                    + "terrain at (\(g.xllCorner), \(g.yllCorner)) with \(g.cellSize) m",
                hint: "both rasters must cover the same grid: same corner and cell size")
        }
        let codes = Set(classes.map(\.code))
        var vals = [Int](repeating: 0, count: l.values.count)
        for (k, v) in l.values.enumerated() {
            let at = "column \(k % lg.nx), row \(k / lg.nx)"
            guard let v else {
                throw InputError(
                    SourceLocation(file: p), code: "E-MODEL-035", message: "land cover has a NODATA cell at \(at)",
                    hint: "give every cell a class code")
            }
            guard let c = Int(exactly: v), codes.contains(c) else {
                let whole = Int(exactly: v) != nil
                throw InputError(
                    SourceLocation(file: p), code: "E-MODEL-032",
                    message: whole
                        ? "land cover code \(Int(exactly: v)!) at \(at) is not in model.yaml classes"
                        : "land cover value \(v) at \(at) is not a class code (a whole number from 0 to 255)",
                    hint: whole ? "add a class with code \(Int(exactly: v)!) to model.yaml" : "class codes are 0-255")
            }
            vals[k] = c
        }
        landcover = Raster(geometry: g, values: vals)
    }

    /// Loads the road network (and the OD demand if the model has one).
    public func loadTraffic() throws -> (network: RoadNetwork, demand: ODMatrix?) {
        guard let t = traffic else {
            throw InputError(
                SourceLocation(file: directory + "/model.yaml"), code: "E-MODEL-040",
                message: "model '\(name)' has no traffic section",
                hint: "import a network first, e.g. 'citytwin import tntp NET.tntp --trips TRIPS.tntp -o DIR'")
        }
        func text(_ p: String) throws -> String { try InputFile.text(p, what: "the table") }
        var net = try RoadNetwork.fromCSV(
            nodes: try text(t.nodes), nodesFile: t.nodes, links: try text(t.links), linksFile: t.links,
            zonesAreThrough: t.zonesAreThrough)
        if let tp = t.turns { try net.readBannedTurns(try text(tp), file: tp) }
        if let gp = t.geometry { try net.readShapes(try text(gp), file: gp) }
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
        return try VehiclePlans.fromCSV(try InputFile.text(p, what: "the vehicles table"), file: p, on: network)
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
