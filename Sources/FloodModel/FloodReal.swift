/// The floating-point types the flood state can be stored in. Single precision halves memory traffic of the
/// bandwidth-bound kernel; double precision is for validation (mass conservation to 1e-9 and better).
public protocol FloodReal: BinaryFloatingPoint, BitwiseCopyable, Sendable {
    /// x^(-1/3) for x > 0: bit-level first guess then Newton steps y ← y (4 − x y³) / 3, which need no division,
    /// vectorise, and give the same bits on every platform (unlike libm's cbrt/pow).
    static func inverseCubeRoot(_ x: Self) -> Self
}

extension Float: FloodReal {
    @inline(__always) public static func inverseCubeRoot(_ x: Float) -> Float {
        var y = Float(bitPattern: 0x54A2_FA8C &- x.bitPattern / 3)
        let third: Float = 1.0 / 3.0
        y = y * (4 - x * y * y * y) * third
        y = y * (4 - x * y * y * y) * third
        y = y * (4 - x * y * y * y) * third
        return y
    }
}

extension Double: FloodReal {
    @inline(__always) public static func inverseCubeRoot(_ x: Double) -> Double {
        var y = Double(bitPattern: 0x553E_F0FF_289D_D796 &- x.bitPattern / 3)
        let third = 1.0 / 3.0
        y = y * (4 - x * y * y * y) * third
        y = y * (4 - x * y * y * y) * third
        y = y * (4 - x * y * y * y) * third
        y = y * (4 - x * y * y * y) * third
        y = y * (4 - x * y * y * y) * third
        return y
    }
}
