import FloodModel
import Foundation
import SimCore
import SimEngine

/// The benchmark case shared with Landlab's `landlab_bench.py`: a tilted V-shaped valley
/// z = slope_long · y + slope_side · |x − x_c| on an n × n grid of 5 m cells, all edges closed, uniform rain.
public enum FloodBenchmark {
    public struct Result: Codable {
        public var n: Int, workers: Int, precision: String, advection: Bool
        public var simSeconds: Double, steps: Int64
        public var wallSeconds: Double, cpuSeconds: Double
        public var cellUpdatesPerSecond: Double, cellUpdatesPerCPUSecond: Double
        public var massBalanceRelErr: Double, maxDepth: Double
        /// MPI ranks (1: one process) and the most bytes any rank sent per step.
        public var ranks: Int = 1, bytesSentPerStepPerRank: Double = 0
        /// Of them, the bytes of the step's own exchange (halo rows, row accounts), without gathering outputs.
        public var haloBytesPerStepPerRank: Double = 0
    }

    public static func valley(
        n: Int, dx: Double = 5, rainMmH: Double = 50, manning: Double = 0.03,
        slopeLong: Double = 0.005, slopeSide: Double = 0.01, precision: Precision
    ) -> FloodSetup {
        let g = GridGeometry(nx: n, ny: n, cellSize: dx)
        var z = [Double](repeating: 0, count: n * n)
        let xc = 0.5 * Double(n - 1) * dx
        for j in 0..<n {
            for i in 0..<n {
                // row j = northing index from the top; y measured from the valley mouth at the south edge
                let y = Double(n - 1 - j) * dx
                let x = Double(i) * dx
                z[j * n + i] = slopeLong * y + slopeSide * abs(x - xc)
            }
        }
        var s = FloodSetup(geometry: g, terrain: z, manning: manning)
        s.rain = RainSeries(times: [.zero], rates: [rainMmH / 3_600_000])
        s.precision = precision
        s.parameters.maxStep = .seconds(60)
        return s
    }

    public static func run(
        n: Int, simSeconds: Double, workers: Int, precision: Precision, advection: Bool = false, maxWall: Double = 0,
        ranks: (any RankGroup)? = nil
    ) -> Result {
        var setup = valley(n: n, precision: precision)
        setup.parameters.advection = advection
        let dom = makeFloodDomain(setup, partitions: PartitionLayout.defaultCount(rows: n, workers: workers))
        let end = SimTime(milliseconds: Int64(simSeconds * 1000))
        let sim = Simulation(
            domains: [dom], schedule: RunSchedule(end: end, outputInterval: .seconds(60)), workers: workers,
            ranks: ranks)
        let w0 = Date()
        let c0 = processCPUSeconds()
        if maxWall > 0 { sim.stopRequested = { Date().timeIntervalSince(w0) > maxWall } }
        _ = try? sim.run(observer: nil)
        let wall = Date().timeIntervalSince(w0)
        let cpu = processCPUSeconds() - c0
        let cells = Double(n * n)
        let steps = Double(dom.substeps)
        let total = Double(ranks?.bytesSent ?? 0)
        var sent = [total / max(steps, 1), (total - Double(sim.synchronizeBytes)) / max(steps, 1)]
        if let ranks { sent.withUnsafeMutableBufferPointer { ranks.allReduceMax($0) } }
        var r = Result(
            n: n, workers: workers, precision: precision.rawValue, advection: advection, simSeconds: sim.clock.seconds,
            steps: dom.substeps,
            wallSeconds: wall, cpuSeconds: cpu, cellUpdatesPerSecond: cells * steps / wall,
            cellUpdatesPerCPUSecond: cells * steps / cpu, massBalanceRelErr: dom.massBalance.relativeError,
            maxDepth: dom.depths.max() ?? 0)
        r.ranks = ranks?.size ?? 1
        r.bytesSentPerStepPerRank = sent[0]
        r.haloBytesPerStepPerRank = sent[1]
        return r
    }
}
