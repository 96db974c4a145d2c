/// Philox4x64-10 counter-based random number generator (Salmon, Moraes, Dror & Shaw, "Parallel random numbers:
/// as easy as 1, 2, 3", SC'11). Output is bit-for-bit the same as `numpy.random.Philox` for the same counter and key.
///
/// Every random draw in CityTwin is a pure function of (counter, key): `key = (seed, stream)` and the counter names
/// what is drawn (entity, tick, purpose, draw), so there is no RNG state to share between threads or to checkpoint.
public struct Philox4x64: Sendable, Equatable {
    public var key: (UInt64, UInt64)
    public init(key: (UInt64, UInt64)) { self.key = key }
    public init(seed: UInt64, stream: UInt64) { self.key = (seed, stream) }

    public static func == (a: Philox4x64, b: Philox4x64) -> Bool { a.key == b.key }

    @usableFromInline static let m0: UInt64 = 0xD2E7_470E_E14C_6C93
    @usableFromInline static let m1: UInt64 = 0xCA5A_8263_9512_1157
    @usableFromInline static let w0: UInt64 = 0x9E37_79B9_7F4A_7C15
    @usableFromInline static let w1: UInt64 = 0xBB67_AE85_84CA_A73B

    /// The ten-round bijection of a 256-bit counter under this generator's key.
    @inlinable
    public func block(_ counter: (UInt64, UInt64, UInt64, UInt64)) -> (UInt64, UInt64, UInt64, UInt64) {
        var c = counter
        var k0 = key.0
        var k1 = key.1
        for round in 0..<10 {
            if round > 0 {
                k0 &+= Self.w0
                k1 &+= Self.w1
            }
            let p0 = Self.m0.multipliedFullWidth(by: c.0)
            let p1 = Self.m1.multipliedFullWidth(by: c.2)
            c = (p1.high ^ c.1 ^ k0, p1.low, p0.high ^ c.3 ^ k1, p0.low)
        }
        return c
    }

    /// A uniform double in [0, 1) from 53 random bits, as numpy's `random_standard_uniform`.
    @inlinable public static func unitDouble(_ bits: UInt64) -> Double { Double(bits >> 11) * 0x1.0p-53 }
}

/// Stable 64-bit keys for random draws: counters of `Philox4x64` come from an entity's identity (an id string, a
/// position in the model CRS, a dwelling number), never from where it sits in an array, so an alternative that does
/// not touch an entity leaves its draws unchanged (common random numbers).
public enum StableKey {
    /// The SplitMix64 finaliser (Steele, Lea & Flood 2014, "Fast splittable pseudorandom number generators",
    /// OOPSLA): a bijection of 64-bit words that spreads every input bit.
    @inlinable public static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The key of an id (FNV-1a over its UTF-8 bytes, then mixed): the same on every machine and in every run.
    public static func of(_ id: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in id.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return mix(h)
    }

    /// The key of a list of ids in order (each id's key folded in turn): whether two runs hold the same entities.
    public static func of(_ ids: [String]) -> UInt64 {
        ids.reduce(UInt64(ids.count)) { mix($0 ^ of($1)) }
    }
}
