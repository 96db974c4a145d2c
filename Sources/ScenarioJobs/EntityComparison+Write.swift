import Foundation
import SimCore
import SimIO

extension EntityComparison {
    /// `compare.h5`: one group per alternative (`/<alternative>/<domain>/`), each variable as `<name>_delta`,
    /// `<name>_halfwidth`, `<name>_p`, `<name>_significant` (1: differs after FDR control) and `<name>_mean_base`
    /// on the results' own coordinates (dimension scales `link`, `vehicle`, `x`/`y`, ... with their `_id` labels),
    /// so xarray maps them directly (`xr.open_dataset(f, group="wall/flood")`). Written atomically.
    public func write(to path: String, overwrite: Bool = true, kpiTable: String? = nil) throws {
        try H5File.writeAtomically(path, overwrite: overwrite) { f in
            let root = try f.root
            // the KPI comparison (compare.csv's rows), so a report of this file needs nothing beside it
            if let kpiTable { try root.setAttribute("kpi_table", kpiTable) }
            try root.setAttribute("title", "CityTwin comparison: per-entity paired differences to the base")
            try root.setAttribute("confidence", confidence)
            try root.setAttribute("fdr", fdr)
            try root.setAttribute("engine_version", CityTwinVersion.string)
            try root.setAttribute("alternatives", alternatives.map(\.name).joined(separator: ","))
            for alt in alternatives {
                let g = try root.createGroup(alt.name)
                try g.setAttribute("base", alt.base)
                try g.setAttribute(
                    "configuration_difference",
                    alt.configuration.map { "\($0.key): \($0.base) -> \($0.value)" }.joined(separator: "\n"))
                var domains: [String: H5Group] = [:]
                var scales: [String: [String: H5Dataset]] = [:]
                var geometries: [String: [Geometry]] = [:]
                let base = try alt.baseResult.map { try H5File.open($0) }
                for v in alt.variables {
                    if domains[v.domain] == nil {
                        domains[v.domain] = try g.createGroup(v.domain)
                        scales[v.domain] = [:]
                        let dims = Set(alt.variables.filter { $0.domain == v.domain }.flatMap(\.dims))
                        if let base, try base.root.exists(v.domain) {
                            let source = try base.root.group(v.domain)
                            try GeoReference.copy(from: source, to: domains[v.domain]!, dimensions: dims)
                            geometries[v.domain] = try GeoReference.geometries(in: source).filter {
                                dims.contains($0.dimension)
                            }
                        }
                    }
                    let dg = domains[v.domain]!
                    let mapped = try dg.exists(GeoReference.variable)
                    let geometry = geometries[v.domain]?.first { v.dims.contains($0.dimension) }
                    for dim in v.dims where scales[v.domain]![dim] == nil {
                        let values: [Double]
                        switch dim {
                        case "x": values = gridX ?? []
                        case "y": values = gridY ?? []
                        default: values = (0..<(v.ids?.count ?? v.delta.count)).map(Double.init)
                        }
                        let d = try dg.write(dim, .float64(values))
                        try d.makeScale(dim)
                        try d.setAttribute("units", dim == "x" || dim == "y" ? "m" : "1")
                        for (a, value) in gridAttributes.sorted(by: { $0.key < $1.key }) where dim == "x" || dim == "y"
                        {
                            try d.setAttribute(a, value)
                        }
                        if let ids = v.ids {
                            let ld = try dg.writeStrings(dim + "_id", ids)
                            try ld.setAttribute("long_name", "id of each \(dim)")
                            try ld.attach(scale: d, dim: 0)
                        }
                        scales[v.domain]![dim] = d
                    }
                    let shape = v.dims.map { scales[v.domain]![$0]!.shapeCount }
                    let fields: [(String, ArrayData, String, String)] = [
                        (
                            "delta", .float64(v.delta), v.units,
                            "mean paired difference to \(alt.base) of the \(v.longName)"
                        ),
                        ("halfwidth", .float64(v.halfWidth), v.units, "half-width of its \(confidence) interval"),
                        ("p", .float64(v.p), "1", "two-sided paired t-test p-value"),
                        ("significant", .uint8(v.significant), "1", "1: differs after Benjamini-Hochberg at \(fdr)"),
                        ("mean_base", .float64(v.meanBase), v.units, "\(alt.base): mean of the \(v.longName)"),
                    ]
                    for (suffix, data, units, long) in fields {
                        let d = try dg.write(v.name + "_" + suffix, data, shape: shape, compress: true)
                        try d.setAttribute("units", units)
                        try d.setAttribute("long_name", long)
                        for (i, dim) in v.dims.enumerated() { try d.attach(scale: scales[v.domain]![dim]!, dim: i) }
                        if mapped, v.dims.contains("x") || geometry != nil {
                            try d.setAttribute("grid_mapping", GeoReference.variable)
                            let points = geometry.map { $0.kind == .point ? "\($0.x) \($0.y) " : "" } ?? ""
                            try d.setAttribute("coordinates", points + GeoReference.variable)
                        }
                        if let geometry { try d.setAttribute("geometry", geometry.name) }
                    }
                    try dg.setAttribute(v.name + "_significant_count", Int64(v.significantCount))
                }
                if let c = alt.contingency, let fg = domains["flood"] {
                    try fg.setAttribute("extent_threshold", c.threshold)
                    try fg.setAttribute("hit_rate", c.hitRate)
                    try fg.setAttribute("false_alarm_ratio", c.falseAlarmRatio)
                    try fg.setAttribute("critical_success_index", c.criticalSuccessIndex)
                    try fg.setAttribute("newly_wet_area", c.newlyWetArea)
                    try fg.setAttribute("newly_dry_area", c.newlyDryArea)
                }
            }
        }
    }

    /// Lines for the terminal: per alternative, how many entities differ, the flood extent scores and the
    /// configuration difference.
    public var summary: [String] {
        var lines: [String] = []
        let pct = String(format: "%g", 100 * fdr)
        for alt in alternatives {
            lines.append("\(alt.name) against \(alt.base):")
            if alt.configuration.isEmpty {
                lines.append("  configuration: the same as \(alt.base)")
            } else {
                for c in alt.configuration.prefix(12) {
                    lines.append("  configuration: \(c.key): \(c.base) → \(c.value)")
                }
                if alt.configuration.count > 12 {
                    lines.append("  configuration: \(alt.configuration.count - 12) more")
                }
            }
            for v in alt.variables {
                lines.append(
                    "  \(v.domain) \(v.name): \(v.significantCount) of \(v.testedCount) \(Self.plural(v.dims)) "
                        + "differ (FDR \(pct) %)")
            }
            if let c = alt.contingency {
                lines.append(
                    String(
                        format:
                            "  flood extent at %g m: hit rate %.3f, false alarm ratio %.3f, CSI %.3f; "
                            + "newly wet %.0f m², "
                            + "newly dry %.0f m²", c.threshold, c.hitRate, c.falseAlarmRatio, c.criticalSuccessIndex,
                        c.newlyWetArea, c.newlyDryArea))
            }
        }
        return lines
    }
}

extension EntityComparison {
    static func plural(_ dims: [String]) -> String {
        if dims.count == 2 { return "cells" }
        return dims[0].hasSuffix("s") ? dims[0] + "es" : dims[0] + "s"
    }
}

extension H5Dataset {
    var shapeCount: Int { (try? shape.reduce(1, *)) ?? 0 }
}
