import Foundation
import SimCore
import SimEngine
import TrafficModel

/// Iterations toward a dynamic user equilibrium, in the manner of Gawron (1998, Int. J. Mod. Phys. C 9:393) and
/// MATSim's re-planning: simulate the day, measure link travel times by entry time (15-min bins), let a share of
/// the vehicles switch to their time-dependent fastest route (earliest arrival on those times), and repeat. The
/// share falls as in the method of successive averages (Sheffi 1985, "Urban Transportation Networks", ch. 12):
/// min(reroute_share, 1/(k+1)) after iteration k, so the day converges instead of swinging between routes.
///
/// Reported per iteration: the relative gap Σ(experienced − best) / Σ experienced over the vehicles (a fixed
/// sample of at most 20,000 when there are more), where best is the earliest-arrival trip on the measured times
/// for the same departure, and the average excess travel time Σ(experienced − best) / N.
///
/// Deterministic: who re-routes is drawn from Philox keyed by (seed, iteration, vehicle id) — the same draw for a
/// vehicle in every alternative; routes are found in parallel chunks but each vehicle's result depends only on the
/// measured times.
public enum TrafficPlanner {
    public struct Iteration: Sendable, Equatable {
        public var index: Int
        public var relativeGap: Double
        public var averageExcess: Double
        public var meanTravelTime: Double
        public var arrived: Int
        public var rerouted: Int
    }

    public static let bin = SimDuration.seconds(900)

    /// Where the planning days stand: days done, the plans the next day drives, the results so far, and inside a
    /// day its clock, tick and state (from a checkpoint).
    public struct State {
        public var daysDone: Int
        public var plans: VehiclePlans
        public var results: [Iteration]
        public var day: (clock: SimTime, tick: Int64, state: [NamedArray])?
    }

    /// How the days are driven: checkpoints every `checkpointInterval` of a day and after each day (`save`), a stop
    /// request honoured at the next tick (the state is saved, `iterate` returns nil).
    public struct Control {
        public var checkpointInterval: SimDuration?
        public var stopRequested: () -> Bool = { false }
        public var save: (State) throws -> Void = { _ in }
        public init() {}
    }

    /// The iterations without checkpoints (tests, tools).
    public static func iterate(
        network net: RoadNetwork, plans: VehiclePlans, parameters: QueueParameters, iterations: Int,
        rerouteShare: Double, horizon: SimDuration, workers: Int, partitions: Int, seed: UInt64,
        progress: (Iteration) -> Void = { _ in }
    ) throws -> (VehiclePlans, [Iteration]) {
        let start = State(daysDone: 0, plans: plans, results: [], day: nil)
        return try iterate(
            network: net, from: start, parameters: parameters, iterations: iterations, rerouteShare: rerouteShare,
            horizon: horizon, workers: workers, partitions: partitions, seed: seed, control: Control(),
            progress: progress)!
    }

    /// Runs the planning days from `start` (a fresh start or a checkpoint) to the end, or until a stop request
    /// (nil). Each day is a simulation of the engine's step loop on the dry, powered network.
    public static func iterate(
        network net: RoadNetwork, from start: State, parameters: QueueParameters, iterations: Int,
        rerouteShare: Double, horizon: SimDuration, workers: Int, partitions: Int, seed: UInt64, control: Control,
        progress: (Iteration) -> Void = { _ in }
    ) throws -> (VehiclePlans, [Iteration])? {
        var current = start.plans
        var out = start.results
        let exec = ParallelExecutor(workers: workers)
        let rng = Philox4x64(seed: seed, stream: 0x7272_7465)  // "rrte"
        let keys = start.plans.ids.map(StableKey.of)
        for k in start.daysDone..<max(0, iterations - 1) {
            var p = parameters
            p.profileBin = bin
            p.profileHorizon = horizon
            let d = TrafficDomain(network: net, plans: current, parameters: p, partitions: partitions)
            let sim = Simulation(
                domains: [d],
                schedule: RunSchedule(
                    end: SimTime(milliseconds: horizon.milliseconds), outputInterval: horizon,
                    checkpointInterval: control.checkpointInterval),
                workers: workers)
            if k == start.daysDone, let day = start.day {
                try d.restore(from: day.state)
                sim.restoreClock(day.clock, tick: day.tick)
            }
            sim.stopRequested = control.stopRequested
            let plansNow = current
            let done = out
            let saver = DaySaver { sim in
                try control.save(
                    State(daysDone: k, plans: plansNow, results: done, day: (sim.clock, sim.tick, d.checkpointState())))
            }
            guard try sim.run(observer: saver) else {
                try control.save(
                    State(daysDone: k, plans: plansNow, results: done, day: (sim.clock, sim.tick, d.checkpointState())))
                return nil
            }
            guard let profile = d.travelTimeProfile() else { break }
            let starts = d.starts
            let arrivals = d.arrivals
            let n = current.count
            let stride = max(1, n / 20_000)
            let share = min(rerouteShare, 1 / Double(k + 2))
            // chunks of vehicles, each with its own search state; results in vehicle order
            let chunk = 512
            let chunks = (n + chunk - 1) / chunk
            let results = exec.map(chunks) {
                c -> [(excess: Double, experienced: Double, sampled: Bool, route: [Int32]?)] in
                var tree = ShortestPathTree(nodeCount: net.nodeCount)
                var path: [Int32] = []
                var res: [(Double, Double, Bool, [Int32]?)] = []
                for v in (c * chunk)..<min(n, (c + 1) * chunk) {
                    let route = plansNow.route(v)
                    let sampled = v % stride == 0
                    let reroute = Philox4x64.unitDouble(rng.block((UInt64(k), keys[v], 0, 0)).0) < share
                    guard starts[v] >= 0, route.count >= 2, sampled || reroute else {
                        res.append((0, 0, false, nil))
                        continue
                    }
                    let first = Int(route.first!)
                    let last = Int(route.last!)
                    let t0 = Double(starts[v])
                    let afterFirst = t0 + 1000 * profile.time(first, at: t0)
                    let o = Int(net.to[first])
                    let dnode = Int(net.from[last])
                    guard
                        let atDest = tree.earliestArrival(
                            net, from: o, departAt: afterFirst, to: dnode, profile: profile, path: &path)
                    else {
                        res.append((0, 0, false, nil))
                        continue
                    }
                    let best = atDest + 1000 * profile.time(last, at: atDest) - t0
                    let end = arrivals[v] >= 0 ? Double(arrivals[v]) : Double(horizon.milliseconds)
                    let experienced = end - t0
                    let newRoute: [Int32]? = reroute ? [Int32(first)] + path + [Int32(last)] : nil
                    res.append((max(0, experienced - best), experienced, sampled, newRoute))
                }
                return res
            }.flatMap { $0 }
            var ex = 0.0
            var tot = 0.0
            var cnt = 0
            var rerouted = 0
            var next = VehiclePlans()
            for v in 0..<n {
                let r = results[v]
                if r.sampled {
                    ex += r.excess
                    tot += r.experienced
                    cnt += 1
                }
                if let nr = r.route {
                    next.append(id: plansNow.ids[v], depart: plansNow.depart[v], route: nr)
                    rerouted += 1
                } else {
                    next.append(id: plansNow.ids[v], depart: plansNow.depart[v], route: Array(plansNow.route(v)))
                }
            }
            var ttSum = 0.0
            var arrived = 0
            for v in 0..<n where arrivals[v] >= 0 {
                ttSum += Double(arrivals[v] - starts[v]) / 1000
                arrived += 1
            }
            let it = Iteration(
                index: k + 1, relativeGap: tot > 0 ? ex / tot : 0, averageExcess: cnt > 0 ? ex / Double(cnt) / 1000 : 0,
                meanTravelTime: arrived > 0 ? ttSum / Double(arrived) : 0, arrived: arrived, rerouted: rerouted)
            out.append(it)
            progress(it)
            current = next
            try control.save(State(daysDone: k + 1, plans: current, results: out, day: nil))
        }
        return (current, out)
    }
}

/// Hands a planning day's checkpoints to the planner's control (the day's outputs are not kept).
final class DaySaver: SimulationObserver {
    let save: (Simulation) throws -> Void
    init(save: @escaping (Simulation) throws -> Void) { self.save = save }
    func didTick(_ sim: Simulation, diagnostics: [[Double]]) throws {}
    func didReachOutput(_ sim: Simulation, snapshots: [[ArrayData]]) throws {}
    func didReachCheckpoint(_ sim: Simulation) throws { try save(sim) }
}
