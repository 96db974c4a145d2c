import Foundation
import SimCore
import SimIO

/// `citytwin export`: a result or compare file to the formats GIS and spreadsheets open, through GDAL: rasters as
/// Cloud-Optimized GeoTIFF, entity layers as one GeoPackage (model CRS) and as GeoJSON (RFC 7946, EPSG:4326), time
/// series and KPIs as CSV with units in the header. Everything is written into a staging folder first and moved into
/// place only when all of it succeeded; existing files are kept unless `overwrite`.
public struct ResultExport: Sendable {
    public enum Format: String, CaseIterable, Sendable { case cog, gpkg, geojson, csv }

    public var input: String
    public var directory: String
    /// nil: every format the input has data for.
    public var formats: [Format]?
    /// Product names to export (`max_depth`, `hazard_rating`, `links`, `buses`, `traffic` series, `kpis`, ...);
    /// nil: all of them.
    public var variables: [String]?
    /// Output times for depth rasters (`2h`, `90m`, `7200s`, `1h30m`, or an ISO 8601 time).
    public var times: [String]
    public var overwrite: Bool

    public init(
        input: String, directory: String, formats: [Format]? = nil, variables: [String]? = nil, times: [String] = [],
        overwrite: Bool = false
    ) {
        self.input = input
        self.directory = directory
        self.formats = formats
        self.variables = variables
        self.times = times
        self.overwrite = overwrite
    }

    /// One file to write: its name in the target folder and how to write it at a path.
    struct Product {
        var file: String
        var write: (String) throws -> Void
    }

    /// Writes the export; returns the paths written, in order.
    @discardableResult
    public func run() throws -> [String] {
        let data = try ResultData.read(input, depthAt: [])
        let seconds = try times.map {
            try Self.seconds($0, start: data.provenance.first { $0.key == "start_time" }?.value)
        }
        for (t, s) in zip(times, seconds) where !data.depthTimes.contains(where: { abs($0 - s) < 0.5 }) {
            guard let near = data.depthTimes.min(by: { abs($0 - s) < abs($1 - s) }) else {
                throw RunError(
                    "--times \(t): '\(input)' has no depth snapshots (no flood group, or no outputs)",
                    hint: "drop --times; depth rasters need a flood run")
            }
            throw RunError(
                "--times \(t): no output at \(ResultData.clock(s)); did you mean \(ResultData.clock(near))?",
                hint: "outputs are at \(ResultData.clock(data.depthTimes.first!)) ... "
                    + "\(ResultData.clock(data.depthTimes.last!)) every "
                    + "\(ResultData.clock(data.depthTimes.count > 1 ? data.depthTimes[1] - data.depthTimes[0] : 0))")
        }
        let full = seconds.isEmpty ? data : try ResultData.read(input, depthAt: seconds)
        let products = try plan(full)
        return try Self.writeAll(products, into: directory, overwrite: overwrite)
    }

    /// The products of `data` that the formats and variables ask for.
    func plan(_ data: ResultData) throws -> [Product] {
        let wanted = Set(formats ?? Format.allCases)
        if wanted.contains(.cog), formats != nil, data.rasters.isEmpty {
            throw RunError(
                "'\(input)' has no flood grid to export as rasters",
                hint: data.kind == .run
                    ? "rasters come from a job with a flood: section; use --format gpkg,geojson,csv for this result"
                    : "this comparison has no flood variables; use --format gpkg,geojson,csv")
        }
        // a variable name selects a product by its full name or its last part (`max_depth` in every alternative)
        let catalogue =
            data.rasters.map(\.name) + data.layers.map(\.name) + data.masks.map(\.name) + data.series.map(\.name)
            + ["kpis"]
        func short(_ n: String) -> String { String(n.split(separator: ".").last ?? Substring(n)) }
        if let variables {
            for v in variables where !catalogue.contains(where: { $0 == v || short($0) == v }) {
                let names = Array(Set(catalogue.map(short))).sorted()
                let hint = DidYouMean.suggest(v, from: names).map { "did you mean '\($0)'? " } ?? ""
                throw RunError(
                    "--vars \(v): '\(input)' has no such variable or layer",
                    hint: hint + "it has: " + names.joined(separator: ", "))
            }
        }
        func selected(_ name: String) -> Bool {
            guard let variables else { return true }
            return variables.contains { $0 == name || $0 == short(name) }
        }
        let srs = try data.epsg.map { try SpatialReference(epsg: $0) }
        var out: [Product] = []
        if wanted.contains(.cog) {
            for r in data.rasters where selected(r.name) {
                out.append(
                    Product(file: r.name + ".tif") { path in
                        try GDAL.writeCOG(
                            path, width: r.width, height: r.height, geoTransform: r.geoTransform, srs: srs,
                            bands: r.bands,
                            metadata: [
                                "TIFFTAG_IMAGEDESCRIPTION": r.longName, "SOURCE": data.path,
                                "TIFFTAG_SOFTWARE": "CityTwin \(CityTwinVersion.string) (GDAL \(GDAL.version))",
                            ])
                    })
            }
        }
        let layers = data.layers.filter { selected($0.name) }
        let masks = data.masks.filter { selected($0.name) }
        let stem = ((input as NSString).lastPathComponent as NSString).deletingPathExtension
        if wanted.contains(.gpkg), !layers.isEmpty || !masks.isEmpty {
            out.append(
                Product(file: stem + ".gpkg") { path in
                    try Self.writeVector(path, driver: "GPKG", layers: layers, masks: masks, srs: srs, options: [])
                })
        }
        if wanted.contains(.geojson) {
            for l in layers {
                out.append(
                    Product(file: l.name + ".geojson") { path in
                        try Self.writeVector(
                            path, driver: "GeoJSON", layers: [l], masks: [], srs: srs,
                            options: ["RFC7946=YES", "SIGNIFICANT_FIGURES=17"])
                    })
            }
            for m in masks {
                out.append(
                    Product(file: m.name + ".geojson") { path in
                        try Self.writeVector(
                            path, driver: "GeoJSON", layers: [], masks: [m], srs: srs,
                            options: ["RFC7946=YES", "SIGNIFICANT_FIGURES=17"])
                    })
            }
        }
        if wanted.contains(.csv) {
            for s in data.series where selected(s.name) {
                out.append(Product(file: "series-\(s.name).csv") { try Self.writeText($0, Self.csv(s)) })
            }
            if selected("kpis"), !data.kpis.isEmpty {
                out.append(Product(file: "kpis.csv") { try Self.writeText($0, Self.csv(data.kpis, data.kind)) })
            }
        }
        if out.isEmpty {
            throw RunError(
                "nothing to export from '\(input)' for --format "
                    + (formats ?? Format.allCases).map(\.rawValue).joined(separator: ","),
                hint: "check --vars and --format against `citytwin export --help`")
        }
        return out
    }

    /// Seconds since the job's start of `2h`, `90min`, `90m`, `7200s`, `1h30m`, `3600` or an ISO 8601 date-time.
    static func seconds(_ s: String, start: String?) throws -> Double {
        if let v = Double(s), v.isFinite, v >= 0 { return v }
        var total = 0.0
        var rest = Substring(s)
        while let first = rest.first, first.isNumber {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unit.count)
            guard let v = Double(number), let scale = ["h": 3600.0, "min": 60, "m": 60, "s": 1][String(unit)] else {
                break
            }
            total += v * scale
            if rest.isEmpty { return total }
        }
        let iso = ISO8601DateFormatter()
        if let t = iso.date(from: s), let st = start.flatMap({ iso.date(from: $0) }) {
            return t.timeIntervalSince(st)
        }
        throw RunError(
            "--times \(s): not a time", hint: "give a time since the start (2h, 90m, 7200s, 1h30m) or ISO 8601")
    }
}
