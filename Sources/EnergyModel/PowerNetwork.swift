import SimCore

/// A balanced (positive-sequence) power network in per unit, MATPOWER's bus/branch model: buses with their
/// type, net demand and shunt; pi-branches with series r + jx, total shunt g + jb split half/half, and a complex
/// off-nominal tap t = tap · e^{j·shift} on the from side.
public struct PowerNetwork: Sendable {
    public enum BusType: Int, Sendable { case pq = 1, pv = 2, slack = 3, isolated = 4 }
    public var baseMVA: Double
    // buses
    public var busType: [BusType]
    public var pd: [Double], qd: [Double]  // net demand (MW, Mvar): load minus generation
    public var gs: [Double], bs: [Double]  // shunt at 1 pu (MW, Mvar)
    public var baseKV: [Double]
    public var vmSet: [Double], vaSetDeg: [Double]
    // branches
    public var from: [Int32], to: [Int32]
    public var r: [Double], x: [Double], b: [Double], g: [Double]
    public var tap: [Double], shiftDeg: [Double]
    public var inService: [Bool]
    public var branchNames: [String]
    /// Thermal ratings for loading: lines in kA (times parallel systems), transformers in MVA; 0 = none.
    public var ratingKA: [Double] = [], ratingMVA: [Double] = []

    public init(
        baseMVA: Double, busType: [BusType], pd: [Double], qd: [Double], gs: [Double], bs: [Double], baseKV: [Double],
        vmSet: [Double], vaSetDeg: [Double], from: [Int32], to: [Int32], r: [Double], x: [Double], b: [Double],
        g: [Double],
        tap: [Double], shiftDeg: [Double], inService: [Bool], branchNames: [String]
    ) {
        self.baseMVA = baseMVA
        self.busType = busType
        self.pd = pd
        self.qd = qd
        self.gs = gs
        self.bs = bs
        self.baseKV = baseKV
        self.vmSet = vmSet
        self.vaSetDeg = vaSetDeg
        self.from = from
        self.to = to
        self.r = r
        self.x = x
        self.b = b
        self.g = g
        self.tap = tap
        self.shiftDeg = shiftDeg
        self.inService = inService
        self.branchNames = branchNames
    }

    public var busCount: Int { busType.count }
    public var branchCount: Int { from.count }

    /// Bus adjacency over in-service branches as linked lists: the edges of bus i are e = head[i], next[e], …,
    /// each leading to other[e] (edge 2k and 2k+1 are branch k's two directions).
    func adjacency() -> (head: [Int32], next: [Int32], other: [Int32]) {
        var head = [Int32](repeating: -1, count: busCount)
        var next = [Int32](repeating: -1, count: 2 * branchCount)
        var other = next
        for k in 0..<branchCount where inService[k] {
            let f = Int(from[k])
            let t = Int(to[k])
            other[2 * k] = Int32(t)
            next[2 * k] = head[f]
            head[f] = Int32(2 * k)
            other[2 * k + 1] = Int32(f)
            next[2 * k + 1] = head[t]
            head[t] = Int32(2 * k + 1)
        }
        return (head, next, other)
    }

    /// Buses a slack bus reaches through in-service branches.
    public func energisedBuses() -> [Bool] {
        let nb = busCount
        let (head, next, other) = adjacency()
        var on = [Bool](repeating: false, count: nb)
        var stack: [Int] = []
        for i in 0..<nb where busType[i] == .slack {
            on[i] = true
            stack.append(i)
        }
        while let i = stack.popLast() {
            var e = head[i]
            while e >= 0 {
                let j = Int(other[Int(e)])
                if !on[j] {
                    on[j] = true
                    stack.append(j)
                }
                e = next[Int(e)]
            }
        }
        return on
    }
}
