import Foundation
import SimCore
import SimIO

extension ResultData {
    static let layerNames = [
        "link": "links", "bus": "buses", "trafo": "transformers", "building": "buildings", "asset": "substations",
    ]

    /// A `compare.h5`: per alternative, the flood grids' Δ / half-width / significance as three-band rasters, the
    /// newly wet and newly dry cells (seed means on either side of `wetThreshold`) as masks, and one layer per
    /// entity kind with every variable's statistics as fields; the KPI table from the file's `kpi_table`.
    mutating func readComparison(_ root: H5Group) throws {
        try readProvenance(root, keys: ["title", "alternatives", "confidence", "fdr", "engine_version"])
        if let table = try root.stringAttribute("kpi_table") { kpis = Self.parseKPITable(table) }
        for alt in try root.memberNames() where try root.isGroup(alt) {
            alternatives.append(alt)
            let a = try root.group(alt)
            for domain in try a.memberNames() where try a.isGroup(domain) {
                let g = try a.group(domain)
                epsg = try epsg ?? GeoReference.epsg(of: g)
                let names = try g.memberNames()
                let variables = names.filter { $0.hasSuffix("_delta") }.map { String($0.dropLast(6)) }
                if let x = try array(g, "x"), let y = try array(g, "y"), let gt = GeoReference.geoTransform(x: x, y: y)
                {
                    try readComparisonGrids(g, alt: alt, domain: domain, variables: variables, x: x, y: y, gt: gt)
                }
                for geometry in try GeoReference.geometries(in: g) {
                    try readComparisonLayer(g, alt: alt, variables: variables, geometry: geometry)
                }
            }
        }
    }

    mutating func readComparisonGrids(
        _ g: H5Group, alt: String, domain: String, variables: [String], x: [Double], y: [Double], gt: [Double]
    ) throws {
        let up = y.count > 1 && y[1] > y[0]
        let (w, h) = (x.count, y.count)
        for v in variables {
            let d = try g.dataset(v + "_delta")
            guard try d.shape == [h, w] else { continue }
            let units = try d.stringAttribute("units") ?? ""
            var bands: [RasterBand] = []
            for (suffix, u) in [("delta", units), ("halfwidth", units), ("significant", "1")] {
                guard let values = try array(g, v + "_" + suffix) else { continue }
                bands.append(
                    RasterBand(
                        name: suffix, units: u, values: Self.northUp(values, width: w, height: h, yIncreasing: up),
                        noData: suffix == "significant" ? nil : .nan))
            }
            rasters.append(
                Raster(
                    name: "\(alt).\(domain).\(v)",
                    longName: "\(alt) against its base: \(v) (Δ, half-width, significant)",
                    width: w, height: h, geoTransform: gt, bands: bands))
        }
        if let delta = try array(g, "max_depth_delta"), let base = try array(g, "max_depth_mean_base") {
            let t = Self.wetThreshold
            let wet = zip(delta, base).map { d, b -> UInt8 in b + d > t && !(b > t) ? 1 : 0 }
            let dry = zip(delta, base).map { d, b -> UInt8 in b > t && !(b + d > t) ? 1 : 0 }
            for (name, cells) in [("newly_wet", wet), ("newly_dry", dry)] {
                let north = Self.northUp(cells.map(Double.init), width: w, height: h, yIncreasing: up)
                masks.append(
                    Mask(
                        name: "\(alt).\(name)",
                        longName: "\(name.replacingOccurrences(of: "_", with: " ")) (mean max depth "
                            + "over the seeds on either side of \(t) m)", width: w, height: h, geoTransform: gt,
                        cells: north.map { $0 > 0 ? 1 : 0 }))
            }
        }
    }

    mutating func readComparisonLayer(_ g: H5Group, alt: String, variables: [String], geometry: Geometry) throws {
        guard let x = try array(g, geometry.x), let y = try array(g, geometry.y) else { return }
        let dim = geometry.dimension
        var start: [Int] = []
        var count = x.count
        if let nc = geometry.nodeCount, let counts = try array(g, nc) {
            start = [0]
            for c in counts { start.append(start.last! + Int(c)) }
            count = counts.count
        }
        var fields: [Field] = []
        for v in variables {
            let d = try g.dataset(v + "_delta")
            guard try d.shape == [count], try d.stringAttribute("geometry") == geometry.name else { continue }
            let units = try d.stringAttribute("units") ?? ""
            for suffix in ["delta", "halfwidth", "p", "significant", "mean_base"] {
                guard let values = try array(g, v + "_" + suffix) else { continue }
                fields.append(Field(v + "_" + suffix, suffix == "p" || suffix == "significant" ? "1" : units, values))
            }
        }
        guard !fields.isEmpty else { return }
        let ids = try g.exists(dim + "_id") ? try g.dataset(dim + "_id").readStrings() : (0..<count).map(String.init)
        layers.append(
            Layer(
                name: "\(alt).\(Self.layerNames[dim] ?? dim + "s")", kind: start.isEmpty ? .point : .line, ids: ids,
                x: x,
                y: y, start: start, fields: fields))
    }

    /// The rows of `compare.csv` (Comparison.csvHeader's columns).
    static func parseKPITable(_ text: String) -> [KPI] {
        var out: [KPI] = []
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 13 else { continue }
            let n = { (s: String) in Double(s) ?? .nan }
            var k = KPI(domain: f[0], name: f[1], units: f[2], value: n(f[6]))
            k.alternative = f[3]
            k.base = f[4]
            k.n = Int(f[5]) ?? 0
            k.meanBase = n(f[7])
            k.delta = n(f[8])
            k.low = n(f[9])
            k.high = n(f[10])
            k.p = n(f[12])
            out.append(k)
        }
        return out
    }
}
