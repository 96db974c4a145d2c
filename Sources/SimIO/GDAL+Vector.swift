import CGDAL
import Foundation

/// A vector dataset being written (GeoPackage, GeoJSON, ...): layers of features with typed attribute fields.
/// `close()` finishes it (a failed flush throws); a dataset dropped without `close()` is closed quietly.
public final class VectorFile {
    public enum Field: Sendable {
        case real(String)
        case integer(String)
        case text(String)
    }
    public enum Value: Sendable {
        case real(Double)
        case integer(Int64)
        case text(String)
        case null
    }
    public enum Shape: Sendable {
        case point(Double, Double)
        /// A polyline through `x[k], y[k]`.
        case line(x: ArraySlice<Double>, y: ArraySlice<Double>)
        case none
    }
    public enum Kind: Sendable {
        case point, line, polygon
        var ogr: OGRwkbGeometryType {
            switch self {
            case .point: wkbPoint
            case .line: wkbLineString
            case .polygon: wkbPolygon
            }
        }
    }

    public let path: String
    var dataset: GDALDatasetH?

    /// Creates `path` with GDAL's `driver` ("GPKG", "GeoJSON"); the file must not exist.
    public init(_ path: String, driver name: String) throws {
        self.path = path
        let d = try GDAL.driver(name, for: path)
        dataset = try GDAL.handle("GDALCreate \(name)", path) { GDALCreate(d, path, 0, 0, 0, GDT_Unknown, nil) }
    }
    deinit { if let dataset { GDALClose(dataset) } }

    public func close() throws {
        guard let ds = dataset else { return }
        dataset = nil
        try GDAL.call("GDALClose", path, ok: { (_: Void) in true }) { GDALClose(ds) }
    }

    /// A new layer; `options` are the driver's layer-creation options (e.g. `RFC7946=YES` for GeoJSON).
    public func layer(
        _ name: String, kind: Kind, srs: SpatialReference?, fields: [Field], options: [String] = []
    ) throws -> Layer {
        guard let ds = dataset else { throw GDALError(operation: "create layer", path: path, message: "closed") }
        let layer = try GDAL.withOptions(options) { o in
            try GDAL.handle("GDALDatasetCreateLayer \(name)", path) {
                GDALDatasetCreateLayer(ds, name, srs?.handle, kind.ogr, o)
            }
        }
        for f in fields {
            let (n, t): (String, OGRFieldType) =
                switch f {
                case .real(let n): (n, OFTReal)
                case .integer(let n): (n, OFTInteger64)
                case .text(let n): (n, OFTString)
                }
            let defn = OGR_Fld_Create(n, t)
            defer { OGR_Fld_Destroy(defn) }
            try GDAL.ogr("OGR_L_CreateField \(n)", path) { OGR_L_CreateField(layer, defn, 1) }
        }
        return Layer(handle: layer, path: path + ":" + name, count: fields.count)
    }

    /// Runs `body` in one transaction (GeoPackage: one SQLite commit instead of one per feature).
    public func transaction(_ body: () throws -> Void) throws {
        guard let ds = dataset else { return }
        // drivers without transactions (GeoJSON) write as they go
        guard GDALDatasetTestCapability(ds, "Transactions") != 0 else { return try body() }
        try GDAL.ogr("GDALDatasetStartTransaction", path) { GDALDatasetStartTransaction(ds, 1) }
        do {
            try body()
        } catch {
            _ = GDALDatasetRollbackTransaction(ds)
            throw error
        }
        try GDAL.ogr("GDALDatasetCommitTransaction", path) { GDALDatasetCommitTransaction(ds) }
    }

    public struct Layer {
        let handle: OGRLayerH
        let path: String
        let count: Int

        /// Adds one feature: its shape and one value per field, in the fields' order.
        public func add(_ shape: Shape, _ values: [Value]) throws {
            precondition(values.count == count, "one value per field")
            let f = try GDAL.handle("OGR_F_Create", path) { OGR_F_Create(OGR_L_GetLayerDefn(handle)) }
            defer { OGR_F_Destroy(f) }
            for (i, v) in values.enumerated() {
                switch v {
                case .real(let x) where x.isFinite: OGR_F_SetFieldDouble(f, Int32(i), x)
                case .real: OGR_F_SetFieldNull(f, Int32(i))
                case .integer(let x): OGR_F_SetFieldInteger64(f, Int32(i), x)
                case .text(let s): OGR_F_SetFieldString(f, Int32(i), s)
                case .null: OGR_F_SetFieldNull(f, Int32(i))
                }
            }
            switch shape {
            case .point(let x, let y):
                let g = OGR_G_CreateGeometry(wkbPoint)
                OGR_G_AddPoint_2D(g, x, y)
                OGR_F_SetGeometryDirectly(f, g)
            case .line(let xs, let ys):
                let g = OGR_G_CreateGeometry(wkbLineString)
                for (x, y) in zip(xs, ys) { OGR_G_AddPoint_2D(g, x, y) }
                OGR_F_SetGeometryDirectly(f, g)
            case .none:
                break
            }
            try GDAL.ogr("OGR_L_CreateFeature", path) { OGR_L_CreateFeature(handle, f) }
        }

        /// Adds the polygons of the 8-connected regions of a 0/1 mask (GDALPolygonize), each with `value` in the
        /// layer's first field; zero cells are left out.
        public func polygonize(
            mask: [UInt8], width: Int, height: Int, geoTransform: [Double], srs: SpatialReference?
        ) throws {
            let mem = try GDAL.driver("MEM", for: path)
            let ds = try GDAL.handle("GDALCreate MEM", path) {
                GDALCreate(mem, "", Int32(width), Int32(height), 1, GDT_Byte, nil)
            }
            defer { GDALClose(ds) }
            var gt = geoTransform
            try GDAL.status("GDALSetGeoTransform", path) { GDALSetGeoTransform(ds, &gt) }
            if let srs {
                let wkt = try srs.wkt1
                try GDAL.status("GDALSetProjection", path) { GDALSetProjection(ds, wkt) }
            }
            let band = try GDAL.handle("GDALGetRasterBand", path) { GDALGetRasterBand(ds, 1) }
            var m = mask
            try GDAL.status("GDALRasterIO mask", path) {
                m.withUnsafeMutableBytes { p in
                    GDALRasterIO(
                        band, GF_Write, 0, 0, Int32(width), Int32(height), p.baseAddress, Int32(width), Int32(height),
                        GDT_Byte, 0, 0)
                }
            }
            try GDAL.withOptions(["8CONNECTED=8"]) { o in
                try GDAL.status("GDALPolygonize", path) { GDALPolygonize(band, band, handle, 0, o, nil, nil) }
            }
        }
    }
}
