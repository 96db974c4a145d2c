import Foundation
import SimCore
import TrafficModel

/// A documented, seeded synthetic population from OSM buildings, for cities without travel survey data.
///
/// - Residents: residential buildings (`building` = residential, apartments, house, detached, terraced,
///   semidetached_house, dormitory) hold floor area / `areaPerResident` people (floor area = footprint × levels,
///   2 levels where untagged). Untagged buildings (`building=yes`, most of a dense city's fabric) are mixed use:
///   `mixedResidentialShare` of their floor area is housing, the rest workplaces.
/// - Workplaces: every other building (commercial, office, retail, hotel, school, …, or any with amenity/shop)
///   offers floor area / `areaPerJob` jobs; shops and amenities are also leisure destinations.
/// - Destinations by a gravity model (Wilson 1967): P(j | i) ∝ opportunities_j · exp(−d_ij / `gravityDistance`).
/// - Day: home → work at N(8:00, 45 min), work for N(8.5 h, 1 h); a share also goes out in the evening
///   (N(19:00, 1 h), 1.5 h). A share `carShare` of residents drive; only their legs become vehicles.
/// - Vehicles start on an outgoing link of the node nearest to home and end on an incoming link of the node nearest
///   to the destination, routed on free-flow times (re-routing iterations then spread them).
/// All draws come from Philox keyed by (seed, person, draw), so the same seed gives the same city.
public enum SyntheticPopulation {
    public struct Options: Sendable {
        public var seed: UInt64 = 1
        public var areaPerResident = 60.0, areaPerJob = 40.0
        public var mixedResidentialShare = 0.6
        public var carShare = 0.35, eveningShare = 0.3
        public var gravityDistance = 1500.0
        public init() {}
    }

    public struct Summary: Sendable { public var residents = 0, drivers = 0, jobs = 0, vehicles = 0 }

    static let residential: Set<String> = [
        "residential", "apartments", "house", "detached", "terraced", "semidetached_house", "dormitory",
    ]

    public static func generate(network net: RoadNetwork, buildings: [OSM.Building], options o: Options = Options())
        -> (VehiclePlans, Summary)
    {
        let rng = Philox4x64(seed: o.seed, stream: 0x706F_7075)  // "popu"
        var homes: [(b: Int, people: Int)] = []
        var jobs: [(b: Int, w: Double)] = []
        var leisure: [(b: Int, w: Double)] = []
        var summary = Summary()
        for (i, b) in buildings.enumerated() {
            let floor = b.area * b.levels
            let mixed = b.type == "yes" && b.amenity.isEmpty && b.shop.isEmpty
            let homeArea = residential.contains(b.type) ? floor : mixed ? floor * o.mixedResidentialShare : 0
            let jobArea = floor - homeArea
            if homeArea > 0 {
                // the expected count exactly: whole part plus one more with the remainder's probability
                let e = homeArea / o.areaPerResident
                let u = Philox4x64.unitDouble(rng.block((UInt64(i), 0, 0, 1)).0)
                let p = Int(e.rounded(.down)) + (u < e - e.rounded(.down) ? 1 : 0)
                if p > 0 {
                    homes.append((i, p))
                    summary.residents += p
                }
            }
            if jobArea > 0 {
                jobs.append((i, jobArea / o.areaPerJob))
                summary.jobs += Int(jobArea / o.areaPerJob)
            }
            if !b.amenity.isEmpty || !b.shop.isEmpty { leisure.append((i, max(1, floor / 100))) }
        }
        if leisure.isEmpty { leisure = jobs }
        // nearest network node: a coarse grid of nodes
        let cell = 250.0
        var grid: [Int64: [Int32]] = [:]
        func key(_ x: Double, _ y: Double) -> Int64 {
            Int64((x / cell).rounded(.down)) << 32 | (Int64((y / cell).rounded(.down)) & 0xFFFF_FFFF)
        }
        var hasOut = [Bool](repeating: false, count: net.nodeCount)
        var hasIn = hasOut
        for a in 0..<net.linkCount {
            hasOut[Int(net.from[a])] = true
            hasIn[Int(net.to[a])] = true
        }
        for v in 0..<net.nodeCount where hasOut[v] && hasIn[v] {
            grid[key(net.nodeX[v], net.nodeY[v]), default: []].append(Int32(v))
        }
        func nearest(_ x: Double, _ y: Double) -> Int {
            var best = -1
            var bd = Double.infinity
            var r = 0
            while best < 0 || r <= 1 {
                let cx = Int64((x / cell).rounded(.down))
                let cy = Int64((y / cell).rounded(.down))
                for dx in -Int64(r)...Int64(r) {
                    for dy in -Int64(r)...Int64(r) where max(abs(dx), abs(dy)) == Int64(r) {
                        for v in grid[(cx + dx) << 32 | ((cy + dy) & 0xFFFF_FFFF)] ?? [] {
                            let dd = hypot(net.nodeX[Int(v)] - x, net.nodeY[Int(v)] - y)
                            if dd < bd || (dd == bd && Int(v) < best) {
                                bd = dd
                                best = Int(v)
                            }
                        }
                    }
                }
                r += 1
                if r > 200 { break }
            }
            return max(best, 0)
        }
        var outLink = [Int32](repeating: -1, count: net.nodeCount)
        var inLink = outLink
        for a in 0..<net.linkCount {
            if outLink[Int(net.from[a])] < 0 { outLink[Int(net.from[a])] = Int32(a) }
            if inLink[Int(net.to[a])] < 0 { inLink[Int(net.to[a])] = Int32(a) }
        }
        var bNode = [Int](repeating: -1, count: buildings.count)
        func nodeOf(_ b: Int) -> Int {
            if bNode[b] < 0 { bNode[b] = nearest(buildings[b].x, buildings[b].y) }
            return bNode[b]
        }
        // gravity choice
        func choose(_ from: Int, _ opts: [(b: Int, w: Double)], _ u: Double) -> Int {
            let x = buildings[from].x
            let y = buildings[from].y
            var ws = [Double](repeating: 0, count: opts.count)
            var sum = 0.0
            for (k, op) in opts.enumerated() {
                let d = hypot(buildings[op.b].x - x, buildings[op.b].y - y)
                sum += op.w * exp(-d / o.gravityDistance)
                ws[k] = sum
            }
            let t = u * sum
            var lo = 0
            var hi = opts.count - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if ws[mid] > t { hi = mid } else { lo = mid + 1 }
            }
            return opts[lo].b
        }
        func normal(_ r: (UInt64, UInt64, UInt64, UInt64)) -> Double {  // Box–Muller
            let u1 = max(Philox4x64.unitDouble(r.2), 1e-300)
            let u2 = Philox4x64.unitDouble(r.3)
            return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        }
        // legs: (person id, leg, depart s, from building, to building)
        var legs: [(id: String, depart: Double, from: Int, to: Int)] = []
        var person = 0
        for h in homes {
            for _ in 0..<h.people {
                defer { person += 1 }
                let r = rng.block((UInt64(person), 1, 0, 0))
                guard Philox4x64.unitDouble(r.0) < o.carShare, !jobs.isEmpty else { continue }
                summary.drivers += 1
                let work = choose(h.b, jobs, Philox4x64.unitDouble(r.1))
                let r2 = rng.block((UInt64(person), 2, 0, 0))
                let r3 = rng.block((UInt64(person), 3, 0, 0))
                let leave = min(max(8 * 3600 + 45 * 60 * normal(r2), 5 * 3600), 11 * 3600)
                let stay = min(max(8.5 * 3600 + 3600 * normal(r3), 4 * 3600), 11 * 3600)
                legs.append(("p\(person)_0", leave, h.b, work))
                legs.append(("p\(person)_1", leave + stay, work, h.b))
                let r4 = rng.block((UInt64(person), 4, 0, 0))
                if Philox4x64.unitDouble(r4.0) < o.eveningShare {
                    let out = max(leave + stay + 3600, 19 * 3600 + 3600 * normal(r4))
                    let dest = choose(h.b, leisure, Philox4x64.unitDouble(r4.1))
                    legs.append(("p\(person)_2", out, h.b, dest))
                    legs.append(("p\(person)_3", out + 1.5 * 3600, dest, h.b))
                }
            }
        }
        // routes from each departure link (one search per link; every turn checked where restrictions exist)
        var byFirst: [Int32: [Int]] = [:]
        var legRoute = [[Int32]](repeating: [], count: legs.count)
        var lastOf = [Int32](repeating: -1, count: legs.count)
        for (k, l) in legs.enumerated() {
            let first = outLink[nodeOf(l.from)]
            let last = inLink[nodeOf(l.to)]
            guard first >= 0, last >= 0, last != first else { continue }
            lastOf[k] = last
            byFirst[first, default: []].append(k)
        }
        var tree = ShortestPathTree(nodeCount: net.nodeCount)
        for (first, ks) in byFirst.sorted(by: { $0.key < $1.key }) {
            let found = net.freeFlowTime.withUnsafeBufferPointer {
                tree.linkRoutes(net, from: first, to: ks.map { lastOf[$0] }, cost: $0)
            }
            for (i, k) in ks.enumerated() { if let r = found[i] { legRoute[k] = r } }
        }
        var plans = VehiclePlans()
        for (k, l) in legs.enumerated() where !legRoute[k].isEmpty {
            plans.append(id: l.id, depart: Int64((l.depart * 1000).rounded()), route: legRoute[k])
        }
        summary.vehicles = plans.count
        return (plans, summary)
    }
}
