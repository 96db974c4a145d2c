import CGDAL
import Foundation
import SimCore

/// An error from GDAL/OGR: what we were doing, on which file, and `CPLGetLastErrorMsg`.
public struct GDALError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var path: String
    public var message: String
    public var description: String { "GDAL \(operation) failed for '\(path)': \(message)" }
}

/// Every GDAL/OGR call goes through `GDAL.call`: drivers registered once, the error handler silenced (errors are
/// thrown, never printed), the thread's error state reset before and read after the call.
public enum GDAL {
    static let registered: Bool = {
        GDALAllRegister()
        CPLSetErrorHandler(CPLQuietErrorHandler)
        return true
    }()

    /// Runs `body`; throws when `ok` says its result is a failure or GDAL raised an error of class CE_Failure or
    /// worse (some drivers report a failed write only through the error state).
    @discardableResult
    static func call<T>(_ op: String, _ path: String, ok: (T) -> Bool, _ body: () -> T) throws -> T {
        _ = registered
        CPLErrorReset()
        let r = body()
        let failed = CPLGetLastErrorType().rawValue >= CE_Failure.rawValue
        if !ok(r) || failed {
            let m = CPLGetLastErrorMsg().map { String(cString: $0) } ?? ""
            CPLErrorReset()
            throw GDALError(operation: op, path: path, message: m.isEmpty ? "(no message)" : m)
        }
        return r
    }
    static func handle<P>(_ op: String, _ path: String, _ body: () -> P?) throws -> P {
        try call(op, path, ok: { $0 != nil }, body)!
    }
    static func status(_ op: String, _ path: String, _ body: () -> CPLErr) throws {
        try call(op, path, ok: { $0 == CE_None }, body)
    }
    static func ogr(_ op: String, _ path: String, _ body: () -> OGRErr) throws {
        try call(op, path, ok: { $0 == OGRERR_NONE }, body)
    }

    /// A NULL-terminated option list (`NAME=VALUE` strings) for the duration of `body`.
    static func withOptions<T>(
        _ options: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) throws -> T
    ) rethrows -> T {
        var list: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
        for o in options { list = CSLAddString(list, o) }
        defer { CSLDestroy(list) }
        return try body(list)
    }
    static func driver(_ name: String, for path: String) throws -> GDALDriverH {
        try handle("GDALGetDriverByName \(name)", path) { GDALGetDriverByName(name) }
    }
    /// The GDAL release this process runs against ("3.6.2").
    public static var version: String {
        _ = registered
        return String(cString: GDALVersionInfo("RELEASE_NAME"))
    }
}

/// A coordinate reference system (OGR), from an EPSG code: its WKT2 and WKT1 forms and CF grid-mapping attributes.
public final class SpatialReference: @unchecked Sendable {
    let handle: OGRSpatialReferenceH
    public let epsg: Int

    public init(epsg: Int) throws {
        _ = GDAL.registered
        let h = try GDAL.handle("OSRNewSpatialReference", "EPSG:\(epsg)") { OSRNewSpatialReference(nil) }
        do {
            try GDAL.ogr("OSRImportFromEPSG", "EPSG:\(epsg)") { OSRImportFromEPSG(h, Int32(epsg)) }
        } catch {
            OSRDestroySpatialReference(h)
            throw error
        }
        // x = easting, y = northing (and lon, lat) whatever the authority's axis order
        OSRSetAxisMappingStrategy(h, OAMS_TRADITIONAL_GIS_ORDER)
        handle = h
        self.epsg = epsg
    }
    deinit { OSRDestroySpatialReference(handle) }

    func wkt(_ format: String) throws -> String {
        var out: UnsafeMutablePointer<CChar>? = nil
        try GDAL.withOptions(["FORMAT=\(format)"]) { o in
            try GDAL.ogr("OSRExportToWktEx \(format)", "EPSG:\(epsg)") {
                OSRExportToWktEx(handle, &out, UnsafeRawPointer(o)?.assumingMemoryBound(to: UnsafePointer<CChar>?.self))
            }
        }
        defer { VSIFree(out) }
        return out.map { String(cString: $0) } ?? ""
    }
    /// OGC WKT2 (ISO 19162:2019), the CF-1.8 `crs_wkt`.
    public var wkt2: String { get throws { try wkt("WKT2_2019") } }
    /// GDAL's classic WKT1, the `spatial_ref` attribute GDAL's netCDF driver reads first.
    public var wkt1: String { get throws { try wkt("WKT1_GDAL") } }
    public var name: String {
        OSRGetName(handle).map { String(cString: $0) } ?? "EPSG:\(epsg)"
    }

    /// CF-1.8 grid-mapping attributes (CF conventions, appendix F) for transverse Mercator (UTM, Gauss–Krüger) and
    /// geographic CRSs; other projections carry only `crs_wkt` (which CF-1.8 readers prefer anyway).
    public var cfAttributes: [String: Double] {
        var a: [String: Double] = [:]
        var err: OGRErr = OGRERR_NONE
        a["semi_major_axis"] = OSRGetSemiMajor(handle, &err)
        a["inverse_flattening"] = OSRGetInvFlattening(handle, &err)
        a["longitude_of_prime_meridian"] = 0
        let projection = OSRGetAttrValue(handle, "PROJECTION", 0).map { String(cString: $0) }
        if projection == "Transverse_Mercator" {
            func p(_ name: String) -> Double { OSRGetProjParm(handle, name, 0, &err) }
            a["scale_factor_at_central_meridian"] = p("scale_factor")
            a["longitude_of_central_meridian"] = p("central_meridian")
            a["latitude_of_projection_origin"] = p("latitude_of_origin")
            a["false_easting"] = p("false_easting")
            a["false_northing"] = p("false_northing")
        }
        return a
    }
    /// The CF `grid_mapping_name`, when `cfAttributes` describes the projection.
    public var cfGridMappingName: String? {
        if OSRIsGeographic(handle) != 0 { return "latitude_longitude" }
        let projection = OSRGetAttrValue(handle, "PROJECTION", 0).map { String(cString: $0) }
        return projection == "Transverse_Mercator" ? "transverse_mercator" : nil
    }
}
