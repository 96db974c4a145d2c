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
