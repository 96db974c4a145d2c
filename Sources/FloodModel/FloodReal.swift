/// The floating-point types the flood state can be stored in. Single precision halves memory traffic of the
/// bandwidth-bound kernel; double precision is for validation (mass conservation to 1e-9 and better).
public protocol FloodReal: BinaryFloatingPoint, BitwiseCopyable, Sendable {
    /// Cube root of a positive number: bit-level initial guess then Newton iterations (pure arithmetic, so it
    /// vectorises and gives the same bits on every platform, unlike libm's cbrt).
    static func cubeRoot(_ x: Self) -> Self
}

extension Float: FloodReal {
    @inline(__always) public static func cubeRoot(_ x: Float) -> Float {
        var y = Float(bitPattern: x.bitPattern / 3 &+ 709_921_077)
        y = y - (y * y * y - x) / (3 * y * y)
        y = y - (y * y * y - x) / (3 * y * y)
        y = y - (y * y * y - x) / (3 * y * y)
        return y
    }
}

extension Double: FloodReal {
    @inline(__always) public static func cubeRoot(_ x: Double) -> Double {
        var y = Double(bitPattern: x.bitPattern / 3 &+ 0x2A9F_7893_782D_A1CE)
        y = y - (y * y * y - x) / (3 * y * y)
        y = y - (y * y * y - x) / (3 * y * y)
        y = y - (y * y * y - x) / (3 * y * y)
        y = y - (y * y * y - x) / (3 * y * y)
        return y
    }
}
