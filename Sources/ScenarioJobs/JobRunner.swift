import Foundation
import SimCore
import SimEngine
import SimIO

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
    /// Stop after the first tick that reaches this simulated time (a checkpoint, then `completed` false), on every
    /// rank alike (`--until`).
    public var until: SimTime?
    /// Refuse jobs whose estimate exceeds this many bytes (nil: the memory the kernel says is available).
    public var maxMemory: Double?
    /// The ranks of a distributed run (`mpirun -np R citytwin run`; nil: this process alone). Rank 0 checks the
    /// output folder, holds the lock and writes results and checkpoints; every rank steps its share.
    public var ranks: (any RankGroup)?
    /// Ranks of the run on this node: each holds the whole state, so each may use only its share of the memory.
    public var ranksOnNode = 1
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
    /// Distributed runs: bytes this rank sent in the steps and making the state whole (outputs, checkpoints).
    public var bytesSent: (step: Int, synchronize: Int)?
}

/// Runs a job end to end: model, setup, simulation, results and checkpoints.
///
/// Safe on a shared node: one run per output name at a time (`RunLock`); an existing result, energy event table
/// or run folder is replaced only with `--overwrite` (and a run folder only if it carries the engine's marker);
/// every file is written through an exclusive temporary and moved into place once complete.
public enum JobRunner {
    public static func run(_ job: Job, _ o: RunOptions) throws -> RunSummary {
        let sync = RankSync(ranks: o.ranks)
        let resultPath = o.outputDirectory + "/" + job.name + ".h5"
        let workDir = o.outputDirectory + "/" + job.name + ".work"
        // rank 0 alone looks at (and locks) the output folder; the others learn what it found
        let (lock, found) = try sync.agree { try sync.leader ? checkOutput(job, o) : (nil, .start(hasWork: false)) }
        defer { withExtendedLifetime(lock) {} }
        let status = sync.share(found)
        let hasWork = status.hasWork
        if case .complete = status {
            o.message("'\(resultPath)' is already complete for this job: nothing to resume")
            return RunSummary(
                resultPath: resultPath, kpis: [:], wallSeconds: 0, ticks: 0, cellUpdatesPerSecond: nil,
                resumedFrom: nil, completed: true, workDir: workDir)
        }
        let fm = FileManager.default
        let mayReplace = o.overwrite || (o.resume && hasWork)
        let workers = o.workers ?? job.workers ?? ProcessInfo.processInfo.activeProcessorCount
        let (model, mainCheckpoint) = try sync.agree { () throws -> (CityModel, RunStore.Checkpoint?) in
            var model = try CityModel.load(directory: job.modelDirectory, access: job.access, rasters: false)
            // resources are checked before anything proportional to the job is read or built
            let estimate = try ResourceEstimate.of(job: job, model: model, workers: workers)
            try estimate.check(
                maxMemory: (o.maxMemory ?? ResourceEstimate.availableMemory()) / Double(max(o.ranksOnNode, 1)),
                freeDisk: ResourceEstimate.freeDisk(o.outputDirectory), job: job)
            try model.loadRasters()
            // a resumed run whose recorded day has no checkpoint yet starts it over; the planning days' stay
            guard sync.leader else { return (model, nil) }
            var ck =
                o.resume && hasWork
                ? try RunStore.newestCheckpoint(workDir: workDir, jobHash: job.resultHash, warn: o.message) : nil
            if o.resume && hasWork && ck == nil {
                for sub in ["checkpoints", "segments"] { try? fm.removeItem(atPath: workDir + "/" + sub) }
            }
            // a fork without checkpoints of its own starts from its saved state
            if ck == nil, let f = job.fork { ck = try forkState(f) }
            return (model, ck)
        }
        let checkpoint = try sync.agree { () throws -> RunStore.Checkpoint? in
            // the other ranks read the checkpoint rank 0 chose
            let path = sync.share(mainCheckpoint?.path ?? "")
            guard !sync.leader, !path.isEmpty else { return mainCheckpoint }
            if let f = job.fork, path == f.checkpoint { return try forkState(f) }
            return try RunStore.checkpoint(at: path, jobHash: job.resultHash)
        }
        let forking = job.fork != nil && checkpoint?.path == job.fork?.checkpoint
        let planning = PlanningRun(
            workDir: workDir, jobName: job.name, jobHash: job.resultHash, checkpointInterval: job.checkpointInterval,
            resume: o.resume && hasWork, stopRequested: sync.leader ? o.stopRequested : { false },
            message: o.message)
        planning.writes = sync.leader
        let scenario = try sync.agree {
            try Scenario.assemble(
                job: job, model: model, workers: workers, partitions: o.partitions, planning: planning,
                state: job.fork == nil ? nil : checkpoint?.state, message: o.message)
        }
        if sync.any(scenario.interrupted) {
            return RunSummary(
                resultPath: resultPath, kpis: [:], wallSeconds: 0, ticks: 0, cellUpdatesPerSecond: nil,
                resumedFrom: nil, completed: false, workDir: workDir)
        }
        let domains = scenario.domains
        // every file the run writes obeys the result's rule: the domains' side tables too
        let sidePaths = domains.flatMap { d in
            d.sideFiles.map { (d, $0, o.outputDirectory + "/" + job.name + "-" + $0) }
        }
        let schedule = RunSchedule(
            end: SimTime(milliseconds: job.duration.milliseconds), outputInterval: job.outputInterval,
            checkpointInterval: job.checkpointInterval)
        let sim = Simulation(
            domains: domains, schedule: schedule, workers: workers, couplings: scenario.couplings, ranks: o.ranks)
        let until = o.until
        sim.stopRequested = { [unowned sim] in o.stopRequested() || until.map { sim.clock >= $0 } ?? false }
        var meta = RunMetadata(
            jobName: job.name, jobYAML: job.text, jobHash: job.resultHash, seed: job.seed,
            engineVersion: o.engineVersion, gitCommit: o.gitCommit, workers: workers,
            partitions: domains[0].partitionCount,
            startISO: job.startISO, epsg: scenario.epsg, ranks: o.ranks?.size ?? 1)
        meta.forkInvariants = job.forkInvariantText
        meta.forkedFrom = job.fork.map { ForkOrigin(path: $0.checkpoint, clock: $0.clock, jobHash: $0.stateHash) }
        let store = try sync.agree { () throws -> RunStore? in
            if sync.leader {
                for p in sidePaths.map(\.2) where !mayReplace && SafeFile.exists(p) {
                    throw RunError(
                        "'\(p)' already exists",
                        hint: "pass --overwrite to replace it (only once the new run completes), or --output DIR")
                }
            }
            if let ck = checkpoint { try restore(sim, from: ck) }
            if o.resume && checkpoint == nil {
                // a re-queued task is always launched with --resume: before the first checkpoint, start over
                o.message("no checkpoint to resume from: starting '\(job.name)' from the beginning")
            }
            guard sync.leader else { return nil }
            let store = try RunStore(
                resultPath: resultPath, workDir: workDir, metadata: meta, schemas: sim.domains.map(\.outputSchema),
                keep: job.checkpointKeep)
            store.keepStates = job.keepStates
            if let checkpoint, let f = job.fork, forking {
                try store.adoptFork(checkpoint, segmentsDir: f.segmentsDir)
            } else if let checkpoint {
                try store.adopt(checkpoint)
            }
            return store
        }
        if let ck = checkpoint {
            o.message(
                forking
                    ? "forking from the saved state \(ck.path) at \(ck.clock)"
                    : "resuming from \(ck.path) at \(ck.clock)")
        }
        store?.onCheckpoint = { o.message("checkpoint \($0)") }
        // rank 0 writes the result and its checkpoint files, the other ranks their parts of each checkpoint
        let observer: SimulationObserver? =
            store.map { ProgressObserver(store: $0, progress: o.progress, end: schedule.end) }
            ?? o.ranks.map { RankCheckpointWriter(workDir: workDir, jobHash: job.resultHash, rank: $0.rank) }
        let t0 = Date()
        let startTick = sim.tick
        let completed = try sim.run(observer: observer)
        let wall = Date().timeIntervalSince(t0)
        if !completed {
            try sim.checkpoint(observer)
            return RunSummary(
                resultPath: resultPath, kpis: [:], wallSeconds: wall, ticks: sim.tick - startTick,
                cellUpdatesPerSecond: nil,
                resumedFrom: checkpoint?.path, completed: false, workDir: workDir)
        }
        if let store {
            store.metadata.wallSeconds = wall
            try store.finish(sim, overwrite: o.overwrite || o.resume) {
                for (d, name, path) in sidePaths {
                    try writeFileAtomically(path, d.sideFile(name), overwrite: o.overwrite || o.resume)
                }
            }
        }
        var kpis: [String: [KPI]] = [:]
        for d in sim.domains { kpis[d.name] = d.kpis() }
        let cups: Double? =
            job.flood != nil && job.traffic == nil
            ? Double(sim.tick - startTick) * Double(scenario.floodCells) / max(wall, 1e-9) : nil
        var summary = RunSummary(
            resultPath: resultPath, kpis: kpis, wallSeconds: wall, ticks: sim.tick - startTick,
            cellUpdatesPerSecond: cups,
            resumedFrom: checkpoint?.path, completed: true, workDir: workDir)
        if let r = o.ranks { summary.bytesSent = (r.bytesSent - sim.synchronizeBytes, sim.synchronizeBytes) }
        return summary
    }

    /// The saved state a fork starts from (all its rank parts).
    static func forkState(_ f: ForkPoint) throws -> RunStore.Checkpoint {
        do {
            guard let ck = try RunStore.checkpoint(at: f.checkpoint, jobHash: f.stateHash) else {
                throw RunError("the saved state '\(f.checkpoint)' is incomplete")
            }
            return ck
        } catch let e as RunError {
            throw e
        } catch {
            throw RunError(
                "cannot read the saved state '\(f.checkpoint)': \(error)", hint: "fork from another of the kept states")
        }
    }

    /// What rank 0 found in the output folder.
    enum OutputStatus: Equatable {
        case start(hasWork: Bool)
        case complete
        var hasWork: Bool { if case .start(let w) = self { w } else { false } }
    }

    /// The output folder's checks (made only by rank 0): writable, locked for this job, nothing replaced that
    /// must not be, an earlier run's folder ours. Returns the lock and what is there.
    static func checkOutput(_ job: Job, _ o: RunOptions) throws -> (RunLock?, OutputStatus) {
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
        let lock = try RunLock(directory: outDir, name: job.name)
        let resultPath = outDir + "/" + job.name + ".h5"
        let workDir = outDir + "/" + job.name + ".work"
        if let f = job.fork {
            let from = (f.checkpoint as NSString).standardizingPath
            for own in [RunStore.statesPath(for: resultPath), workDir]
            where from.hasPrefix((own as NSString).standardizingPath + "/") {
                throw RunError(
                    "the fork '\(job.name)' would write over the states it starts from ('\(own)')",
                    hint: "give the fork another name or pass --output DIR")
            }
        }
        let hasWork = SafeFile.exists(workDir)
        if o.resume && !hasWork, SafeFile.exists(resultPath), RunStore.resultHash(resultPath) == job.resultHash {
            return (lock, .complete)
        }
        if !(o.overwrite || (o.resume && hasWork)) && SafeFile.exists(resultPath) {
            throw RunError(
                "'\(resultPath)' already exists",
                hint: "pass --overwrite to replace it (only once the new run completes), or --output DIR")
        }
        let states = RunStore.statesPath(for: resultPath)
        if job.keepStates && SafeFile.exists(states) {
            if !RunStore.isRunFolder(states) {
                throw RunError(
                    "'\(states)' exists but is not a CityTwin states folder", hint: "move it away, or pass --output DIR"
                )
            }
            if !(o.overwrite || (o.resume && hasWork)) {
                throw RunError(
                    "the kept states '\(states)' of an earlier run already exist",
                    hint: "pass --overwrite to replace them (only once the new run completes), or --output DIR")
            }
        }
        if hasWork && !RunStore.isRunFolder(workDir) {
            throw RunError(
                "'\(workDir)' exists but is not a CityTwin run folder (it has no \(RunStore.markerName) marker)",
                hint: "it was left as it is: move it away, or pass --output DIR")
        }
        if hasWork && !o.resume {
            guard o.overwrite else {
                throw RunError(
                    "an earlier run of '\(job.name)' left checkpoints in '\(workDir)'",
                    hint: "pass --resume to continue it, or --overwrite to start afresh")
            }
            do { try fm.removeItem(atPath: workDir) } catch {
                throw RunError("cannot remove the earlier run folder '\(workDir)': \(error.localizedDescription)")
            }
            return (lock, .start(hasWork: false))
        }
        return (lock, .start(hasWork: hasWork))
    }

    /// Takes every domain's state and the exchange buffers back from a checkpoint.
    static func restore(_ sim: Simulation, from ck: RunStore.Checkpoint) throws {
        for d in sim.domains {
            guard let st = ck.state[d.name] else {
                throw RunError(
                    "checkpoint '\(ck.path)' has no '\(d.name)' state", hint: "start afresh with --overwrite")
            }
            do {
                if let parts = ck.parts[d.name] { try d.restore(fromParts: parts) } else { try d.restore(from: st) }
            } catch let e as RunError {
                throw RunError("checkpoint '\(ck.path)' refused: \(e.message)", hint: e.hint)
            }
        }
        if !sim.couplings.isEmpty {
            guard let st = ck.state[RunStore.exchangeGroup] else {
                throw RunError(
                    "checkpoint '\(ck.path)' has no exchange buffers for the couplings",
                    hint: "it was written by another version; start afresh with --overwrite")
            }
            try sim.restoreExchange(from: st)
        }
        sim.restoreClock(ck.clock, tick: ck.tick)
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
