/// A regular raster: `nx` columns by `ny` rows of square cells of side `cellSize` metres. Row 0 is the northern
/// row (as in ESRI ASCII grids and GeoTIFFs); cell (i, j) has its centre at
/// `(xllCorner + (i + 0.5) * cellSize, yllCorner + (ny - j - 0.5) * cellSize)` in the grid's CRS.
public struct GridGeometry: Sendable, Equatable, Codable {
    public var nx: Int
    public var ny: Int
    public var cellSize: Double
    public var xllCorner: Double
    public var yllCorner: Double
    /// EPSG code of the coordinate reference system (0 = local/unknown metres).
    public var epsg: Int

    public init(nx: Int, ny: Int, cellSize: Double, xllCorner: Double = 0, yllCorner: Double = 0, epsg: Int = 0) {
        self.nx = nx
        self.ny = ny
        self.cellSize = cellSize
        self.xllCorner = xllCorner
        self.yllCorner = yllCorner
        self.epsg = epsg
    }
    @inlinable public var count: Int { nx * ny }
    @inlinable public func index(_ i: Int, _ j: Int) -> Int { j * nx + i }
    public func xCenter(_ i: Int) -> Double { xllCorner + (Double(i) + 0.5) * cellSize }
    public func yCenter(_ j: Int) -> Double { yllCorner + (Double(ny - j) - 0.5) * cellSize }
    /// The cell holding point (x, y), or nil when outside.
    public func cell(x: Double, y: Double) -> (i: Int, j: Int)? {
        let fi = (x - xllCorner) / cellSize
        let fj = Double(ny) - (y - yllCorner) / cellSize
        guard fi >= 0, fj >= 0, fi < Double(nx), fj < Double(ny) else { return nil }
        return (Int(fi), Int(fj))
    }
}

/// A raster of values on a grid, row-major with row 0 north.
public struct Raster<Element: Sendable>: Sendable {
    public var geometry: GridGeometry
    public var values: [Element]
    public init(geometry: GridGeometry, values: [Element]) {
        precondition(values.count == geometry.count, "raster size mismatch")
        self.geometry = geometry
        self.values = values
    }
    public init(geometry: GridGeometry, repeating v: Element) {
        self.geometry = geometry
        self.values = [Element](repeating: v, count: geometry.count)
    }
    public subscript(i: Int, j: Int) -> Element {
        get { values[j * geometry.nx + i] }
        set { values[j * geometry.nx + i] = newValue }
    }
}
