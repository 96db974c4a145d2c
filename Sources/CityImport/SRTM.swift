import SimCore

/// An SRTM HGT tile: n×n big-endian Int16 heights (m, EGM96), row 0 the north edge, posts on whole multiples of
/// 1/(n-1) degree; -32768 marks voids. The south-west corner comes from the file name (N43E007).
public struct SRTMTile: Sendable {
    public let size: Int
    public let south: Int, west: Int
    public var heights: [Double?]

    public init(bytes: [UInt8], name: String, path: String) throws {
        let n2 = bytes.count / 2
        let n = Int(Double(n2).squareRoot().rounded())
        guard n * n * 2 == bytes.count, n == 1201 || n == 3601 else {
            throw InputError(
                SourceLocation(file: path), code: "E-IMPORT-010",
                message: "'\(name)' has \(bytes.count) bytes, not an SRTM tile (1201² or 3601² 16-bit values)")
        }
        let base = name.split(separator: "/").last.map(String.init) ?? name
        let chars = Array(base.uppercased())
        guard chars.count >= 7, "NS".contains(chars[0]), "EW".contains(chars[3]),
            let lat = Int(String(chars[1...2])), let lon = Int(String(chars[4...6]))
        else {
            throw InputError(
                SourceLocation(file: path), code: "E-IMPORT-011",
                message: "cannot read the tile corner from the name '\(base)'",
                hint: "SRTM tiles are named like N43E007.hgt")
        }
        size = n
        south = chars[0] == "N" ? lat : -lat
        west = chars[3] == "E" ? lon : -lon
        heights = (0..<(n * n)).map { k in
            let v = Int16(bitPattern: UInt16(bytes[2 * k]) << 8 | UInt16(bytes[2 * k + 1]))
            return v == -32768 ? nil : Double(v)
        }
    }

    /// Fills voids with the mean of valid 8-neighbours, repeated until none are left (enough for SRTM's small voids).
    public mutating func fillVoids() -> Int {
        var filled = 0
        let n = size
        while heights.contains(where: { $0 == nil }) {
            var next = heights
            var progress = false
            for j in 0..<n {
                for i in 0..<n where heights[j * n + i] == nil {
                    var s = 0.0
                    var c = 0
                    for dj in -1...1 {
                        for di in -1...1 where di != 0 || dj != 0 {
                            let a = i + di
                            let b = j + dj
                            if a >= 0, b >= 0, a < n, b < n, let v = heights[b * n + a] {
                                s += v
                                c += 1
                            }
                        }
                    }
                    if c > 0 {
                        next[j * n + i] = s / Double(c)
                        filled += 1
                        progress = true
                    }
                }
            }
            heights = next
            if !progress { break }
        }
        return filled
    }

    /// Bilinear interpolation at (lon, lat); nil outside the tile.
    public func sample(lon: Double, lat: Double) -> Double? {
        let step = 1.0 / Double(size - 1)
        let fx = (lon - Double(west)) / step
        let fy = (Double(south + 1) - lat) / step
        guard fx >= 0, fy >= 0, fx <= Double(size - 1), fy <= Double(size - 1) else { return nil }
        let i0 = min(Int(fx), size - 2)
        let j0 = min(Int(fy), size - 2)
        let tx = fx - Double(i0)
        let ty = fy - Double(j0)
        guard let a = heights[j0 * size + i0], let b = heights[j0 * size + i0 + 1],
            let c = heights[(j0 + 1) * size + i0], let d = heights[(j0 + 1) * size + i0 + 1]
        else { return nil }
        return (a * (1 - tx) + b * tx) * (1 - ty) + (c * (1 - tx) + d * tx) * ty
    }
}
