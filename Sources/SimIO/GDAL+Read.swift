import CGDAL
import Foundation

/// A single-band raster read whole: values row-major in GDAL's order (first row the northernmost).
public struct RasterGrid: Sendable {
    public var width: Int, height: Int
    /// GDAL order: x0, dx, rotation, y0, rotation, dy (negative for north-up).
    public var geoTransform: [Double]
    public var values: [Double]
    public var noData: Double?
    /// The EPSG code of its CRS, when it names one.
    public var epsg: Int?

    /// The value of the cell holding (x, y), nil outside the raster or on no-data.
    public func value(x: Double, y: Double) -> Double? {
        let gt = geoTransform
        let i = Int(((x - gt[0]) / gt[1]).rounded(.down))
        let j = Int(((y - gt[3]) / gt[5]).rounded(.down))
        guard i >= 0, j >= 0, i < width, j < height else { return nil }
        let v = values[j * width + i]
        if v.isNaN || noData.map({ v == $0 }) == true { return nil }
        return v
    }
}

extension GDAL {
    /// Reads band 1 of any raster GDAL opens (GeoTIFF, ASCII grid, ...). Refuses rotated rasters and rasters of more
    /// than `maxCells` cells before allocating them.
    public static func readRaster(_ path: String, maxCells: Int = 200_000_000) throws -> RasterGrid {
        _ = registered
        let ds = try handle("GDALOpen", path) { GDALOpen(path, GA_ReadOnly) }
        defer { GDALClose(ds) }
        let (w, h) = (Int(GDALGetRasterXSize(ds)), Int(GDALGetRasterYSize(ds)))
        guard w > 0, h > 0, w * h <= maxCells else {
            throw GDALError(
                operation: "read raster", path: path, message: "\(w) x \(h) cells (at most \(maxCells) are read)")
        }
        var gt = [Double](repeating: 0, count: 6)
        try status("GDALGetGeoTransform", path) { GDALGetGeoTransform(ds, &gt) }
        guard gt[2] == 0, gt[4] == 0, gt[1] > 0, gt[5] != 0 else {
            throw GDALError(operation: "read raster", path: path, message: "a rotated or degenerate geotransform \(gt)")
        }
        let band = try handle("GDALGetRasterBand", path) { GDALGetRasterBand(ds, 1) }
        var values = [Double](repeating: 0, count: w * h)
        try status("GDALRasterIO", path) {
            values.withUnsafeMutableBytes { p in
                GDALRasterIO(
                    band, GF_Read, 0, 0, Int32(w), Int32(h), p.baseAddress, Int32(w), Int32(h), GDT_Float64, 0, 0)
            }
        }
        var has: Int32 = 0
        let nd = GDALGetRasterNoDataValue(band, &has)
        var epsg: Int?
        if let wkt = GDALGetProjectionRef(ds), wkt.pointee != 0 {
            let srs = OSRNewSpatialReference(wkt)
            defer { OSRDestroySpatialReference(srs) }
            if srs != nil {
                _ = OSRAutoIdentifyEPSG(srs)  // a file without the code may still match one
                epsg = OSRGetAuthorityCode(srs, nil).flatMap { Int(String(cString: $0)) }
            }
        }
        return RasterGrid(
            width: w, height: h, geoTransform: gt, values: values, noData: has != 0 ? nd : nil, epsg: epsg)
    }
}

extension SpatialReference {
    /// Longitude/latitude (WGS 84, EPSG:4326) to this CRS's x/y.
    public func fromLonLat(_ lon: [Double], _ lat: [Double]) throws -> (x: [Double], y: [Double]) {
        let wgs = try SpatialReference(epsg: 4326)
        let ct = try GDAL.handle("OCTNewCoordinateTransformation", "EPSG:4326 -> EPSG:\(epsg)") {
            OCTNewCoordinateTransformation(wgs.handle, handle)
        }
        defer { OCTDestroyCoordinateTransformation(ct) }
        var x = lon
        var y = lat
        var ok = [Int32](repeating: 0, count: lon.count)
        let done = OCTTransformEx(ct, Int32(lon.count), &x, &y, nil, &ok)
        guard done != 0, !ok.contains(0) else {
            throw GDALError(
                operation: "OCTTransformEx", path: "EPSG:4326 -> EPSG:\(epsg)",
                message: "a point could not be projected")
        }
        return (x, y)
    }
}
