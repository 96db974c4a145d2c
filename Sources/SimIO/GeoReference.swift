import Foundation
import SimCore

/// CF-1.8 georeferencing of a result group: the grid-mapping variable `spatial_ref` (CF §5.6 with `crs_wkt`, plus
/// GDAL's `spatial_ref` and `GeoTransform`, so GDAL, QGIS, rioxarray and xarray all find the CRS) and the
/// simple-geometry containers (CF §7.5) that place per-entity variables on the map.
public enum GeoReference {
    public static let variable = "spatial_ref"

    /// GDAL's geotransform (x0, dx, 0, y0, 0, -dy: top-left corner, north up) of a regular grid from its cell-centre
    /// coordinates, whichever way they run; nil for fewer than two cells along an axis.
    public static func geoTransform(x: [Double], y: [Double]) -> [Double]? {
        guard x.count >= 2, y.count >= 2 else { return nil }
        let dx = abs(x[1] - x[0])
        let dy = abs(y[1] - y[0])
        let left = x.min()! - dx / 2
        let top = y.max()! + dy / 2
        return [left, dx, 0, top, 0, -dy]
    }

    /// Writes `spatial_ref` into `group`: a scalar whose attributes describe `srs`.
    public static func writeGridMapping(in group: H5Group, srs: SpatialReference, geoTransform: [Double]?) throws {
        let d = try group.write(variable, .int32([0]), shape: [])
        let wkt2 = try srs.wkt2
        try d.setAttribute("crs_wkt", wkt2)
        try d.setAttribute("spatial_ref", try srs.wkt1)
        try d.setAttribute("epsg_code", "EPSG:\(srs.epsg)")
        try d.setAttribute("long_name", "CRS definition: \(srs.name)")
        if let name = srs.cfGridMappingName { try d.setAttribute("grid_mapping_name", name) }
        for (k, v) in srs.cfAttributes.sorted(by: { $0.key < $1.key }) { try d.setAttribute(k, v) }
        if let gt = geoTransform {
            try d.setAttribute("GeoTransform", gt.map { String(format: "%.17g", $0) }.joined(separator: " "))
        }
    }

    /// Writes the geometry container of `geometry` and marks its coordinate arrays (already in `group`).
    public static func writeGeometry(in group: H5Group, _ geometry: Geometry, gridMapped: Bool) throws {
        let c = try group.write(geometry.name, .int32([0]), shape: [])
        try c.setAttribute("geometry_type", geometry.kind.rawValue)
        try c.setAttribute("node_coordinates", geometry.x + " " + geometry.y)
        if let n = geometry.nodeCount { try c.setAttribute("node_count", n) }
        try c.setAttribute("long_name", "where each \(geometry.dimension) is (CF-1.8 simple geometry)")
        if gridMapped { try c.setAttribute("grid_mapping", variable) }
        for (name, axis, standard) in [
            (geometry.x, "X", "projection_x_coordinate"), (geometry.y, "Y", "projection_y_coordinate"),
        ] where try group.exists(name) {
            let d = try group.dataset(name)
            try d.setAttribute("axis", axis)
            try d.setAttribute("standard_name", standard)
        }
    }

    /// The geometries a group declares (its containers), read back.
    public static func geometries(in group: H5Group) throws -> [Geometry] {
        var out: [Geometry] = []
        for name in try group.memberNames() where name.hasSuffix("_geometry") {
            let d = try group.dataset(name)
            guard let type = try d.stringAttribute("geometry_type"), let kind = Geometry.Kind(rawValue: type),
                let nodes = try d.stringAttribute("node_coordinates")?.split(separator: " "), nodes.count == 2
            else { continue }
            out.append(
                Geometry(
                    String(name.dropLast("_geometry".count)), kind: kind, x: String(nodes[0]), y: String(nodes[1]),
                    nodeCount: try d.stringAttribute("node_count")))
        }
        return out
    }

    /// The EPSG code of a group's `spatial_ref`, if it has one.
    public static func epsg(of group: H5Group) throws -> Int? {
        guard try group.exists(variable), let code = try group.dataset(variable).stringAttribute("epsg_code"),
            code.hasPrefix("EPSG:")
        else { return nil }
        return Int(code.dropFirst(5))
    }

    /// Copies `spatial_ref` and the geometries along `dimensions` (containers and coordinate arrays) from a result
    /// group to another file's group (a compare output), so its per-entity variables map without the result.
    public static func copy(from source: H5Group, to target: H5Group, dimensions: Set<String>) throws {
        if let e = try epsg(of: source), !(try target.exists(variable)) {
            let gt = try source.dataset(variable).stringAttribute("GeoTransform")
            try writeGridMapping(
                in: target, srs: try SpatialReference(epsg: e),
                geoTransform: gt?.split(separator: " ").compactMap { Double($0) })
        }
        for g in try geometries(in: source) where dimensions.contains(g.dimension) {
            for name in [g.x, g.y] + (g.nodeCount.map { [$0] } ?? []) where !(try target.exists(name)) {
                let d = try target.write(name, try source.dataset(name).read(), compress: true)
                try d.setAttribute("units", name == g.nodeCount ? "1" : "m")
            }
            try writeGeometry(in: target, g, gridMapped: try target.exists(variable))
        }
    }
}
