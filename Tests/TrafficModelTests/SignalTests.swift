import Foundation
import SimCore
import SimEngine
import Testing
import TrafficModel

/// A scripted grid: one building beside the signal, without supply over [1200 s, 2400 s).
final class ScriptedSupply: DomainModel {
    let name = "energy"
    var clock = 0.0
    var partitionCount: Int { 1 }
    var phaseCount: Int { 1 }
    func proposeStep(at now: SimTime, limit: SimDuration) -> SimDuration { limit }
    func beginTick(at now: SimTime, step: SimDuration) {}
    func step(phase: Int, partition: Int) {}
    func exchange(phase: Int) {}
    func endTick(at now: SimTime) { clock = now.seconds }
    var outputSchema: OutputSchema {
        OutputSchema(group: name, coordinates: [], snapshots: [], finals: [], diagnostics: [])
    }
    func diagnostics() -> [Double] { [] }
    func snapshot() -> [ArrayData] { [] }
    func finals() -> [ArrayData] { [] }
    func kpis() -> [KPI] { [] }
    func checkpointState() -> [NamedArray] { [] }
    func restore(from state: [NamedArray]) throws {}
    var provides: [ExchangeField] {
        [ExchangeField("energy.supply", units: "1", site: .points(ids: ["b"], x: [110], y: [5]))]
    }
    func read(_ field: String, at indices: [Int32], into values: inout [Double]) {
        for k in indices.indices { values[k] = clock >= 1200 && clock < 2400 ? 0 : 1 }
    }
}

@Suite struct SignalTests {
    /// in (n0 → n1, 1,800 veh/h) → out (n1 → n2, ample): n1 is signalised; a vehicle departs every second.
    static func run(workers: Int = 1, partitions: Int = 1, factor: Double = 0.5) throws -> (TrafficDomain, [Int64]) {
        var net = chain([(100, 1, 1800), (100, 2, 7200)])
        net.nodeSignal = [false, true, false]
        var plans = VehiclePlans()
        for k in 0..<3600 { plans.append(id: "v\(k)", depart: Int64(k) * 1000, route: [0, 1]) }
        var q = QueueParameters()
        var s = SignalResponse()
        s.interval = .seconds(10)
        s.capacityFactor = factor
        s.darkDelay = .seconds(5)
        q.signals = s
        let d = TrafficDomain(network: net, plans: plans, parameters: q, partitions: partitions)
        let domains: [any DomainModel] = [d, ScriptedSupply()]
        let sim = Simulation(
            domains: domains,
            schedule: RunSchedule(end: SimTime(milliseconds: 7_200_000), outputInterval: .minutes(10)),
            workers: workers, couplings: try Coupling.connect(domains, origin: SourceLocation(file: "test")))
        var exits: [Int64] = []
        try sim.run(
            observer: TickProbe(d) { d, t in if t.milliseconds % 600_000 == 0 { exits.append(d.linkExits[0]) } })
        return (d, exits)
    }

    /// While the signal is dark its approach discharges at exactly the capacity factor (1,800 → 900 veh/h), the
    /// vehicles crossing it are 5 s slower, and everything is back to 1,800 veh/h after the supply returns.
    @Test func darkJunctionIsAnAllWayStop() throws {
        let (d, exits) = try Self.run()
        // exits of the approach per 10 min from 600 s: saturated (300), halved while dark (1,200-2,400 s: 150)
        let per = zip(exits.dropFirst(), exits).map { $0 - $1 }
        #expect(per[0] == 300, "lit: \(per)")
        #expect(per[1] == 150 && per[2] == 150, "dark: \(per)")
        #expect(per[3] == 300, "lit again: \(per)")
        let k = Dictionary(uniqueKeysWithValues: d.kpis().map { ($0.name, $0.value) })
        #expect(abs((k["junction_hours_dark"] ?? 0) - 1200.0 / 3600) < 11.0 / 3600, "\(k)")
        #expect(k["signals_dark_max"] == 1)
        // the same bits for 3 workers and 3 partitions
        let (other, otherExits) = try Self.run(workers: 3, partitions: 3)
        #expect(other.arrivals == d.arrivals && otherExits == exits)
        // a factor of 1 and no delay is the lit junction: the dark window costs nothing then
        let (plain, plainExits) = try Self.run(factor: 1)
        #expect(zip(plainExits.dropFirst(), plainExits).map { $0 - $1 }[1] == 300, "\(plainExits)")
        #expect(plain.arrivals != d.arrivals)
    }
}

/// Common random numbers in the traffic domain's demand: scaling keys by vehicle id and is monotone.
@Suite struct DemandScalingTests {
    @Test func scalingIsMonotoneAndKeyedById() {
        var plans = VehiclePlans()
        for k in 0..<2000 { plans.append(id: "p\(k)_0", depart: Int64(k) * 1000, route: [0, 1]) }
        let half = plans.scaled(by: 0.5, jitter: .zero, seed: 3)
        let more = plans.scaled(by: 0.7, jitter: .zero, seed: 3)
        #expect(half.count > 900 && half.count < 1100 && more.count > half.count)
        #expect(Set(half.ids).isSubset(of: Set(more.ids)))
        // the same vehicles kept when the table holds others too, in another order
        var other = VehiclePlans()
        for k in (0..<2000).reversed() { other.append(id: "p\(k)_0", depart: Int64(k) * 1000, route: [0, 1]) }
        for k in 0..<500 { other.append(id: "extra\(k)", depart: 0, route: [0, 1]) }
        let kept = Set(other.scaled(by: 0.5, jitter: .zero, seed: 3).ids.filter { $0.hasPrefix("p") })
        #expect(kept == Set(half.ids))
    }
}
