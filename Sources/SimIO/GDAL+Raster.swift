import CGDAL
import Foundation

/// One band of a raster: row-major values, first row the northernmost (GDAL's order).
public struct RasterBand: Sendable {
    public var name: String
    public var units: String
    public var values: [Float]
    public var noData: Double?
    public init(name: String, units: String, values: [Float], noData: Double? = nil) {
        self.name = name
        self.units = units
        self.values = values
        self.noData = noData
    }
}

extension GDAL {
    /// Writes a Cloud-Optimized GeoTIFF (GDAL's COG driver: tiled 512², DEFLATE with the floating-point predictor,
    /// overviews for grids larger than a tile) of float32 bands on `geoTransform` (GDAL order: x0, dx, 0, y0, 0, -dy).
    /// The bands are assembled in memory, then copied by the COG driver (which writes by copy only).
    public static func writeCOG(
        _ path: String, width: Int, height: Int, geoTransform: [Double], srs: SpatialReference?,
        bands: [RasterBand], metadata: [String: String] = [:]
    ) throws {
        let mem = try driver("MEM", for: path)
        let ds = try handle("GDALCreate MEM", path) {
            GDALCreate(mem, "", Int32(width), Int32(height), Int32(bands.count), GDT_Float32, nil)
        }
        defer { GDALClose(ds) }
        var gt = geoTransform
        try status("GDALSetGeoTransform", path) { GDALSetGeoTransform(ds, &gt) }
        if let srs {
            let wkt = try srs.wkt1
            try status("GDALSetProjection", path) { GDALSetProjection(ds, wkt) }
        }
        for (k, v) in metadata.sorted(by: { $0.key < $1.key }) {
            try status("GDALSetMetadataItem \(k)", path) { GDALSetMetadataItem(ds, k, v, nil) }
        }
        for (i, b) in bands.enumerated() {
            guard b.values.count == width * height else {
                throw GDALError(
                    operation: "write band \(b.name)", path: path,
                    message: "\(b.values.count) values for a \(width) x \(height) raster")
            }
            let band = try handle("GDALGetRasterBand", path) { GDALGetRasterBand(ds, Int32(i + 1)) }
            var values = b.values
            try status("GDALRasterIO \(b.name)", path) {
                values.withUnsafeMutableBytes { p in
                    GDALRasterIO(
                        band, GF_Write, 0, 0, Int32(width), Int32(height), p.baseAddress, Int32(width), Int32(height),
                        GDT_Float32, 0, 0)
                }
            }
            GDALSetDescription(band, b.name)
            try status("GDALSetRasterUnitType", path) { GDALSetRasterUnitType(band, b.units) }
            if let nd = b.noData { try status("GDALSetRasterNoDataValue", path) { GDALSetRasterNoDataValue(band, nd) } }
        }
        let cog = try driver("COG", for: path)
        let options = ["COMPRESS=DEFLATE", "PREDICTOR=YES", "BLOCKSIZE=512", "OVERVIEWS=AUTO", "NUM_THREADS=1"]
        let out = try withOptions(options) { o in
            try handle("GDALCreateCopy COG", path) { GDALCreateCopy(cog, path, ds, 0, o, nil, nil) }
        }
        // closing flushes: a full disk shows here
        try call("GDALClose", path, ok: { (_: Void) in true }) { GDALClose(out) }
    }
}

extension GDAL {
    /// A PNG (GDAL's PNG driver, written to /vsimem/) of 8-bit RGBA pixels, rows north first: for data-URI images.
    public static func png(rgba: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        let name = "/vsimem/citytwin-\(getpid())-\(pngCounter.next()).png"
        let mem = try driver("MEM", for: name)
        let ds = try handle("GDALCreate MEM", name) {
            GDALCreate(mem, "", Int32(width), Int32(height), 4, GDT_Byte, nil)
        }
        defer { GDALClose(ds) }
        for b in 0..<4 {
            let band = try handle("GDALGetRasterBand", name) { GDALGetRasterBand(ds, Int32(b + 1)) }
            var plane = [UInt8](repeating: 0, count: width * height)
            for k in 0..<(width * height) { plane[k] = rgba[4 * k + b] }
            try status("GDALRasterIO", name) {
                plane.withUnsafeMutableBytes { p in
                    GDALRasterIO(
                        band, GF_Write, 0, 0, Int32(width), Int32(height), p.baseAddress, Int32(width), Int32(height),
                        GDT_Byte, 0, 0)
                }
            }
        }
        let pngDriver = try driver("PNG", for: name)
        let out = try handle("GDALCreateCopy PNG", name) { GDALCreateCopy(pngDriver, name, ds, 0, nil, nil, nil) }
        GDALClose(out)
        var length: vsi_l_offset = 0
        let bytes = try handle("VSIGetMemFileBuffer", name) { VSIGetMemFileBuffer(name, &length, 1) }
        defer { VSIFree(bytes) }
        return Array(UnsafeBufferPointer(start: bytes, count: Int(length)))
    }
    private static let pngCounter = Counter()
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func next() -> Int {
            lock.lock()
            defer { lock.unlock() }
            n += 1
            return n
        }
    }
}
