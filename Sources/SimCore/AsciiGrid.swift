#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a whole file into memory, or throws a RunError naming the path and the system's reason.
public func readFileBytes(_ path: String) throws -> [UInt8] {
    guard let f = fopen(path, "rb") else {
        throw RunError(
            "cannot open '\(path)': \(String(cString: strerror(errno)))",
            hint: "check the path (relative paths are resolved against the job file's folder)")
    }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = buf.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
        if n > 0 { out.append(contentsOf: buf[0..<n]) }
        if n < buf.count {
            if ferror(f) != 0 { throw RunError("error reading '\(path)': \(String(cString: strerror(errno)))") }
            break
        }
    }
    return out
}

/// ESRI ASCII grid (`.asc`): a header (ncols, nrows, xllcorner|xllcenter, yllcorner|yllcenter, cellsize,
/// optional NODATA_value) followed by nrows lines of ncols numbers, north row first.
public enum AsciiGrid {
    /// Reads a grid. NODATA cells become `nil`; malformed files throw an InputError with the line number.
    public static func read(path: String, epsg: Int = 0) throws -> Raster<Double?> {
        let bytes = try readFileBytes(path)
        return try parse(bytes, path: path, epsg: epsg)
    }

    public static func parse(_ bytes: [UInt8], path: String, epsg: Int = 0) throws -> Raster<Double?> {
        var header: [String: (Double, Int)] = [:]
        var values: [Double?] = []
        var line = 1
        var i = 0
        let n = bytes.count
        var nodata: Double?
        var expected = -1
        func fail(_ msg: String, hint: String? = nil) -> InputError {
            InputError(SourceLocation(file: path, line: line), code: "E-GRID-001", message: msg, hint: hint)
        }
        // Tokenise on whitespace, tracking lines.
        var headerDone = false
        while i < n {
            let c = bytes[i]
            if c == 10 {
                line += 1
                i += 1
                continue
            }
            if c == 32 || c == 9 || c == 13 {
                i += 1
                continue
            }
            let start = i
            while i < n, bytes[i] != 32, bytes[i] != 9, bytes[i] != 10, bytes[i] != 13 { i += 1 }
            let tok = String(decoding: bytes[start..<i], as: UTF8.self)
            if !headerDone, let first = tok.unicodeScalars.first,
                (first >= "A" && first <= "Z") || (first >= "a" && first <= "z")
            {
                let key = tok.lowercased()
                // read the value token
                while i < n, bytes[i] == 32 || bytes[i] == 9 { i += 1 }
                let vs = i
                while i < n, bytes[i] != 32, bytes[i] != 9, bytes[i] != 10, bytes[i] != 13 { i += 1 }
                let vt = String(decoding: bytes[vs..<i], as: UTF8.self)
                guard let v = Double(vt) else { throw fail("header '\(tok)' has no numeric value (got '\(vt)')") }
                let known = [
                    "ncols", "nrows", "xllcorner", "yllcorner", "xllcenter", "yllcenter", "cellsize", "nodata_value",
                ]
                guard known.contains(key) else {
                    let s = DidYouMean.suggest(key, from: known)
                    throw fail(
                        "unknown header key '\(tok)'",
                        hint: s.map { "did you mean '\($0)'?" }
                            ?? "an ESRI ASCII grid header has \(known.joined(separator: ", "))")
                }
                header[key] = (v, line)
                continue
            }
            if !headerDone {
                headerDone = true
                for k in ["ncols", "nrows", "cellsize"] where header[k] == nil {
                    throw fail(
                        "missing header '\(k)'",
                        hint: "an ESRI ASCII grid starts with ncols, nrows, xllcorner, yllcorner, cellsize")
                }
                let nc = Int(header["ncols"]!.0)
                let nr = Int(header["nrows"]!.0)
                guard nc > 0, nr > 0, nc * nr < 400_000_000 else {
                    throw fail("ncols and nrows must be positive (got \(nc) x \(nr))")
                }
                guard header["cellsize"]!.0 > 0 else { throw fail("cellsize must be > 0") }
                expected = nc * nr
                values.reserveCapacity(expected)
                nodata = header["nodata_value"]?.0
            }
            guard let v = Double(tok) else { throw fail("'\(tok)' is not a number") }
            guard v.isFinite else {
                throw fail("value '\(tok)' is not finite", hint: "mark missing cells with the NODATA_value instead")
            }
            if values.count >= expected {
                throw fail("more values than ncols x nrows = \(expected)", hint: "check ncols/nrows in the header")
            }
            values.append(v == nodata ? nil : v)
        }
        if !headerDone { throw fail("no data values (empty or header-only file)") }
        if values.count != expected {
            throw fail(
                "expected ncols x nrows = \(expected) values, found \(values.count)",
                hint: "the file is truncated or ncols/nrows are wrong")
        }
        let cs = header["cellsize"]!.0
        let nc = Int(header["ncols"]!.0)
        let nr = Int(header["nrows"]!.0)
        let xll = header["xllcorner"]?.0 ?? ((header["xllcenter"]?.0).map { $0 - cs / 2 } ?? 0)
        let yll = header["yllcorner"]?.0 ?? ((header["yllcenter"]?.0).map { $0 - cs / 2 } ?? 0)
        return Raster(
            geometry: GridGeometry(nx: nc, ny: nr, cellSize: cs, xllCorner: xll, yllCorner: yll, epsg: epsg),
            values: values)
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

/// Writes text to a file atomically (temporary file + rename), or throws a RunError.
public func writeFileAtomically(_ path: String, _ text: String) throws {
    let tmp = path + ".tmp"
    guard let f = fopen(tmp, "wb") else {
        throw RunError("cannot write '\(path)': \(String(cString: strerror(errno)))")
    }
    let bytes = Array(text.utf8)
    let n = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
    let closed = fclose(f)
    guard n == bytes.count, closed == 0 else {
        unlink(tmp)
        throw RunError("cannot write '\(path)': \(String(cString: strerror(errno)))", hint: "is the disk full?")
    }
    guard rename(tmp, path) == 0 else {
        throw RunError("cannot rename '\(tmp)' to '\(path)': \(String(cString: strerror(errno)))")
    }
}
