import Foundation
import SimCore
import SimEngine
import Testing
import TrafficModel

/// A scripted flood: the cells under the middle of the "low" link hold a depth that ramps 0 → 0.4 m → 0.
final class ScriptedFlood: DomainModel {
    let name = "flood"
    let g = GridGeometry(nx: 20, ny: 10, cellSize: 100, xllCorner: 0, yllCorner: -100)
    var clock = 0.0
    var partitionCount: Int { 1 }
    var phaseCount: Int { 1 }
    /// The depth (m) at time t (s).
    static func depth(_ t: Double) -> Double {
        if t < 600 || t > 3000 { return 0 }
        return t <= 1800 ? 0.4 * (t - 600) / 1200 : 0.4 * (3000 - t) / 1200
    }
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
    var provides: [ExchangeField] { [ExchangeField("flood.water_depth", units: "m", site: .cells(g))] }
    func read(_ field: String, at indices: [Int32], into values: inout [Double]) {
        for (k, i) in indices.enumerated() {
            let col = Int(i) % g.nx
            let row = Int(i) / g.nx
            values[k] = row == 9 && (6...13).contains(col) ? Self.depth(clock) : 0
        }
    }
}

@Suite struct FloodTrafficTests {
    /// in O→A, low A→B (through the water), up A→C and down C→B (a dry detour), out B→D.
    static func network(detour: Bool) -> RoadNetwork {
        let ids = detour ? ["in", "low", "out", "up", "down"] : ["in", "low", "out"]
        let from: [Int32] = detour ? [0, 1, 2, 1, 4] : [0, 1, 2]
        let to: [Int32] = detour ? [1, 2, 3, 4, 2] : [1, 2, 3]
        let len: [Double] = detour ? [500, 1000, 500, 950, 950] : [500, 1000, 500]
        return RoadNetwork(
            nodeIDs: ["O", "A", "B", "D", "C"], nodeX: [0, 500, 1500, 2000, 1000], nodeY: [0, 0, 0, 0, 800],
            zoneCount: 0, zonesAreThrough: true, linkIDs: ids, from: from, to: to, length: len,
            lanes: len.map { _ in 1 }, freeSpeed: len.map { _ in 15 }, capacity: len.map { _ in 1800 },
            freeFlowTime: len.map { $0 / 15 }, bprAlpha: len.map { _ in 0.15 }, bprBeta: len.map { _ in 4 },
            fixedCost: len.map { _ in 0 })
    }

    static func plans(_ net: RoadNetwork) -> VehiclePlans {
        var p = VehiclePlans()
        for k in 0..<720 { p.append(id: "v\(k)", depart: Int64(k) * 5000, route: [0, 1, 2]) }
        return p
    }

    /// Runs the scripted flood with the traffic domain for 2 h; the observer sees every tick after the exchange.
    static func run(
        detour: Bool, maxWait: SimDuration = .minutes(30), workers: Int = 1, partitions: Int = 1,
        check: ((TrafficDomain, SimTime) -> Void)? = nil
    ) throws -> TrafficDomain {
        var q = QueueParameters()
        var f = FloodResponse()
        f.interval = .seconds(10)
        f.maxWait = maxWait
        q.flood = f
        let net = network(detour: detour)
        let d = TrafficDomain(network: net, plans: plans(net), parameters: q, partitions: partitions)
        let flood = ScriptedFlood()
        let domains: [any DomainModel] = [flood, d]
        let sim = Simulation(
            domains: domains,
            schedule: RunSchedule(end: SimTime(milliseconds: 7_200_000), outputInterval: .minutes(10)),
            workers: workers, couplings: try Coupling.connect(domains, origin: SourceLocation(file: "test")))
        try sim.run(observer: check.map { c in TickProbe(d, check: c) })
        return d
    }

    /// The depth-disruption curve of Pregnolato et al. (2017) at several depths (to 1e-9 km/h).
    @Test func pregnolatoSpeeds() {
        for (mm, kmh) in [(0.0, 86.9448), (100, 40.6548), (200, 12.3648), (250, 4.96980), (290, 2.2938)] {
            #expect(abs(FloodSpeed.pregnolato(depth: mm / 1000) - kmh) < 1e-9, "\(mm) mm")
        }
    }

    /// The low link follows the curve while the water rises and falls, closes at 0.3 m, and reopens; vehicles
    /// entering while it is closed take the detour; every trip arrives.
    @Test func rampSlowsClosesAndReopens() throws {
        var entriesLow: [(Double, Int64)] = []
        var entriesUp: [(Double, Int64)] = []
        var checked = 0
        let d = try Self.run(detour: true) { d, t in
            let s = t.seconds
            entriesLow.append((s, d.linkEntries[1]))
            entriesUp.append((s, d.linkEntries[3]))
            guard t.milliseconds % 10_000 == 0 else { return }
            let w = ScriptedFlood.depth(s)
            guard w < 0.3 else { return }
            let v = min(15, FloodSpeed.pregnolato(depth: w) / 3.6)
            let expected = v < 15 ? max(66_667, Int64((1000 / v * 1000).rounded(.up))) : Int64(66_667)
            #expect(d.freeFlowMilliseconds(1) == expected, "at \(s) s, depth \(w)")
            checked += 1
        }
        #expect(checked > 300)
        // closed from the exchange at or after 1500 s (depth 0.3) to the one at or after 2100 s
        let during = entriesLow.filter { $0.0 > 1520 && $0.0 < 2100 }.map(\.1)
        #expect(Set(during).count == 1, "nobody enters the closed link: \(Set(during))")
        let upDuring = entriesUp.filter { $0.0 > 1520 && $0.0 < 2100 }.map(\.1)
        #expect((upDuring.last ?? 0) - (upDuring.first ?? 0) > 50, "vehicles take the detour while it is closed")
        let after = entriesLow.filter { $0.0 > 2200 }.map(\.1)
        #expect((after.last ?? 0) > (after.first ?? 0), "the link is used again after it reopens")
        let k = Dictionary(uniqueKeysWithValues: d.kpis().map { ($0.name, $0.value) })
        #expect(k["trips_completed"] == 720 && k["trips_cancelled"] == 0, "\(k)")
        #expect((k["trips_rerouted"] ?? 0) > 50 && (k["water_delay"] ?? 0) > 0)
        #expect(abs((k["link_hours_closed"] ?? 0) - 600.0 / 3600) < 20.0 / 3600, "\(k["link_hours_closed"] ?? 0)")
        // the same bits on 3 workers and 4 partitions
        let other = try Self.run(detour: true, workers: 3, partitions: 4)
        #expect(other.arrivals == d.arrivals && other.linkEntries == d.linkEntries)
    }

    /// Without a detour, vehicles wait at the closed link; a short longest wait cancels the trips that waited
    /// longer, a long one lets every trip finish after the water falls.
    @Test func closureWithoutDetourWaitsOrCancels() throws {
        let patient = try Self.run(detour: false, maxWait: .hours(1))
        let p = Dictionary(uniqueKeysWithValues: patient.kpis().map { ($0.name, $0.value) })
        #expect(p["trips_completed"] == 720 && p["trips_cancelled"] == 0, "\(p)")
        #expect((p["mean_delay"] ?? 0) > 60, "the closure delays the trips")
        let hasty = try Self.run(detour: false, maxWait: .minutes(2))
        let h = Dictionary(uniqueKeysWithValues: hasty.kpis().map { ($0.name, $0.value) })
        #expect((h["trips_cancelled"] ?? 0) > 10, "\(h)")
        #expect((h["trips_completed"] ?? 0) + (h["trips_cancelled"] ?? 0) == 720, "\(h)")
    }
}
