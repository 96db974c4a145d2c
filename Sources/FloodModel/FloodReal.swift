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

// MARK: deterministic row reductions

extension FloodReal {
    /// Sum of `n` values in double precision, eight interleaved lanes then the lanes in a fixed order and the tail
    /// in sequence: vectorised, and the same bits for the same row whatever the partitioning.
    @inline(__always) static func laneSum(_ p: UnsafeMutablePointer<Self>, _ n: Int) -> Double {
        var a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0, a4 = 0.0, a5 = 0.0, a6 = 0.0, a7 = 0.0
        var i = 0
        while i + 8 <= n {
            a0 += Double(p[i]); a1 += Double(p[i + 1]); a2 += Double(p[i + 2]); a3 += Double(p[i + 3])
            a4 += Double(p[i + 4]); a5 += Double(p[i + 5]); a6 += Double(p[i + 6]); a7 += Double(p[i + 7])
            i += 8
        }
        var s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
        while i < n { s += Double(p[i]); i += 1 }
        return s
    }

    /// Largest of `n` values (n ≥ 1; max is exact in any order).
    @inline(__always) static func laneMax(_ p: UnsafeMutablePointer<Self>, _ n: Int) -> Self {
        var m = p[0]
        for i in 0..<n { let v = p[i]; m = v > m ? v : m }
        return m
    }
}
