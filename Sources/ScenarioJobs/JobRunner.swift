import EnergyModel
import FloodModel
import Foundation
import SimCore
import SimEngine
import SimIO
import TrafficModel

public struct RunOptions {
    public var workers: Int?
    public var partitions: Int?
    public var outputDirectory: String = "results"
    public var resume = false
    public var overwrite = false
    public var engineVersion = CityTwinVersion.string
    public var gitCommit = "unknown"
    /// Called after every tick with (simulated time, end time); cheap, throttle display yourself.
    public var progress: ((SimTime, SimTime) -> Void)?
    public var message: (String) -> Void = { _ in }
    public var stopRequested: () -> Bool = { false }
    public init() {}
}

public enum CityTwinVersion { public static let string = "0.1.0" }

public struct RunSummary {
    public var resultPath: String
    public var kpis: [String: [KPI]]
    public var wallSeconds: Double
    public var ticks: Int64
    public var cellUpdatesPerSecond: Double?
    public var resumedFrom: String?
    public var completed: Bool
    public var workDir: String
}

/// Runs a job end to end: model, setup, simulation, results and checkpoints.
public enum JobRunner {
    public static func run(_ job: Job, _ o: RunOptions) throws -> RunSummary {
        let fm = FileManager.default
        let outDir = o.outputDirectory
        var isDir: ObjCBool = false
        if !fm.fileExists(atPath: outDir, isDirectory: &isDir) {
            do { try fm.createDirectory(atPath: outDir, withIntermediateDirectories: true) } catch {
                throw RunError(
                    "cannot create results folder '\(outDir)': \(error.localizedDescription)",
                    hint: "pass --output DIR with a writable folder")
            }
        } else if !isDir.boolValue {
            throw RunError("'\(outDir)' is not a folder", hint: "pass --output DIR with a folder")
        }
        if !fm.isWritableFile(atPath: outDir) {
            throw RunError(
                "results folder '\(outDir)' is not writable", hint: "pass --output DIR with a writable folder")
        }
        let resultPath = outDir + "/" + job.name + ".h5"
        let workDir = outDir + "/" + job.name + ".work"
        if fm.fileExists(atPath: resultPath) && !o.overwrite && !o.resume {
            throw RunError(
                "result '\(resultPath)' already exists",
                hint: "pass --overwrite to replace it (only once the new run completes), or --output DIR")
        }
        if fm.fileExists(atPath: workDir) && !o.resume {
            if o.overwrite {
                try? fm.removeItem(atPath: workDir)
            } else {
                throw RunError(
                    "an earlier run of '\(job.name)' left checkpoints in '\(workDir)'",
                    hint: "pass --resume to continue it, or --overwrite to start afresh")
            }
        }

        if o.resume && !fm.fileExists(atPath: workDir) {
            throw RunError(
                "nothing to resume: no run folder '\(workDir)'", hint: "run without --resume to start the job")
        }
        let model = try CityModel.load(directory: job.modelDirectory)
        let workers = o.workers ?? job.workers ?? ProcessInfo.processInfo.activeProcessorCount
        var domains: [any DomainModel] = []
        var floodCells = 0
        var flood: (any DomainModel & FloodInspectable)?
        if job.flood != nil {
            let setup = try ScenarioBuilder.floodSetup(job: job, model: model)
            let partitions =
                o.partitions ?? job.partitions
                ?? PartitionLayout.defaultCount(rows: setup.geometry.ny, workers: workers)
            let f = makeFloodDomain(setup, partitions: partitions)
            domains.append(f)
            flood = f
            floodCells = setup.geometry.count
        }
        var trafficDomain: TrafficDomain?
        var trafficPlans: (VehiclePlans, RoadNetwork)?
        if let t = job.traffic {
            let setup = try ScenarioBuilder.trafficSetup(job: job, model: model)
            let network = setup.network
            if setup.rerouted + setup.dropped > 0 {
                o.message(
                    "network changes: \(setup.rerouted) vehicles re-routed around closed links, \(setup.dropped) left without a route (dropped)"
                )
            }
            let plans = setup.plans.scaled(by: t.demandScale, jitter: t.departureJitter, seed: job.seed)
            var p = QueueParameters()
            p.tick = t.tick
            p.stuckTime = t.stuckTime
            p.jamSpacing = t.jamSpacing
            p.flowCapacityFactor = t.flowCapacityFactor
            p.storageCapacityFactor = t.storageCapacityFactor
            p.seed = job.seed
            p.junctionDelay = t.junctionDelay
            let partitions = o.partitions ?? job.partitions ?? max(1, 8 * workers)
            var finalPlans = plans
            var its: [TrafficPlanner.Iteration] = []
            if t.iterations > 1 {
                (finalPlans, its) = TrafficPlanner.iterate(
                    network: network, plans: plans, parameters: p, iterations: t.iterations,
                    rerouteShare: t.rerouteShare, horizon: job.duration, workers: workers,
                    partitions: partitions, seed: job.seed
                ) { it in
                    o.message(
                        "iteration \(it.index): relative gap \(String(format: "%.4f", it.relativeGap)), mean trip \(String(format: "%.1f", it.meanTravelTime)) s, \(it.rerouted) re-routed"
                    )
                }
            }
            let d = TrafficDomain(network: network, plans: finalPlans, parameters: p, partitions: partitions)
            d.iterationResults = its.map { ($0.relativeGap, $0.averageExcess, $0.meanTravelTime) }
            domains.append(d)
            trafficDomain = d
            trafficPlans = (finalPlans, network)
        }
        if job.energy != nil {
            var setup = try ScenarioBuilder.energySetup(job: job, model: model)
            if let (plans, net) = trafficPlans {
                // occupancy and EVs follow the traffic population's activity schedules
                let (drivers, unmatched) = ScenarioBuilder.drivers(
                    plans: plans, network: net, buildings: setup.buildings)
                setup.drivers = drivers
                o.message(
                    "energy: \(drivers.count) drivers of the traffic population placed in their home buildings"
                        + (unmatched > 0 ? " (\(unmatched) vehicles without a person_leg id left out)" : ""))
            }
            let e = try EnergyDomain(setup)
            if let t = trafficDomain { e.vehicleArrivals = { [unowned t] in t.arrivals } }
            if let f = flood {
                // coupling: the water depth in each substation's cell, read at every energy step (the flood domain is
                // stepped first in each tick, so this is its state at the step's start for every worker count)
                let cells = setup.assets.map { f.geometry.cell(x: $0.x, y: $0.y).map { f.geometry.index($0.i, $0.j) } }
                e.waterDepthAtAssets = { [unowned f] in
                    let h = f.depths
                    return cells.map { $0.map { h[$0] } ?? 0 }
                }
            }
            domains.append(e)
        }
        let schedule = RunSchedule(
            end: SimTime(milliseconds: job.duration.milliseconds), outputInterval: job.outputInterval,
            checkpointInterval: job.checkpointInterval)
        let sim = Simulation(domains: domains, schedule: schedule, workers: workers)
        sim.stopRequested = o.stopRequested
        let meta = RunMetadata(
            jobName: job.name, jobYAML: job.text, jobHash: job.resultHash, seed: job.seed,
            engineVersion: o.engineVersion, gitCommit: o.gitCommit, workers: workers,
            partitions: domains[0].partitionCount,
            startISO: job.startISO)
        var resumedFrom: String?
        var checkpoint: RunStore.Checkpoint?
        if o.resume {
            guard fm.fileExists(atPath: workDir) else {
                throw RunError(
                    "nothing to resume: no run folder '\(workDir)'", hint: "run without --resume to start the job")
            }
            guard let ck = try RunStore.newestCheckpoint(workDir: workDir, jobHash: job.resultHash, warn: o.message)
            else {
                throw RunError(
                    "no valid checkpoint in '\(workDir)/checkpoints'",
                    hint: "run with --overwrite (without --resume) to start afresh")
            }
            for d in sim.domains {
                guard let st = ck.state[d.name] else {
                    throw RunError(
                        "checkpoint '\(ck.path)' has no '\(d.name)' state", hint: "start afresh with --overwrite")
                }
                do { try d.restore(from: st) } catch let e as RunError {
                    throw RunError("checkpoint '\(ck.path)' refused: \(e.message)", hint: e.hint)
                }
            }
            sim.restoreClock(ck.clock, tick: ck.tick)
            resumedFrom = ck.path
            checkpoint = ck
            o.message("resuming from \(ck.path) at \(ck.clock)")
        }
        let store = try RunStore(
            resultPath: resultPath, workDir: workDir, metadata: meta, schemas: sim.domains.map(\.outputSchema),
            keep: job.checkpointKeep)
        if let checkpoint { try store.adopt(checkpoint) }
        store.onCheckpoint = { o.message("checkpoint \($0)") }
        let observer = ProgressObserver(store: store, progress: o.progress, end: schedule.end)
        let t0 = Date()
        let startTick = sim.tick
        let completed = try sim.run(observer: observer)
        let wall = Date().timeIntervalSince(t0)
        if !completed {
            try store.didReachCheckpoint(sim)
            return RunSummary(
                resultPath: resultPath, kpis: [:], wallSeconds: wall, ticks: sim.tick - startTick,
                cellUpdatesPerSecond: nil,
                resumedFrom: resumedFrom, completed: false, workDir: workDir)
        }
        try store.finish(sim, overwrite: true)
        for case let e as EnergyDomain in sim.domains {
            // the substation event table beside the result (trips and restorations)
            try writeFileAtomically(
                outDir + "/" + job.name + "-energy-events.csv", e.eventTableCSV(startISO: job.startISO))
        }
        var kpis: [String: [KPI]] = [:]
        for d in sim.domains { kpis[d.name] = d.kpis() }
        let cups: Double? =
            job.flood != nil && job.traffic == nil
            ? Double(sim.tick - startTick) * Double(floodCells) / max(wall, 1e-9) : nil
        return RunSummary(
            resultPath: resultPath, kpis: kpis, wallSeconds: wall, ticks: sim.tick - startTick,
            cellUpdatesPerSecond: cups,
            resumedFrom: resumedFrom, completed: true, workDir: workDir)
    }
}

/// Forwards to the run store and reports progress.
final class ProgressObserver: SimulationObserver {
    let store: RunStore
    let progress: ((SimTime, SimTime) -> Void)?
    let end: SimTime
    init(store: RunStore, progress: ((SimTime, SimTime) -> Void)?, end: SimTime) {
        self.store = store
        self.progress = progress
        self.end = end
    }
    func didTick(_ sim: Simulation, diagnostics: [[Double]]) throws {
        try store.didTick(sim, diagnostics: diagnostics)
        progress?(sim.clock, end)
    }
    func didReachOutput(_ sim: Simulation, snapshots: [[ArrayData]]) throws {
        try store.didReachOutput(sim, snapshots: snapshots)
    }
    func didReachCheckpoint(_ sim: Simulation) throws { try store.didReachCheckpoint(sim) }
}
