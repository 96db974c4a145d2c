import FloodModel
import Foundation
import SimCore
import SimIO

/// A result file or a `compare.h5`, read into what analysts take away: rasters on the flood grid, vector layers of
/// entities (links, buses, transformers, substations, buildings) with their attributes, time series and KPIs.
/// `citytwin export` writes it through GDAL, `citytwin report` draws it; both show the HDF5's values unchanged.
public struct ResultData: Sendable {
    public enum Kind: Sendable { case run, comparison }
    public struct Raster: Sendable {
        /// Product name (`max_depth`, `hazard_rating`, `depth_t3600s`, `wall.flood.max_depth`, ...).
        public var name: String
        public var longName: String
        public var width: Int, height: Int
        public var geoTransform: [Double]
        /// Bands in GDAL's row order (north first); one for a run, Δ / half-width / significance for a compare.
        public var bands: [RasterBand]
    }
    public struct Field: Sendable {
        public var name: String, units: String
        public var values: [Double]
        public init(_ name: String, _ units: String, _ values: [Double]) {
            self.name = name
            self.units = units
            self.values = values
        }
    }
    public struct Layer: Sendable {
        public enum Kind: Sendable { case point, line }
        public var name: String
        public var kind: Kind
        public var ids: [String]
        /// Points: one x/y per feature. Lines: feature k has points `start[k] ..< start[k + 1]`.
        public var x: [Double], y: [Double], start: [Int]
        public var fields: [Field]
        public var text: [(name: String, values: [String])] = []
        public var count: Int { ids.count }
        public func field(_ name: String) -> Field? { fields.first { $0.name == name } }
    }
    /// A 0/1 mask on the flood grid to be turned into polygons (newly wet / dry area of a compare).
    public struct Mask: Sendable {
        public var name: String, longName: String
        public var width: Int, height: Int, geoTransform: [Double]
        public var cells: [UInt8]
    }
    public struct Series: Sendable {
        /// `flood`, `traffic`, `energy` (per solver step) or `<group>_snapshots` (per output time).
        public var name: String
        public var time: [Double]
        public var columns: [Field]
    }
    public struct KPI: Sendable {
        public var domain: String, name: String, units: String
        public var value: Double
        /// A compare's row: the alternative, the base, n, Δ, interval and Holm p.
        public var alternative: String? = nil, base: String? = nil
        public var n = 0, delta = Double.nan, low = Double.nan, high = Double.nan, p = Double.nan, meanBase = Double.nan
    }

    public var path: String
    public var kind: Kind
    /// Root attributes that say where the file came from (job, seed, hash, engine, workers, ...).
    public var provenance: [(key: String, value: String)]
    public var epsg: Int?
    public var rasters: [Raster] = []
    public var layers: [Layer] = []
    public var masks: [Mask] = []
    public var series: [Series] = []
    public var kpis: [KPI] = []
    /// Output times (s since start) a depth raster can be taken at.
    public var depthTimes: [Double] = []
    public var alternatives: [String] = []
    public var notes: [String] = []

    /// Reads `path`; `depthAt` adds the depth rasters at those output times (seconds since start).
    public static func read(_ path: String, depthAt: [Double] = []) throws -> ResultData {
        guard FileManager.default.fileExists(atPath: path) else {
            throw RunError("no such file: '\(path)'", hint: "pass a result (.h5) or a compare.h5")
        }
        guard H5File.isHDF5(path) else {
            throw RunError("'\(path)' is not an HDF5 file", hint: "pass a result (.h5) or a compare.h5")
        }
        let f = try H5File.open(path)
        let root = try f.root
        let title = try root.stringAttribute("title") ?? ""
        var d = ResultData(path: path, kind: .run, provenance: [], epsg: nil)
        if title.hasPrefix("CityTwin comparison") {
            d.kind = .comparison
            try d.readComparison(root)
        } else if try root.stringAttribute("job_hash") != nil {
            try d.readRun(root, depthAt: depthAt)
        } else {
            throw RunError(
                "'\(path)' is neither a CityTwin result nor a compare output (no job_hash or comparison title)",
                hint: "pass what `citytwin run` or `citytwin compare` wrote")
        }
        return d
    }

    mutating func readProvenance(_ root: H5Group, keys: [String]) throws {
        for k in keys {
            switch try root.attribute(k) {
            case .string(let s)?: provenance.append((k, s))
            case .ints(let v)?: provenance.append((k, v.map(String.init).joined(separator: ",")))
            case .doubles(let v)?: provenance.append((k, v.map { "\($0)" }.joined(separator: ",")))
            case nil: break
            }
        }
    }

    mutating func readRun(_ root: H5Group, depthAt: [Double]) throws {
        try readProvenance(
            root,
            keys: [
                "job_name", "seed", "job_hash", "engine_version", "git_commit", "workers", "partitions", "start_time",
                "created", "wall_time_s",
            ])
        for group in try root.memberNames() where try root.isGroup(group) {
            let g = try root.group(group)
            epsg = try epsg ?? GeoReference.epsg(of: g)
            try readSeries(g, group: group)
            for name in try g.attributeNames() where name.hasPrefix("kpi_") && !name.hasSuffix("_units") {
                guard let v = try g.doubleAttribute(name) else { continue }
                let units = try g.stringAttribute(name + "_units") ?? ""
                kpis.append(KPI(domain: group, name: String(name.dropFirst(4)), units: units, value: v))
            }
            switch group {
            case "flood": try readFlood(g, depthAt: depthAt)
            case "traffic": try readTraffic(g)
            case "energy": try readEnergy(g)
            default: break
            }
        }
    }

    /// Per-step diagnostics of a group as one series (the variables whose `dimensions` are `step`).
    mutating func readSeries(_ g: H5Group, group: String) throws {
        guard try g.exists("step") else { return }
        let step = try g.dataset("step").read().doubles
        var columns: [Field] = []
        for name in try g.memberNames() where name != "step" {
            let d = try g.dataset(name)
            guard try d.stringAttribute("dimensions") == "step" else { continue }
            columns.append(Field(name, try d.stringAttribute("units") ?? "", try d.read().doubles))
        }
        if !columns.isEmpty { series.append(Series(name: group, time: step, columns: columns)) }
    }

    func array(_ g: H5Group, _ name: String) throws -> [Double]? {
        try g.exists(name) ? try g.dataset(name).read().doubles : nil
    }
}
