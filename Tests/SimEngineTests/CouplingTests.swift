import Foundation
import SimCore
import Testing

@testable import SimEngine

/// A provider: a level on a grid that rises at a rate depending on the cell, row bands as partitions.
final class LevelDomain: DomainModel {
    let name = "toy"
    let g: GridGeometry
    var level: [Double]
    let partitionCount: Int
    var dt = 0.0
    init(nx: Int, ny: Int, partitions: Int) {
        g = GridGeometry(nx: nx, ny: ny, cellSize: 10)
        level = [Double](repeating: 0, count: nx * ny)
        partitionCount = partitions
    }
    var phaseCount: Int { 1 }
    func proposeStep(at now: SimTime, limit: SimDuration) -> SimDuration { min(limit, .seconds(7)) }
    func beginTick(at now: SimTime, step: SimDuration) { dt = step.seconds }
    func step(phase: Int, partition: Int) {
        let rows = (g.ny + partitionCount - 1) / partitionCount
        for j in min(g.ny, partition * rows)..<min(g.ny, (partition + 1) * rows) {
            for i in 0..<g.nx {
                let k = j * g.nx + i
                let rate: Double = 1e-3 * Double((k * 7919) % 13 + 1)
                level[k] += dt * rate * (1 + sin(level[k]))
            }
        }
    }
    func exchange(phase: Int) {}
    func endTick(at now: SimTime) {}
    var outputSchema: OutputSchema {
        OutputSchema(group: name, coordinates: [], snapshots: [], finals: [], diagnostics: [])
    }
    func diagnostics() -> [Double] { [] }
    func snapshot() -> [ArrayData] { [] }
    func finals() -> [ArrayData] { [] }
    func kpis() -> [KPI] { [] }
    func checkpointState() -> [NamedArray] { [NamedArray("level", .float64(level))] }
    func restore(from state: [NamedArray]) throws { level = state[0].data.doubles }
    var provides: [ExchangeField] { [ExchangeField("toy.level", units: "m", site: .cells(g))] }
    func read(_ field: String, at indices: [Int32], into values: inout [Double]) {
        for (k, i) in indices.enumerated() { values[k] = level[Int(i)] }
    }
}

/// A consumer: points that integrate the level they see, and a line that sees the maximum along it.
final class GaugeDomain: DomainModel {
    let name = "gauge"
    let xs: [Double]
    let ys: [Double]
    var seen: [Double]
    var total: [Double]
    var lineSeen: [Double] = [0]
    var dt = 0.0
    var received = 0
    let interval: SimDuration?
    init(points: [(Double, Double)], interval: SimDuration?) {
        xs = points.map(\.0)
        ys = points.map(\.1)
        seen = [Double](repeating: -1, count: points.count)
        total = seen.map { _ in 0 }
        self.interval = interval
    }
    var partitionCount: Int { 1 }
    var phaseCount: Int { 1 }
    func proposeStep(at now: SimTime, limit: SimDuration) -> SimDuration { min(limit, .seconds(5)) }
    func beginTick(at now: SimTime, step: SimDuration) { dt = step.seconds }
    func step(phase: Int, partition: Int) { for k in total.indices { total[k] += seen[k] * dt } }
    func exchange(phase: Int) {}
    func endTick(at now: SimTime) {}
    var outputSchema: OutputSchema {
        OutputSchema(group: name, coordinates: [], snapshots: [], finals: [], diagnostics: [])
    }
    func diagnostics() -> [Double] { [] }
    func snapshot() -> [ArrayData] { [] }
    func finals() -> [ArrayData] { [] }
    func kpis() -> [KPI] { [] }
    func checkpointState() -> [NamedArray] { [NamedArray("total", .float64(total))] }
    func restore(from state: [NamedArray]) throws { total = state[0].data.doubles }
    var requires: [ExchangeField] {
        [
            ExchangeField(
                "toy.level", units: "m", site: .points(ids: xs.indices.map { "p\($0)" }, x: xs, y: ys),
                interval: interval)
        ]
    }
    func receive(_ field: String, _ values: [Double]) {
        seen = values
        received += 1
    }
}

@Suite struct CouplingTests {
    static let points: [(Double, Double)] = [(5, 5), (55, 35), (95, 95), (15, 75), (71, 12)]

    /// Runs the two toy domains for 20 minutes in the given order; the gauge's integral and the level.
    func run(
        order: [Int], workers: Int, partitions: Int, interval: SimDuration? = nil, stopAt: SimTime? = nil,
        from state: ([NamedArray], [NamedArray], [NamedArray], SimTime, Int64)? = nil
    ) throws -> (total: [Double], level: [Double], state: ([NamedArray], [NamedArray], [NamedArray], SimTime, Int64)) {
        let p = LevelDomain(nx: 10, ny: 10, partitions: partitions)
        let c = GaugeDomain(points: Self.points, interval: interval)
        let all: [any DomainModel] = [p, c]
        let domains = order.map { all[$0] }
        let couplings = try Coupling.connect(domains, origin: SourceLocation(file: "toy"))
        #expect(couplings.count == 1 && couplings[0].name == "toy_gauge")
        let end = stopAt ?? SimTime(milliseconds: 1_200_000)
        let sim = Simulation(
            domains: domains, schedule: RunSchedule(end: end, outputInterval: .minutes(5)), workers: workers,
            couplings: couplings)
        if let (ps, cs, ex, t, tick) = state {
            try p.restore(from: ps)
            try c.restore(from: cs)
            try sim.restoreExchange(from: ex)
            sim.restoreClock(t, tick: tick)
        }
        try sim.run(observer: nil)
        return (c.total, p.level, (p.checkpointState(), c.checkpointState(), sim.exchangeState(), sim.clock, sim.tick))
    }

    /// Either order of the domains, 1, 3 or 8 workers, 1 or 7 partitions: the same bits. The consumer sees the
    /// provider as of the end of the previous exchange, not the provider's current tick.
    @Test func orderAndWorkersDoNotChangeTheBits() throws {
        let ref = try run(order: [0, 1], workers: 1, partitions: 1)
        #expect(ref.total.allSatisfy { $0 > 0 })
        for (order, workers, parts) in [([1, 0], 1, 1), ([0, 1], 3, 7), ([1, 0], 8, 7), ([1, 0], 3, 1)] {
            let r = try run(order: order, workers: workers, partitions: parts)
            #expect(r.total.map(\.bitPattern) == ref.total.map(\.bitPattern), "\(order) \(workers) \(parts)")
            #expect(r.level.map(\.bitPattern) == ref.level.map(\.bitPattern))
        }
        // with an interval the gauge sees fresh values only every minute, whatever the order
        let a = try run(order: [0, 1], workers: 2, partitions: 3, interval: .minutes(1))
        let b = try run(order: [1, 0], workers: 1, partitions: 1, interval: .minutes(1))
        #expect(a.total.map(\.bitPattern) == b.total.map(\.bitPattern))
        #expect(a.total != ref.total, "the interval changes what the consumer sees")
    }

    /// Stopping at 7 min, checkpointing the domains and the exchange buffers, and continuing in a new simulation
    /// gives the uninterrupted bits.
    @Test func exchangeBuffersRestore() throws {
        let ref = try run(order: [0, 1], workers: 2, partitions: 3, interval: .minutes(2))
        let half = try run(
            order: [0, 1], workers: 2, partitions: 3, interval: .minutes(2), stopAt: SimTime(milliseconds: 420_000))
        let rest = try run(order: [1, 0], workers: 3, partitions: 3, interval: .minutes(2), from: half.state)
        #expect(rest.total.map(\.bitPattern) == ref.total.map(\.bitPattern))
    }

    /// Maps: a polyline reads every cell it passes through (the maximum); points outside the grid are an error
    /// unless the job gives their value; unknown coupling names get a suggestion; a coupling switched off hands
    /// nothing over.
    @Test func mapsCoverageAndSettings() throws {
        let g = GridGeometry(nx: 4, ny: 3, cellSize: 10)
        let line = CouplingMap.build(
            from: .cells(g), to: .lines(ids: ["a", "b"], start: [0, 2, 3], x: [1, 39, 15], y: [25, 25, 5]))
        #expect(Array(line.index[0..<4]) == [0, 1, 2, 3] && line.index[4] == 9 && line.uncovered.isEmpty)
        let outside = CouplingMap.build(from: .cells(g), to: .points(ids: ["in", "out"], x: [5, 500], y: [5, 5]))
        #expect(outside.index == [8] && outside.uncovered == [1])
        let ids = CouplingMap.build(from: .entities(ids: ["v1", "v2", "v3"]), to: .entities(ids: ["v3", "v9", "v1"]))
        #expect(ids.index == [2, 0] && ids.uncovered == [1])

        let p = LevelDomain(nx: 10, ny: 10, partitions: 1)
        let c = GaugeDomain(points: [(5, 5), (5000, 5)], interval: nil)
        let origin = SourceLocation(file: "job.yaml")
        #expect {
            try Coupling.connect([p, c], origin: origin)
        } throws: { error in
            "\(error)".contains("1 of 2 gauge elements lie outside what toy covers ('p1')")
                && "\(error)".contains("couplings.toy_gauge.outside")
        }
        let allowed = try Coupling.connect(
            [p, c], settings: ["toy_gauge": CouplingSetting(outside: -7)], origin: origin)
        let sim = Simulation(
            domains: [p, c], schedule: RunSchedule(end: SimTime(milliseconds: 60_000), outputInterval: .minutes(1)),
            workers: 1, couplings: allowed)
        try sim.run(observer: nil)
        #expect(c.seen[1] == -7 && c.seen[0] > 0)
        #expect {
            try Coupling.connect([p, c], settings: ["toy_gauges": CouplingSetting(enabled: false)], origin: origin)
        } throws: { "\($0)".contains("no coupling 'toy_gauges'") && "\($0)".contains("did you mean 'toy_gauge'?") }
        let off = try Coupling.connect(
            [p, c], settings: ["toy_gauge": CouplingSetting(enabled: false)], origin: origin)
        #expect(off.isEmpty)
    }
}
