import Foundation
import SimCore

/// Settings of the static user-equilibrium assignment.
public struct AssignmentOptions: Sendable {
    /// Stop when the relative gap (TSGC − SPTT) / TSGC is at most this.
    public var targetGap = 1e-6
    public var maxIterations = 1000
    /// Workers for the gap evaluation (one shortest-path search per origin, summed in origin order).
    public var workers = 1
    public init(targetGap: Double = 1e-6, maxIterations: Int = 1000, workers: Int = 1) {
        self.targetGap = targetGap
        self.maxIterations = maxIterations
        self.workers = workers
    }
}

/// An equilibrium: link flows and costs and how close they are to Wardrop's first principle.
public struct AssignmentResult: Sendable {
    public var flow: [Double]
    /// BPR travel time at the flow (s).
    public var travelTime: [Double]
    /// Generalised cost at the flow: travel time + fixed cost (s).
    public var cost: [Double]
    /// Relative gap after each iteration.
    public var gaps: [Double]
    public var iterations: Int { gaps.count }
    public var relativeGap: Double { gaps.last ?? .infinity }
    /// Total system travel time Σ x t(x) (veh·s) and total generalised cost Σ x c(x).
    public var tstt: Double, tsgc: Double
    /// Shortest-path total Σ_od demand · min cost at the final costs.
    public var sptt: Double
    /// Beckmann objective Σ ∫₀^x c(s) ds (veh·s).
    public var beckmann: Double
    /// (TSGC − SPTT) / total demand (s per vehicle).
    public var averageExcessCost: Double
    public var pathCount: Int
    public var converged: Bool
}

/// Static user-equilibrium traffic assignment by path-based gradient projection (Jayakrishnan, Tsai, Prashker &
/// Rajadhyaksha 1994, "A faster path-based algorithm for traffic assignment", Transp. Res. Rec. 1443), with
/// Gauss-Seidel updates by origin as in Chen, Lee & Jayakrishnan (2002):
///
/// for each OD pair, the current shortest path joins its path set, and flow moves from every costlier path p to
/// the shortest path s by a projected Newton step Δ = min(f_p, (c_p − c_s) / Σ_{a ∈ p ⊕ s} t'_a), where ⊕ is the
/// symmetric difference (links the two paths share cancel). Link costs are the BPR function
/// t(x) = t0 (1 + α (x/C)^β) plus a fixed generalised-cost term, the objective Beckmann, McGuire & Winsten's
/// (1956) Σ ∫₀^x c(s) ds. Convergence measure: relative gap (TSGC − SPTT) / TSGC.
///
/// Deterministic: origins, destinations and paths are processed in a fixed order on one thread; the gap's
/// shortest-path searches run in parallel and are summed in origin order.
public enum StaticAssignment {
    public static func solve(
        _ net: RoadNetwork, _ od: ODMatrix, options: AssignmentOptions = AssignmentOptions(),
        progress: ((Int, Double) -> Void)? = nil
    ) throws -> AssignmentResult {
        var s = Solver(net, od)
        try s.initialise()
        var gaps: [Double] = []
        var (gap, sptt) = s.relativeGap(workers: options.workers)
        while gaps.count < options.maxIterations && gap > options.targetGap {
            s.sweep()
            (gap, sptt) = s.relativeGap(workers: options.workers)
            gaps.append(gap)
            progress?(gaps.count, gap)
        }
        return s.result(gaps: gaps, sptt: sptt, converged: gap <= options.targetGap)
    }

    struct Solver {
        let net: RoadNetwork
        let od: ODMatrix
        var x: [Double]
        var c: [Double]  // generalised cost
        var d: [Double]  // derivative of the cost
        var pathLinks: [[Int32]] = []
        var pathFlow: [Double] = []
        var odPaths: [[Int32]]
        var tree: ShortestPathTree
        var markA: [UInt32], markB: [UInt32]
        var stamp: UInt32 = 0

        init(_ net: RoadNetwork, _ od: ODMatrix) {
            self.net = net
            self.od = od
            let m = net.linkCount
            x = [Double](repeating: 0, count: m)
            c = [Double](repeating: 0, count: m)
            d = [Double](repeating: 0, count: m)
            odPaths = [[Int32]](repeating: [], count: od.pairCount)
            tree = ShortestPathTree(nodeCount: net.nodeCount)
            markA = [UInt32](repeating: 0, count: m)
            markB = [UInt32](repeating: 0, count: m)
            for a in 0..<m { update(a) }
        }

        @inline(__always) mutating func update(_ a: Int) {
            let t0 = net.freeFlowTime[a]
            let cap = net.capacity[a]
            let al = net.bprAlpha[a]
            let be = net.bprBeta[a]
            let v = max(x[a], 0) / cap
            let vb1 = be == 4 ? v * v * v : pow(v, be - 1)
            c[a] = net.fixedCost[a] + t0 * (1 + al * vb1 * v)
            d[a] = t0 * al * be * vb1 / cap
        }

        /// All-or-nothing loading on free-flow costs: every OD pair starts on its shortest path.
        mutating func initialise() throws {
            var links: [Int32] = []
            var missing: [String] = []
            for (i, o) in od.origins.enumerated() {
                c.withUnsafeBufferPointer { tree.search(net, from: Int(o), cost: $0) }
                for k in Int(od.start[i])..<Int(od.start[i + 1]) {
                    let dest = Int(od.dest[k])
                    if dest == Int(o) { continue }
                    guard tree.dist[dest].isFinite else {
                        if missing.count < 10 { missing.append("\(net.nodeIDs[Int(o)]) → \(net.nodeIDs[dest])") }
                        continue
                    }
                    tree.path(to: dest, net, into: &links)
                    odPaths[k] = [Int32(pathLinks.count)]
                    pathLinks.append(links)
                    pathFlow.append(od.trips[k])
                    for a in links { x[Int(a)] += od.trips[k] }
                }
            }
            if !missing.isEmpty {
                throw RunError(
                    "no route for trips between zones \(missing.joined(separator: ", "))\(missing.count == 10 ? ", ..." : "")",
                    hint:
                        "the network is not strongly connected between these zones; check one-way links and the zones' connectors"
                )
            }
            for a in 0..<net.linkCount { update(a) }
        }

        @inline(__always) func pathCost(_ p: Int) -> Double {
            var s = 0.0
            for a in pathLinks[p] { s += c[Int(a)] }
            return s
        }

        /// One Gauss-Seidel pass over origins.
        mutating func sweep() {
            var sp: [Int32] = []
            for (i, o) in od.origins.enumerated() {
                od.dest.withUnsafeBufferPointer { d in
                    let targets = UnsafeBufferPointer(rebasing: d[Int(od.start[i])..<Int(od.start[i + 1])])
                    c.withUnsafeBufferPointer { tree.search(net, from: Int(o), cost: $0, targets: targets) }
                }
                for k in Int(od.start[i])..<Int(od.start[i + 1]) {
                    let dest = Int(od.dest[k])
                    if dest == Int(o) || odPaths[k].isEmpty { continue }
                    tree.path(to: dest, net, into: &sp)
                    if !odPaths[k].contains(where: { pathLinks[Int($0)] == sp }) {
                        odPaths[k].append(Int32(pathLinks.count))
                        pathLinks.append(sp)
                        pathFlow.append(0)
                    }
                    equilibrate(k)
                }
            }
        }

        /// Moves flow of OD pair k from its costlier paths to its cheapest one.
        mutating func equilibrate(_ k: Int) {
            let ps = odPaths[k]
            if ps.count < 2 { return }
            var best = Int(ps[0])
            var bestCost = pathCost(best)
            for p in ps.dropFirst() {
                let cp = pathCost(Int(p))
                if cp < bestCost {
                    best = Int(p)
                    bestCost = cp
                }
            }
            for p32 in ps {
                let p = Int(p32)
                if p == best || pathFlow[p] <= 0 { continue }
                stamp &+= 1
                if stamp == 0 {
                    markA = markA.map { _ in 0 }
                    markB = markB.map { _ in 0 }
                    stamp = 1
                }
                for a in pathLinks[best] { markA[Int(a)] = stamp }
                for a in pathLinks[p] { markB[Int(a)] = stamp }
                var dc = 0.0
                var den = 0.0
                for a in pathLinks[p] where markA[Int(a)] != stamp {
                    dc += c[Int(a)]
                    den += d[Int(a)]
                }
                for a in pathLinks[best] where markB[Int(a)] != stamp {
                    dc -= c[Int(a)]
                    den += d[Int(a)]
                }
                if dc <= 0 { continue }
                let shift = den > 0 ? min(pathFlow[p], dc / den) : pathFlow[p]
                pathFlow[p] -= shift
                pathFlow[best] += shift
                for a in pathLinks[p] where markA[Int(a)] != stamp {
                    x[Int(a)] -= shift
                    update(Int(a))
                }
                for a in pathLinks[best] where markB[Int(a)] != stamp {
                    x[Int(a)] += shift
                    update(Int(a))
                }
            }
            // drop emptied paths (never the cheapest)
            odPaths[k] = ps.filter { Int($0) == best || pathFlow[Int($0)] > 0 }
        }

        /// (TSGC − SPTT) / TSGC at the current costs, and SPTT.
        func relativeGap(workers: Int) -> (gap: Double, sptt: Double) {
            let exec = ParallelExecutor(workers: workers)
            let net = net
            let od = od
            let c = c
            // chunks of origins, one search state each; per-origin sums added in origin order
            let n = od.origins.count
            let chunk = 16
            let perOrigin = exec.map((n + chunk - 1) / chunk) { ch -> [Double] in
                var t = ShortestPathTree(nodeCount: net.nodeCount)
                return ((ch * chunk)..<min(n, (ch + 1) * chunk)).map { i in
                    od.dest.withUnsafeBufferPointer { d in
                        let targets = UnsafeBufferPointer(rebasing: d[Int(od.start[i])..<Int(od.start[i + 1])])
                        c.withUnsafeBufferPointer {
                            t.search(net, from: Int(od.origins[i]), cost: $0, targets: targets)
                        }
                    }
                    var s = 0.0
                    for k in Int(od.start[i])..<Int(od.start[i + 1]) where Int(od.dest[k]) != Int(od.origins[i]) {
                        let dist = t.dist[Int(od.dest[k])]
                        if dist.isFinite { s += od.trips[k] * dist }
                    }
                    return s
                }
            }.flatMap { $0 }
            let sptt = perOrigin.reduce(0, +)
            var tsgc = 0.0
            for a in 0..<net.linkCount { tsgc += x[a] * c[a] }
            return (tsgc > 0 ? (tsgc - sptt) / tsgc : 0, sptt)
        }

        func result(gaps: [Double], sptt: Double, converged: Bool) -> AssignmentResult {
            let m = net.linkCount
            var tt = [Double](repeating: 0, count: m)
            var tstt = 0.0
            var tsgc = 0.0
            var beck = 0.0
            for a in 0..<m {
                let xa = max(x[a], 0)
                tt[a] = net.freeFlowTime[a] * (1 + net.bprAlpha[a] * pow(xa / net.capacity[a], net.bprBeta[a]))
                tstt += xa * tt[a]
                tsgc += xa * c[a]
                let v = xa / net.capacity[a]
                let be = net.bprBeta[a]
                beck +=
                    net.fixedCost[a] * xa + net.freeFlowTime[a]
                    * (xa + net.bprAlpha[a] * net.capacity[a] / (be + 1) * pow(v, be + 1))
            }
            let demand = od.total
            return AssignmentResult(
                flow: x, travelTime: tt, cost: c, gaps: gaps, tstt: tstt, tsgc: tsgc, sptt: sptt,
                beckmann: beck, averageExcessCost: demand > 0 ? (tsgc - sptt) / demand : 0,
                pathCount: odPaths.reduce(0) { $0 + $1.count }, converged: converged)
        }
    }
}
