#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a whole regular file into memory, or throws an InputError naming the path and the system's reason.
public func readFileBytes(_ path: String, limit: Int = InputFile.defaultLimit) throws -> [UInt8] {
    try InputFile.read(path, limit: limit)
}

/// ESRI ASCII grid (`.asc`): a header (ncols, nrows, xllcorner|xllcenter, yllcorner|yllcenter, cellsize,
/// optional NODATA_value) followed by nrows lines of ncols numbers, north row first.
public enum AsciiGrid {
    /// At most this many cells (a bound checked before anything is allocated; 400 M cells of 10 m are a
    /// 200 km × 200 km city).
    public static let maxCells = 400_000_000
    /// Bytes per value a file may have on average (with separators) before it is refused as too large.
    static let maxBytesPerValue = 64
    static let headerKeys = [
        "ncols", "nrows", "xllcorner", "yllcorner", "xllcenter", "yllcenter", "cellsize", "nodata_value",
    ]

    /// The header of a grid: its geometry and NODATA marker.
    public struct Header: Sendable, Equatable {
        public var geometry: GridGeometry
        public var nodata: Double?
    }

    /// Reads a grid. NODATA cells become `nil`; malformed files throw an InputError with the line number. The
    /// file must be a regular file no larger than its header's cell count allows, and have at most `maxCells`.
    public static func read(path: String, epsg: Int = 0, maxCells: Int = maxCells) throws -> Raster<Double?> {
        let head = try InputFile.prefix(path, count: 4096, what: "the grid")
        var cursor = Cursor()
        let header = try parseHeader(head.bytes, path: path, epsg: epsg, cursor: &cursor, maxCells: maxCells)
        let limit = 4096 + header.geometry.count * maxBytesPerValue
        guard head.size <= limit else {
            throw InputError(
                SourceLocation(file: path), code: "E-GRID-010",
                message:
                    "the file is \(InputFile.megabytes(head.size)), far more than \(header.geometry.nx) x "
                    + "\(header.geometry.ny) values need",
                hint: "check ncols/nrows in the header")
        }
        return try parse(try InputFile.read(path, limit: limit, what: "the grid"), path: path, epsg: epsg)
    }

    /// Reads only the header (the geometry), without reading the values.
    public static func readHeader(path: String, epsg: Int = 0, maxCells: Int = maxCells) throws -> Header {
        let head = try InputFile.prefix(path, count: 4096, what: "the grid")
        var cursor = Cursor()
        return try parseHeader(head.bytes, path: path, epsg: epsg, cursor: &cursor, maxCells: maxCells)
    }

    struct Cursor {
        var i = 0
        var line = 1
    }

    static func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 13 || c == 10 }

    /// The next whitespace-separated token, tracking lines; nil at the end.
    static func token(_ bytes: [UInt8], _ c: inout Cursor) -> Range<Int>? {
        let n = bytes.count
        while c.i < n, isSpace(bytes[c.i]) {
            if bytes[c.i] == 10 { c.line += 1 }
            c.i += 1
        }
        guard c.i < n else { return nil }
        let start = c.i
        while c.i < n, !isSpace(bytes[c.i]) { c.i += 1 }
        return start..<c.i
    }

    static func parseHeader(
        _ bytes: [UInt8], path: String, epsg: Int, cursor c: inout Cursor, maxCells: Int
    ) throws -> Header {
        var header: [String: Double] = [:]
        var lines: [String: Int] = [:]
        func fail(_ msg: String, hint: String? = nil, key: String? = nil) -> InputError {
            InputError(
                SourceLocation(file: path, line: key.flatMap { lines[$0] } ?? c.line), code: "E-GRID-001",
                message: msg, hint: hint)
        }
        while true {
            var peek = c
            guard let r = token(bytes, &peek) else { break }
            let tok = String(decoding: bytes[r], as: UTF8.self)
            guard let first = tok.unicodeScalars.first,
                (first >= "A" && first <= "Z") || (first >= "a" && first <= "z"),
                Double(tok) == nil
            else { break }
            c = peek
            let key = tok.lowercased()
            guard headerKeys.contains(key) else {
                if header.isEmpty && !InputToken.isPlain(tok) {
                    throw fail(
                        "line \(c.line) is not an ESRI ASCII grid header",
                        hint: "an ESRI ASCII grid starts with ncols, nrows, xllcorner, yllcorner, cellsize")
                }
                let s = InputToken.isPlain(tok) ? DidYouMean.suggest(key, from: headerKeys) : nil
                throw fail(
                    "unknown header key \(InputToken.quote(tok))",
                    hint: s.map { "did you mean '\($0)'?" }
                        ?? "an ESRI ASCII grid header has \(headerKeys.joined(separator: ", "))")
            }
            let line = c.line
            guard let vr = token(bytes, &c), c.line == line else {
                throw fail("header '\(key)' has no value")
            }
            let vt = String(decoding: bytes[vr], as: UTF8.self)
            guard let v = Double(vt), v.isFinite else {
                throw fail("header '\(key)' needs a finite number, got \(InputToken.quote(vt))")
            }
            if header[key] != nil { throw fail("header '\(key)' appears twice") }
            header[key] = v
            lines[key] = line
        }
        if header.isEmpty {
            throw fail(
                "line \(c.line) is not an ESRI ASCII grid header",
                hint: "an ESRI ASCII grid starts with ncols, nrows, xllcorner, yllcorner, cellsize")
        }
        for k in ["ncols", "nrows", "cellsize"] where header[k] == nil {
            throw fail(
                "missing header '\(k)'",
                hint: "an ESRI ASCII grid starts with ncols, nrows, xllcorner, yllcorner, cellsize")
        }
        if header["ncols"]! > Double(maxCells) || header["nrows"]! > Double(maxCells) {
            throw fail(
                "\(header["ncols"]!) x \(header["nrows"]!) cells is more than the \(maxCells) a grid may have",
                hint: "check ncols/nrows, or use a coarser cell size", key: "ncols")
        }
        guard let nc = Int(exactly: header["ncols"]!), let nr = Int(exactly: header["nrows"]!), nc > 0, nr > 0 else {
            throw fail(
                "ncols and nrows must be whole numbers > 0 (got \(header["ncols"]!) x "
                    + "\(header["nrows"]!))", key: "ncols")
        }
        guard nc.multipliedReportingOverflow(by: nr).partialValue <= maxCells, nc <= maxCells / nr else {
            throw fail(
                "\(nc) x \(nr) cells is more than the \(maxCells) a grid may have",
                hint: "check ncols/nrows, or use a coarser cell size", key: "ncols")
        }
        let cs = header["cellsize"]!
        guard cs > 0 else { throw fail("cellsize must be > 0 (got \(cs))", key: "cellsize") }
        if header["xllcorner"] != nil && header["xllcenter"] != nil
            || header["yllcorner"] != nil && header["yllcenter"] != nil
        {
            throw fail("give either the corner or the centre of the lower-left cell, not both")
        }
        let xll = header["xllcorner"] ?? ((header["xllcenter"]).map { $0 - cs / 2 } ?? 0)
        let yll = header["yllcorner"] ?? ((header["yllcenter"]).map { $0 - cs / 2 } ?? 0)
        guard abs(xll) < 1e9, abs(yll) < 1e9, cs < 1e6 else {
            throw fail("the lower-left corner or cell size is not a plausible coordinate in metres or degrees")
        }
        return Header(
            geometry: GridGeometry(nx: nc, ny: nr, cellSize: cs, xllCorner: xll, yllCorner: yll, epsg: epsg),
            nodata: header["nodata_value"])
    }

    public static func parse(_ bytes: [UInt8], path: String, epsg: Int = 0, maxCells: Int = maxCells) throws
        -> Raster<Double?>
    {
        var c = Cursor()
        let header = try parseHeader(bytes, path: path, epsg: epsg, cursor: &c, maxCells: maxCells)
        let g = header.geometry
        let expected = g.count
        func fail(_ msg: String, hint: String? = nil) -> InputError {
            InputError(SourceLocation(file: path, line: c.line), code: "E-GRID-001", message: msg, hint: hint)
        }
        // every value needs a character and a separator: a file too short for its header is refused before
        // the values are allocated
        guard bytes.count - c.i >= 2 * expected - 1 else {
            throw fail(
                "the file is too short for ncols x nrows = \(expected) values",
                hint: "the file is truncated or ncols/nrows are wrong")
        }
        var values: [Double?] = []
        values.reserveCapacity(expected)
        let nodata = header.nodata
        while let r = token(bytes, &c) {
            let tok = String(decoding: bytes[r], as: UTF8.self)
            guard let v = Double(tok) else {
                throw fail(
                    "\(InputToken.quote(tok)) is not a number",
                    hint: values.isEmpty ? "the header ends where the first value should start" : nil)
            }
            guard v.isFinite else {
                throw fail(
                    "value \(InputToken.quote(tok)) is not finite", hint: "mark missing cells with the NODATA_value")
            }
            if values.count >= expected {
                throw fail("more values than ncols x nrows = \(expected)", hint: "check ncols/nrows in the header")
            }
            if nodata == nil && v == -9999 {
                let k = values.count
                throw fail(
                    "cell at column \(k % g.nx), row \(k / g.nx) is -9999, the usual NODATA marker, but the header "
                        + "has no NODATA_value",
                    hint: "add 'NODATA_value -9999' to the header if those cells are missing, or fill them")
            }
            values.append(v == nodata ? nil : v)
        }
        if values.count != expected {
            throw fail(
                "expected ncols x nrows = \(expected) values, found \(values.count)",
                hint: "the file is truncated or ncols/nrows are wrong")
        }
        return Raster(geometry: g, values: values)
    }

    /// Writes a grid with `decimals` digits after the point.
    public static func format(_ r: Raster<Double>, decimals: Int, nodata: Double? = nil) -> String {
        let g = r.geometry
        var s =
            "ncols \(g.nx)\nnrows \(g.ny)\nxllcorner \(g.xllCorner)\nyllcorner \(g.yllCorner)\ncellsize \(g.cellSize)\n"
        if let nodata { s += "NODATA_value \(nodata)\n" }
        s.reserveCapacity(s.utf8.count + g.count * (decimals + 5))
        for j in 0..<g.ny {
            for i in 0..<g.nx {
                if i > 0 { s += " " }
                s += formatFixed(r[i, j], decimals)
            }
            s += "\n"
        }
        return s
    }

    static func formatFixed(_ v: Double, _ d: Int) -> String {
        if d == 0 { return String(Int64(v.rounded())) }
        var p: Double = 1
        for _ in 0..<d { p *= 10 }
        let scaled = Int64((abs(v) * p).rounded())
        let ip = scaled / Int64(p)
        let fp = scaled % Int64(p)
        var f = String(fp)
        while f.count < d { f = "0" + f }
        let neg = v < 0 && scaled != 0
        return (neg ? "-" : "") + String(ip) + "." + f
    }
}

/// Writes text to a file atomically (a new temporary file, created exclusively, then renamed), or throws a
/// RunError. With `overwrite: false` an existing file is never replaced.
public func writeFileAtomically(_ path: String, _ text: String, overwrite: Bool = true) throws {
    try SafeFile.write(path, Array(text.utf8), overwrite: overwrite)
}
