import Foundation
import SimCore
import SimEngine
import Testing
import TrafficModel

/// Records the per-tick state the validation tests check at every step.
final class TickProbe: SimulationObserver {
    let domain: TrafficDomain
    var check: (TrafficDomain, SimTime) -> Void
    init(_ d: TrafficDomain, check: @escaping (TrafficDomain, SimTime) -> Void) {
        domain = d
        self.check = check
    }
    func didTick(_ sim: Simulation, diagnostics: [[Double]]) throws { check(domain, sim.clock) }
    func didReachOutput(_ sim: Simulation, snapshots: [[ArrayData]]) throws {}
    func didReachCheckpoint(_ sim: Simulation) throws {}
}

/// A chain of links 0 → 1 → 2 → ... with the given lengths (m), lanes and capacities (veh/h), speed 10 m/s.
func chain(_ specs: [(length: Double, lanes: Double, capacity: Double)]) -> RoadNetwork {
    let n = specs.count + 1
    return RoadNetwork(
        nodeIDs: (0..<n).map { "n\($0)" }, nodeX: (0..<n).map { Double($0) * 100 },
        nodeY: [Double](repeating: 0, count: n),
        zoneCount: 0, zonesAreThrough: true, linkIDs: (0..<specs.count).map { "l\($0)" },
        from: (0..<specs.count).map { Int32($0) }, to: (0..<specs.count).map { Int32($0 + 1) },
        length: specs.map(\.length), lanes: specs.map(\.lanes), freeSpeed: specs.map { _ in 10 },
        capacity: specs.map(\.capacity), freeFlowTime: specs.map { $0.length / 10 },
        bprAlpha: specs.map { _ in 0.15 }, bprBeta: specs.map { _ in 4 }, fixedCost: specs.map { _ in 0 })
}

func runTraffic(_ d: TrafficDomain, seconds: Int64, workers: Int = 1, observer: SimulationObserver? = nil) {
    let sim = Simulation(
        domains: [d], schedule: RunSchedule(end: SimTime(milliseconds: seconds * 1000), outputInterval: .seconds(300)),
        workers: workers)
    _ = try? sim.run(observer: observer)
}

@Suite struct QueueModelTests {
    /// One bottleneck (1800 veh/h) fed at 3600 veh/h: D/D/1 queueing. Vehicle k (departing at k s) leaves the
    /// bottleneck at 200 + 2k s, arrives at 300 + 2k s and is delayed exactly k s; discharge is exactly the
    /// capacity; vehicles are conserved and keep their order at every tick.
    @Test func bottleneckMatchesDeterministicQueueing() {
        let net = chain([(1000, 2, 7200), (1000, 1, 1800), (1000, 2, 7200)])
        var plans = VehiclePlans()
        let n = 600
        for k in 0..<n { plans.append(id: "v\(k)", depart: Int64(k) * 1000, route: [0, 1, 2]) }
        let d = TrafficDomain(network: net, plans: plans, partitions: 3)
        var conservationBroken = 0
        var fifoBroken = 0
        var queueAt400: Float = -1
        let probe = TickProbe(d) { d, t in
            // D/D/1 queue after the tick at 399 s: vehicles k ≤ 199 are due at the bottleneck (k + 200 ≤ 399), k ≤ 99
            // have left it (200 + 2k ≤ 399): 100 wait — on the bottleneck (storage 133) and, spilled back, upstream
            if t.milliseconds == 400_000, case .float32(let q) = d.snapshot()[4] { queueAt400 = q[0] + q[1] }
            let e = d.linkEntries
            let x = d.linkExits
            let onLinks = zip(e, x).reduce(0) { $0 + Int($1.0 - $1.1) }
            let arrived = d.arrivals.filter { $0 >= 0 }.count
            let started = d.starts.filter { $0 >= 0 }.count
            if onLinks != d.enRoute || started - arrived != onLinks { conservationBroken += 1 }
            let arr = d.arrivals.filter { $0 >= 0 }
            if zip(arr, arr.dropFirst()).contains(where: { $0 > $1 }) || arr.count != arrived { fifoBroken += 1 }
        }
        runTraffic(d, seconds: 3000, workers: 2, observer: probe)
        #expect(conservationBroken == 0 && fifoBroken == 0)
        #expect(queueAt400 == 100, "queue on the bottleneck at 400 s: \(queueAt400)")
        let arr = d.arrivals
        #expect(arr.allSatisfy { $0 >= 0 })
        let wrong = (0..<n).filter { arr[$0] != Int64(300 + 2 * $0) * 1000 }
        #expect(
            wrong.isEmpty,
            "first wrong arrival: vehicle \(wrong.first ?? -1) at \(wrong.first.map { arr[$0] } ?? -1) ms")
        let delays = (0..<n).map { Double(arr[$0]) / 1000 - Double($0) - 300 }
        #expect(delays == (0..<n).map(Double.init))  // D/D/1: w_k = k (1/μ − 1/λ) = k s
        let k = d.kpis()
        #expect(k.first { $0.name == "mean_delay" }?.value == Double(n - 1) / 2)
        #expect(k.first { $0.name == "trips_completed" }?.value == Double(n))
    }

    /// Junction delay: each junction crossed adds its delay to the next link's traversal.
    @Test func junctionDelayAddsPerCrossing() {
        let net = chain([(1000, 1, 1800), (1000, 1, 1800), (1000, 1, 1800)])
        var plans = VehiclePlans()
        plans.append(id: "a", depart: 0, route: [0, 1, 2])
        var p = QueueParameters()
        p.junctionDelay = .seconds(3)
        let d = TrafficDomain(network: net, plans: plans, parameters: p, partitions: 2)
        runTraffic(d, seconds: 600)
        #expect(d.arrivals == [306_000], "arrival \(d.arrivals)")  // 3 × 100 s free flow + 2 junctions × 3 s
    }

    /// Spill-back: a short link (storage 4) in front of a slow one (360 veh/h, storage 4) fills up and stops the
    /// upstream link's discharge: upstream then drains at the downstream capacity, never above storage.
    @Test func spillBackBlocksUpstream() throws {
        let net = chain([(2000, 2, 7200), (30, 1, 7200), (30, 1, 360), (1000, 2, 7200)])
        var plans = VehiclePlans()
        for k in 0..<120 { plans.append(id: "v\(k)", depart: Int64(k) * 1000, route: [0, 1, 2, 3]) }
        var p = QueueParameters()
        p.stuckTime = .seconds(100_000)  // no stuck moves: pure spill-back
        let d = TrafficDomain(network: net, plans: plans, parameters: p, partitions: 2)
        #expect(d.storageCapacity[1] == 4 && d.storageCapacity[2] == 4)
        var overStorage = 0
        var exitsAt: [Int64: [Int64]] = [:]
        let probe = TickProbe(d) { d, t in
            let e = d.linkEntries
            let x = d.linkExits
            for a in 1...2 where e[a] - x[a] > Int64(d.storageCapacity[a]) { overStorage += 1 }
            exitsAt[t.milliseconds / 1000] = x
        }
        runTraffic(d, seconds: 2400, workers: 2, observer: probe)
        #expect(overStorage == 0)
        // once links 1 and 2 are full (t ≈ 210 s) link 0 releases one vehicle per 10 s until it empties (≈ 1400 s)
        let x0 = try #require(exitsAt[700])[0]
        let x1 = try #require(exitsAt[1300])[0]
        #expect(x1 - x0 == 60, "link 0 released \(x1 - x0) vehicles in 600 s while blocked (capacity downstream: 60)")
        #expect(d.arrivals.allSatisfy { $0 >= 0 })
    }

    /// Gridlock on a ring of full links: the stuck rule resolves it; without it, nothing moves.
    @Test func gridlockResolvesWithStuckRule() {
        let n = 4
        let net = RoadNetwork(
            nodeIDs: (0..<n).map { "n\($0)" }, nodeX: [0, 100, 100, 0], nodeY: [0, 0, 100, 100], zoneCount: 0,
            zonesAreThrough: true,
            linkIDs: (0..<n).map { "r\($0)" }, from: (0..<n).map { Int32($0) }, to: (0..<n).map { Int32(($0 + 1) % n) },
            length: [15, 15, 15, 15], lanes: [1, 1, 1, 1], freeSpeed: [10, 10, 10, 10],
            capacity: [3600, 3600, 3600, 3600],
            freeFlowTime: [1.5, 1.5, 1.5, 1.5], bprAlpha: [0.15, 0.15, 0.15, 0.15], bprBeta: [4, 4, 4, 4],
            fixedCost: [0, 0, 0, 0])
        var plans = VehiclePlans()
        for a in 0..<n {
            for j in 0..<2 {
                plans.append(id: "v\(a)-\(j)", depart: 0, route: [Int32(a), Int32((a + 1) % n), Int32((a + 2) % n)])
            }
        }
        var stuckOff = QueueParameters()
        stuckOff.stuckTime = .seconds(1_000_000)
        let blocked = TrafficDomain(network: net, plans: plans, parameters: stuckOff, partitions: 2)
        runTraffic(blocked, seconds: 600)
        #expect(blocked.arrivals.allSatisfy { $0 < 0 }, "a full ring cannot move without the stuck rule")
        let resolved = TrafficDomain(network: net, plans: plans, partitions: 2)
        runTraffic(resolved, seconds: 600)
        #expect(resolved.arrivals.allSatisfy { $0 >= 0 }, "the stuck rule resolves the gridlock")
        #expect((resolved.kpis().first { $0.name == "stuck_moves" }?.value ?? 0) > 0)
    }
}

/// A g × g grid of two-way 200 m links with random shortest-path routes (free-flow), seeded.
func gridCase(g: Int, vehicles: Int, spreadSeconds: Int64, seed: UInt64) -> (RoadNetwork, VehiclePlans) {
    var from: [Int32] = []
    var to: [Int32] = []
    func id(_ i: Int, _ j: Int) -> Int32 { Int32(j * g + i) }
    for j in 0..<g {
        for i in 0..<g {
            if i + 1 < g {
                from += [id(i, j), id(i + 1, j)]
                to += [id(i + 1, j), id(i, j)]
            }
            if j + 1 < g {
                from += [id(i, j), id(i, j + 1)]
                to += [id(i, j + 1), id(i, j)]
            }
        }
    }
    let m = from.count
    let n = g * g
    let net = RoadNetwork(
        nodeIDs: (0..<n).map { "n\($0)" }, nodeX: (0..<n).map { Double($0 % g) * 200 },
        nodeY: (0..<n).map { Double($0 / g) * 200 },
        zoneCount: 0, zonesAreThrough: true, linkIDs: (0..<m).map { "l\($0)" }, from: from, to: to,
        length: [Double](repeating: 200, count: m), lanes: [Double](repeating: 1, count: m),
        freeSpeed: [Double](repeating: 13.89, count: m), capacity: [Double](repeating: 900, count: m),
        freeFlowTime: [Double](repeating: 200 / 13.89, count: m), bprAlpha: [Double](repeating: 0.15, count: m),
        bprBeta: [Double](repeating: 4, count: m), fixedCost: [Double](repeating: 0, count: m))
    let rng = Philox4x64(seed: seed, stream: 1)
    var plans = VehiclePlans()
    var tree = ShortestPathTree(nodeCount: n)
    var path: [Int32] = []
    for v in 0..<vehicles {
        let r = rng.block((UInt64(v), 0, 0, 0))
        let o = Int(r.0 % UInt64(n))
        let d = Int(r.1 % UInt64(n))
        if o == d { continue }
        net.freeFlowTime.withUnsafeBufferPointer { tree.search(net, from: o, cost: $0) }
        tree.path(to: d, net, into: &path)
        plans.append(id: "v\(v)", depart: Int64(r.2 % UInt64(spreadSeconds * 1000)), route: path)
    }
    return (net, plans)
}

@Suite struct QueueDeterminismTests {
    static let grid = gridCase(g: 14, vehicles: 20000, spreadSeconds: 900, seed: 11)

    /// Everything compared, as bit patterns (NaN-safe, exact).
    struct Outcome: Equatable {
        var arrivals: [Int64]
        var starts: [Int64]
        var entries: [Int64]
        var finals: [[UInt64]]
        var snaps: [[[UInt64]]]
        var kpis: [KPI]
    }

    static func bits(_ a: ArrayData) -> [UInt64] {
        switch a {
        case .float32(let v): v.map { UInt64($0.bitPattern) }
        case .float64(let v): v.map { $0.bitPattern }
        case .int64(let v): v.map { UInt64(bitPattern: $0) }
        case .int32(let v): v.map { UInt64(UInt32(bitPattern: $0)) }
        case .uint8(let v): v.map { UInt64($0) }
        }
    }

    final class Snaps: SimulationObserver {
        var snaps: [[ArrayData]] = []
        func didTick(_ sim: Simulation, diagnostics: [[Double]]) throws {}
        func didReachOutput(_ sim: Simulation, snapshots: [[ArrayData]]) throws { snaps.append(snapshots[0]) }
        func didReachCheckpoint(_ sim: Simulation) throws {}
    }

    static func outcome(partitions: Int, workers: Int) -> Outcome {
        let (net, plans) = grid
        let d = TrafficDomain(network: net, plans: plans, partitions: partitions)
        let o = Snaps()
        let sim = Simulation(
            domains: [d], schedule: RunSchedule(end: SimTime(milliseconds: 2_400_000), outputInterval: .seconds(300)),
            workers: workers)
        _ = try? sim.run(observer: o)
        return Outcome(
            arrivals: d.arrivals, starts: d.starts, entries: d.linkEntries, finals: d.finals().map(bits),
            snaps: o.snaps.map { $0.map(bits) }, kpis: d.kpis())
    }

    /// Bit-identical trips, link counts and interval outputs for 1, 2, 3 workers and 1, 5, 16 partitions; the
    /// case is congested enough that junction draws, spill-back and stuck moves all happen.
    @Test func identicalForAnyWorkersAndPartitions() {
        let ref = Self.outcome(partitions: 1, workers: 1)
        #expect(ref.arrivals.filter { $0 >= 0 }.count > 10000)
        let k = Dictionary(uniqueKeysWithValues: ref.kpis.map { ($0.name, $0.value) })
        print("grid case: \(k)")
        #expect(k["stuck_moves"]! > 0 && k["mean_delay"]! > 30, "the case must be congested: \(k)")
        for (p, w) in [(5, 2), (16, 3), (16, 1), (7, 2)] {
            let o = Self.outcome(partitions: p, workers: w)
            #expect(
                o.arrivals == ref.arrivals && o.starts == ref.starts && o.entries == ref.entries,
                "partitions \(p), workers \(w): trips differ")
            #expect(o.finals == ref.finals && o.snaps == ref.snaps, "partitions \(p), workers \(w): outputs differ")
        }
    }

    /// Checkpoint at 600 s, restore into a model with another partitioning and worker count, continue: the
    /// same result as the uninterrupted run.
    @Test func checkpointRestoreContinuesBitIdentically() throws {
        let (net, plans) = Self.grid
        let ref = Self.outcome(partitions: 4, workers: 2)
        let a = TrafficDomain(network: net, plans: plans, partitions: 4)
        let oa = Snaps()
        _ = try Simulation(
            domains: [a], schedule: RunSchedule(end: SimTime(milliseconds: 600_000), outputInterval: .seconds(300)),
            workers: 2
        ).run(observer: oa)
        let state = a.checkpointState()
        let b = TrafficDomain(network: net, plans: plans, partitions: 9)
        try b.restore(from: state)
        let ob = Snaps()
        let sim = Simulation(
            domains: [b], schedule: RunSchedule(end: SimTime(milliseconds: 2_400_000), outputInterval: .seconds(300)),
            workers: 1, start: SimTime(milliseconds: 600_000), tick: 600)
        _ = try sim.run(observer: ob)
        #expect(
            b.arrivals == ref.arrivals && b.starts == ref.starts && b.linkEntries == ref.entries,
            "trips differ after restore")
        #expect(b.finals().map(Self.bits) == ref.finals, "finals differ after restore")
        #expect((oa.snaps + ob.snaps).map { $0.map(Self.bits) } == ref.snaps, "interval outputs differ after restore")
        // a checkpoint of another network is refused
        let other = TrafficDomain(
            network: gridCase(g: 5, vehicles: 10, spreadSeconds: 10, seed: 1).0, plans: VehiclePlans(), partitions: 1)
        #expect(throws: RunError.self) { try other.restore(from: state) }
    }
}
