import SimCore
import SimEngine
import SimIO
import TrafficModel

/// The planning days of a run under the engine's control: each day checkpointed into the run folder
/// (`<work>/planning/`) every checkpoint interval and when it ends, a stop request honoured at the next tick, and
/// `--resume` continuing the day it was in (or, once the recorded day has started, taking the final plans from
/// the last planning checkpoint instead of planning again).
public final class PlanningRun {
    public let workDir: String
    public let jobName: String
    public let jobHash: String
    public let checkpointInterval: SimDuration?
    public let resume: Bool
    public let stopRequested: () -> Bool
    public let message: (String) -> Void
    /// False on the other ranks of a distributed run: they read rank 0's planning checkpoints but write none.
    public var writes = true
    /// True when a stop request ended the planning days (their state is saved).
    public private(set) var interrupted = false

    public init(
        workDir: String, jobName: String, jobHash: String, checkpointInterval: SimDuration?, resume: Bool,
        stopRequested: @escaping () -> Bool, message: @escaping (String) -> Void
    ) {
        self.workDir = workDir
        self.jobName = jobName
        self.jobHash = jobHash
        self.checkpointInterval = checkpointInterval
        self.resume = resume
        self.stopRequested = stopRequested
        self.message = message
    }

    /// The plans after `iterations − 1` planning days from `base` (nil: interrupted).
    func plan(
        network: RoadNetwork, plans base: VehiclePlans, parameters: QueueParameters, iterations: Int,
        rerouteShare: Double, horizon: SimDuration, workers: Int, partitions: Int, seed: UInt64,
        progress: (TrafficPlanner.Iteration) -> Void
    ) throws -> (VehiclePlans, [TrafficPlanner.Iteration])? {
        var start = TrafficPlanner.State(daysDone: 0, plans: base, results: [], day: nil)
        if resume, let ck = try RunStore.newestPlanning(workDir: workDir, jobHash: jobHash, warn: message) {
            start = try Self.state(ck, base: base)
            if let day = ck.day {
                message("planning: resuming day \(ck.daysDone + 1) of \(iterations - 1) at \(day.clock) (\(ck.path))")
            } else {
                message("planning: \(ck.daysDone) of \(iterations - 1) days done (\(ck.path))")
            }
        }
        var control = TrafficPlanner.Control()
        control.checkpointInterval = checkpointInterval
        control.stopRequested = stopRequested
        control.save = { [self] st in
            guard writes else { return }
            try RunStore.makeRunFolder(workDir, jobName: jobName, jobHash: jobHash)
            let path = try RunStore.writePlanning(Self.checkpoint(st), workDir: workDir, jobHash: jobHash)
            message("planning checkpoint \(path)")
        }
        guard
            let out = try TrafficPlanner.iterate(
                network: network, from: start, parameters: parameters, iterations: iterations,
                rerouteShare: rerouteShare, horizon: horizon, workers: workers, partitions: partitions, seed: seed,
                control: control, progress: progress)
        else {
            interrupted = true
            return nil
        }
        return out
    }

    /// The state as named arrays: the plans (departures, route CSR) and one array per iteration result.
    static func checkpoint(_ s: TrafficPlanner.State) -> PlanningCheckpoint {
        let r = s.results
        return PlanningCheckpoint(
            daysDone: s.daysDone, day: s.day,
            arrays: [
                NamedArray("depart", .int64(s.plans.depart)), NamedArray("route_start", .int32(s.plans.routeStart)),
                NamedArray("route_links", .int32(s.plans.routeLinks)),
                NamedArray("relative_gap", .float64(r.map(\.relativeGap))),
                NamedArray("average_excess", .float64(r.map(\.averageExcess))),
                NamedArray("mean_travel_time", .float64(r.map(\.meanTravelTime))),
                NamedArray("arrived", .int64(r.map { Int64($0.arrived) })),
                NamedArray("rerouted", .int64(r.map { Int64($0.rerouted) })),
            ])
    }

    /// The state of a checkpoint, checked against the run's vehicles (ids come from the run, not the file).
    static func state(_ ck: PlanningCheckpoint, base: VehiclePlans) throws -> TrafficPlanner.State {
        let n = base.count
        func find(_ name: String) throws -> ArrayData {
            guard let a = ck.arrays.first(where: { $0.name == name }) else {
                throw RunError(
                    "planning checkpoint '\(ck.path)' has no '\(name)'", hint: "start afresh with --overwrite")
            }
            return a.data
        }
        let days = ck.daysDone
        guard case .int64(let depart) = try find("depart"), depart.count == n,
            case .int32(let rs) = try find("route_start"), rs.count == n + 1, rs.first == 0,
            case .int32(let rl) = try find("route_links"), Int(rs.last ?? -1) == rl.count,
            zip(rs, rs.dropFirst()).allSatisfy({ $0 <= $1 }),
            case .float64(let gap) = try find("relative_gap"), gap.count == days,
            case .float64(let ex) = try find("average_excess"), ex.count == days,
            case .float64(let mtt) = try find("mean_travel_time"), mtt.count == days,
            case .int64(let arr) = try find("arrived"), arr.count == days,
            case .int64(let rr) = try find("rerouted"), rr.count == days
        else {
            throw RunError(
                "planning checkpoint '\(ck.path)' does not fit this job's \(n) vehicles",
                hint: "start afresh with --overwrite")
        }
        let plans = VehiclePlans(ids: base.ids, depart: depart, routeStart: rs, routeLinks: rl)
        let results = (0..<days).map {
            TrafficPlanner.Iteration(
                index: $0 + 1, relativeGap: gap[$0], averageExcess: ex[$0], meanTravelTime: mtt[$0],
                arrived: Int(arr[$0]), rerouted: Int(rr[$0]))
        }
        return TrafficPlanner.State(daysDone: days, plans: plans, results: results, day: ck.day)
    }
}
