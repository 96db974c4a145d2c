/// The floating-point types the flood state can be stored in. Single precision halves memory traffic of the
/// bandwidth-bound kernel; double precision is for validation (mass conservation to 1e-9 and better).
public protocol FloodReal: BinaryFloatingPoint, BitwiseCopyable, Sendable {
    /// x^(-1/3) for x > 0: bit-level first guess then Newton steps y ← y (4 − x y³) / 3, which need no division,
    /// vectorise, and give the same bits on every platform (unlike libm's cbrt/pow).
    static func inverseCubeRoot(_ x: Self) -> Self
    /// Sum of `n` values in double precision: eight interleaved lanes, then the lanes in the fixed order
    /// ((0+1)+(2+3))+((4+5)+(6+7)), then the tail in sequence. Vectorised, and the same bits for the same row
    /// whatever the partitioning.
    static func laneSum(_ p: UnsafeMutablePointer<Self>, _ n: Int) -> Double
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

extension Float {
    @inline(__always) public static func laneSum(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> Double {
        var acc = SIMD8<Double>()
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i + 8 <= n {
            acc += SIMD8<Double>(raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self))
            i += 8
        }
        var s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
        while i < n {
            s += Double(p[i])
            i += 1
        }
        return s
    }
}

extension Double {
    @inline(__always) public static func laneSum(_ p: UnsafeMutablePointer<Double>, _ n: Int) -> Double {
        var acc = SIMD8<Double>()
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i + 8 <= n {
            acc += raw.loadUnaligned(fromByteOffset: i * 8, as: SIMD8<Double>.self)
            i += 8
        }
        var s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
        while i < n {
            s += p[i]
            i += 1
        }
        return s
    }
}

extension FloodReal {
    /// Largest of `n` values (n ≥ 1; max is exact in any order).
    @inline(__always) static func laneMax(_ p: UnsafeMutablePointer<Self>, _ n: Int) -> Self {
        var m = p[0]
        for i in 0..<n {
            let v = p[i]
            m = v > m ? v : m
        }
        return m
    }
}
