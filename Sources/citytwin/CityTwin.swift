import ArgumentParser
import CityImport
import FloodModel
import Foundation
import ScenarioJobs
import SimCore
import SimEngine
import SimIO

@main
struct CityTwin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "citytwin",
        abstract: "City-scale simulation batch engine: flood, traffic and energy on a real city.",
        version: CityTwinVersion.string,
        subcommands: [
            Run.self, Validate.self, StudyCommand.self, Inspect.self, Compare.self, Export.self, Report.self,
            Fork.self, Fit.self, Calibrate.self, Import.self, Assign.self, PowerFlowCommand.self,
            Bench.self,
        ])
}

/// Exit codes: 0 ok, 1 the run failed, 64 invalid input (EX_USAGE), 130 interrupted (checkpoint written).
enum Exit {
    static func fail(_ error: Error) -> ExitCode {
        switch error {
        case let e as InputError:
            printErr(e.description)
            printErr("\(e.diagnostics.count) problem\(e.diagnostics.count == 1 ? "" : "s") found")
            return ExitCode(64)
        case let e as RunError:
            printErr(e.description)
            return ExitCode(1)
        default:
            printErr("error: \(error)")
            return ExitCode(1)
        }
    }
}

func printErr(_ s: String) { FileHandle.standardError.write((s + "\n").data(using: .utf8)!) }

/// `--allow-path DIR` (repeatable): folders a job or model may read files from besides its own.
struct AccessOptions: ParsableArguments {
    @Option(
        name: .customLong("allow-path"),
        help: ArgumentHelp(
            "Also let the job and its model read files under DIR (repeatable). By default a model's files must be "
                + "in its folder and a job's in its own or its model's folder.", valueName: "DIR"))
    var allowPaths: [String] = []

    func access() throws -> FileAccess {
        var a = FileAccess()
        for p in allowPaths { try a.allow(p) }
        return a
    }
}

/// `--max-memory SIZE`: the memory a run may use (default: what the kernel says is available).
struct ResourceOptions: ParsableArguments {
    @Option(
        name: .customLong("max-memory"),
        help: ArgumentHelp(
            "Refuse a job whose estimated peak memory exceeds SIZE (e.g. 8G, 512M; default: the available memory).",
            valueName: "SIZE"))
    var maxMemory: String?

    func validate() throws {
        if let m = maxMemory, ResourceEstimate.parseSize(m) == nil {
            throw ValidationError("--max-memory must be a size such as 8G, 512M or 2000000000 (got '\(m)')")
        }
    }

    var bytes: Double? { maxMemory.flatMap(ResourceEstimate.parseSize) }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a job file and its model; report every problem at once.")
    @Argument(help: "Job or study file (YAML).") var job: String
    @Flag(help: "Also print the job's estimated peak memory, disk space and run time.") var estimate = false
    @Option(help: "Worker threads the estimate assumes (default: the job's 'workers', else all cores).")
    var workers: Int?
    @Option(name: .shortAndLong, help: "Results folder whose free space the estimate is checked against.")
    var output: String = "results"
    @OptionGroup var access: AccessOptions
    @OptionGroup var resources: ResourceOptions

    func run() throws {
        if Study.isStudy(path: job) { return try validateStudy() }
        do {
            let j = try Job.load(path: job, access: try access.access())
            var model = try CityModel.load(directory: j.modelDirectory, access: j.access, rasters: false)
            let workers = workers ?? j.workers ?? ProcessInfo.processInfo.activeProcessorCount
            // the same refusal as 'run', before anything proportional to the job is built
            let before = try ResourceEstimate.of(job: j, model: model, workers: workers)
            try before.check(
                maxMemory: resources.bytes ?? ResourceEstimate.availableMemory(),
                freeDisk: ResourceEstimate.freeDisk(output), job: j)
            try model.loadRasters()
            let s = try Scenario.assemble(job: j, model: model, workers: workers, partitions: nil, planning: nil)
            print(
                "\(job): ok — '\(j.name)', \(j.duration)"
                    + " on model '\(model.name)' (\(s.summary.joined(separator: "; ")))"
            )
            if estimate {
                let e = try ResourceEstimate.of(job: j, model: model, workers: workers)
                for line in e.report(workers: workers) { print("  " + line) }
            }
        } catch { throw Exit.fail(error) }
    }
}

extension Validate {
    func validateStudy() throws {
        do {
            let s = try Study.load(path: job, access: try access.access())
            let w = workers ?? 1
            let check = try s.check(workers: w)
            let alternatives = s.alternatives.map(\.name)
            print(
                "\(job): ok — study '\(s.name)': \(alternatives.count) alternatives × \(s.seeds.count) seeds = "
                    + "\(s.runs.count) runs on '\(s.baseFile)'")
            for (alt, summary) in check.summaries { print("  \(alt): \(summary.joined(separator: "; "))") }
            if estimate {
                for (alt, e) in check.estimates {
                    print("  \(alt) (one run, \(w) worker\(w == 1 ? "" : "s")):")
                    for line in e.report(workers: w) { print("    " + line) }
                }
                print("  all runs write about \(ResourceEstimate.size(check.totalDisk))")
            }
        } catch { throw Exit.fail(error) }
    }
}

/// Which run of a study `citytwin run STUDY --alternative A --seed K` means (a plain job file takes neither).
struct StudySelection {
    var alternative: String?
    var seed: UInt64?

    func job(path: String, access: FileAccess) throws -> Job {
        guard Study.isStudy(path: path) else {
            if alternative != nil || seed != nil {
                throw InputError(
                    SourceLocation(file: path), code: "E-RUN-001",
                    message: "--alternative and --seed select a run of a study file; this is a job file")
            }
            return try Job.load(path: path, access: access)
        }
        guard let alternative, let seed else {
            throw InputError(
                SourceLocation(file: path), code: "E-RUN-002",
                message: "this is a study: run it with 'citytwin study run', or pick one run with --alternative NAME "
                    + "--seed K")
        }
        let s = try Study.load(path: path, access: access)
        return try s.run(alternative: alternative, seed: seed).job
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a job: HDF5 results, checkpoints, KPI summary.")
    @Argument(help: "Job file (YAML), or a study file with --alternative and --seed.") var job: String
    @Option(help: "Of a study file: the alternative to run.") var alternative: String?
    @Option(help: "Of a study file: the seed to run.") var seed: UInt64?
    @OptionGroup var settings: RunSettings

    func validate() throws { try settings.check() }

    func run() throws {
        var c = "citytwin run \(job) --resume"
        if let alternative, let seed { c += " --alternative \(alternative) --seed \(seed)" }
        try settings.execute(resumeCommand: c + settings.resumeArguments) { access in
            try StudySelection(alternative: alternative, seed: seed).job(path: job, access: access)
        }
    }
}

/// How a run is carried out (`run`, `fork`): workers, folders, resume, the display, file access and resources.
struct RunSettings: ParsableArguments {
    @Option(help: "Worker threads (default: the job's 'workers', else all cores).") var workers: Int?
    @Option(help: "Partitions (default: about 8 per worker). Results do not depend on it.") var partitions: Int?
    @Option(name: .shortAndLong, help: "Results folder.") var output: String = "results"
    @Flag(help: "Continue from the newest valid checkpoint of an interrupted run (or start, if there is none).")
    var resume = false
    @Flag(help: "Replace an existing result (only once the new run has completed).") var overwrite = false
    @Flag(
        help: ArgumentHelp(
            "Keep every checkpoint, and after the run its states (<output>/<name>.states) to fork alternatives "
                + "from (as the job key checkpoint: {keep: all})."))
    var keepCheckpoints = false
    @Option(
        help: ArgumentHelp(
            "Stop after the first step that reaches this simulated time (7h, or an ISO 8601 instant), write a "
                + "checkpoint and exit 130, as after SIGTERM: --resume continues (a time-limited allocation).",
            valueName: "TIME"))
    var until: String?
    @Flag(help: "No progress display.") var quiet = false
    @OptionGroup var access: AccessOptions
    @OptionGroup var resources: ResourceOptions

    func check() throws {
        // every rank of an MPI launch checks this before MPI starts: one rank alone cannot fail later
        if let until, ForkPoint.milliseconds(until, start: "0001-01-01T00:00:00Z") == nil {
            throw ValidationError(
                "--until '\(until)' is not a time: give a duration (7h, 105min) or an ISO 8601 instant")
        }
        if let w = workers, w < 1 { throw ValidationError("--workers must be at least 1 (got \(w))") }
        if let p = partitions, p < 1 { throw ValidationError("--partitions must be at least 1 (got \(p))") }
    }

    /// The options a resume command repeats.
    var resumeArguments: String {
        var c = ""
        if output != "results" { c += " --output \(output)" }
        if let workers { c += " --workers \(workers)" }
        if keepCheckpoints { c += " --keep-checkpoints" }
        for p in access.allowPaths { c += " --allow-path \(p)" }
        return c
    }

    /// Resolves the job (every rank the same way; rank 0 says what is wrong) and runs it.
    func execute(resumeCommand: String, job resolve: (FileAccess) throws -> Job) throws {
        // a write beyond a file-size limit fails with EFBIG (reported, exit 1) instead of killing the process
        signal(SIGXFSZ, SIG_IGN)
        // under mpirun every rank runs this; rank 0 reports, the others step their share silently
        let ranks = try startRanks()
        defer { ranks?.finalize() }
        let lead = (ranks?.rank ?? 0) == 0
        var j: Job
        do {
            j = try resolve(try access.access())
        } catch {
            // every rank reads the same file and fails the same way: rank 0 says it
            if !lead { throw ExitCode(error is InputError ? 64 : 1) }
            throw Exit.fail(error)
        }
        if keepCheckpoints { j.keepStates = true }
        var o = RunOptions()
        // checked before any rank started (`check`): here only an instant before the start can fail, and stops at once
        if let until { o.until = SimTime(milliseconds: ForkPoint.milliseconds(until, start: j.startISO) ?? 0) }
        o.workers = workers
        o.partitions = partitions
        o.outputDirectory = output
        o.resume = resume
        o.overwrite = overwrite
        o.maxMemory = resources.bytes
        o.gitCommit = gitCommit()
        o.ranks = ranks
        o.ranksOnNode = ranks?.ranksOnNode ?? 1
        let progress = Progress(quiet: quiet || !lead)
        o.progress = { progress.update($0, $1) }
        o.message = { m in if lead { progress.message(m) } }
        let stop = StopFlag()
        stop.install()
        let parent = ProcessInfo.processInfo.environment[StudyRunner.parentVariable].flatMap { Int32($0) }
        // a run of a study stops (writing a checkpoint) once its runner is gone: no orphan keeps the run's lock
        o.stopRequested = { stop.requested || (parent.map { getppid() != $0 } ?? false) }
        do {
            let s = try JobRunner.run(j, o)
            progress.finish()
            if !s.completed {
                if lead { printErr("interrupted: checkpoint written in \(s.workDir); continue with: \(resumeCommand)") }
                throw ExitCode(130)
            }
            guard lead else { return }
            report(s, job: j, ranks: ranks)
        } catch let e as ExitCode { throw e } catch is RankStopped {
            throw ExitCode(1)
        } catch let e as AgreedError {
            progress.finish()
            throw Exit.fail(e.underlying)
        } catch {
            progress.finish()
            let code = Exit.fail(
                ranks.flatMap { $0.rank > 0 ? RankFailure(rank: $0.rank, error: error) : nil } ?? error)
            // the other ranks may wait for this one in the step loop: end them all
            if let ranks, ranks.size > 1 { ranks.abort(code: code.rawValue) }
            throw code
        }
    }

    /// The run's summary: time, KPIs, where the result (and its states) are.
    func report(_ s: RunSummary, job j: Job, ranks: MPIRanks?) {
        let rate = s.cellUpdatesPerSecond.map { ", \(fmtNum($0 / 1e6)) M cell-updates/s" } ?? ""
        print("run '\(j.name)' done in \(fmtNum(s.wallSeconds)) s (\(s.ticks) steps\(rate))")
        if let r = s.resumedFrom { print("\(j.fork?.checkpoint == r ? "forked" : "resumed") from \(r)") }
        if let ranks, let b = s.bytesSent {
            let perStep = Double(b.step) / Double(max(s.ticks, 1)) / 1e3
            print(
                "ranks: \(ranks.size); rank 0 sent \(fmtNum(perStep)) kB per step"
                    + " and \(fmtNum(Double(b.synchronize) / 1e6)) MB gathering outputs and checkpoints")
        }
        for (domain, kpis) in s.kpis.sorted(by: { $0.key < $1.key }) {
            print("\(domain):")
            let width = max(16, kpis.map(\.name.count).max() ?? 16)
            for k in kpis {
                let name = k.name + String(repeating: " ", count: max(0, width - k.name.count))
                print("  \(name) \(fmtNum(k.value)) \(k.units)")
            }
        }
        print("result: \(s.resultPath)")
        if j.keepStates && !s.kpis.isEmpty { print("states: \(RunStore.statesPath(for: s.resultPath))") }
    }

    /// The ranks when an MPI launcher started this process (nil otherwise).
    func startRanks() throws -> MPIRanks? {
        guard MPIRanks.launched(environment: ProcessInfo.processInfo.environment) else { return nil }
        do { return try MPIRanks() } catch { throw Exit.fail(error) }
    }
}

struct Fork: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an alternative from a saved state of a run (the city at 07:00), its changes from then on.",
        discussion: """
            The state comes from a run with --keep-checkpoints (or checkpoint: {keep: all}): its states folder \
            <output>/<name>.states, or one checkpoint file in it. The alternative's job must be the saved run's job \
            in what the state holds (model, seed, start, output times, domains and couplings, vehicles and their \
            planning, energy agents and grid: each difference is a located error); forcing, parameters, outages, \
            repair times and network changes added after the saved run's take effect from the state's time. The \
            result covers the whole run: before the state it is the saved run's, byte for byte, and a fork without \
            changes equals the saved run from then on (docs/twin.md).
            """)
    @Argument(help: "The saved state: a states folder (<output>/<name>.states) or a checkpoint file in it.")
    var state: String
    @Option(help: "The alternative's job file.") var job: String
    @Option(
        help: ArgumentHelp(
            "The state to start from: a duration since the run's start (7h) or an ISO 8601 instant; the first kept "
                + "state at or after it. Needed when the folder keeps several.", valueName: "TIME"))
    var from: String?
    @OptionGroup var settings: RunSettings

    func validate() throws { try settings.check() }

    func run() throws {
        var c = "citytwin fork \(state) --job \(job) --resume"
        if let from { c += " --from \(from)" }
        try settings.execute(resumeCommand: c + settings.resumeArguments) { access in
            let point: ForkPoint
            do { point = try ForkPoint.locate(state, at: from) } catch let e as RunError {
                throw InputError(SourceLocation(file: state), code: "E-FORK-010", message: e.message, hint: e.hint)
            }
            return try Job.load(path: job, access: access).forked(from: point)
        }
    }
}

/// An error of one rank of a distributed run, said with the rank.
struct RankFailure: Error, CustomStringConvertible {
    let rank: Int
    let error: any Error
    var description: String { "rank \(rank): \(error)" }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show what a result file holds and the run's KPIs.")
    @Argument(help: "Result file (.h5).") var result: String
    func run() throws {
        do {
            print(try ResultInspector.describe(path: result))
        } catch { throw Exit.fail(error) }
    }
}

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare alternatives with a base: paired differences of every KPI and entity over common seeds.",
        discussion:
            "Pass a study folder (<output>/<study>) or result files; results are grouped by job name (one "
            + "alternative each) and paired by seed. A study folder gets compare.csv and compare.h5 written into it.")
    @Argument(help: "A study folder, or result files (.h5) of the base and the alternatives, one per seed.")
    var results: [String]
    @Option(help: "The base job's name (default: a study's base at each sweep point, else the first file's).")
    var base: String?
    @Option(help: "Confidence level of the intervals.") var confidence: Double = 0.95
    @Option(help: "Also write the table as CSV to this file (default for a study: <folder>/compare.csv).")
    var csv: String?
    @Option(help: "Write the per-entity differences to this HDF5 file (default for a study: <folder>/compare.h5).")
    var h5: String?
    @Option(
        name: .customLong("target-halfwidth"),
        help: "KPI=VALUE: the seeds a paired interval of that half-width needs (FHWA Toolbox III, App. B).")
    var targets: [String] = []
    func run() throws {
        do {
            var wanted: [String: Double] = [:]
            for t in targets {
                let parts = t.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let v = Double(parts[1]), v > 0, v.isFinite else {
                    throw InputError(
                        SourceLocation(file: "--target-halfwidth"), code: "E-CMP-002",
                        message: "'\(t)' is not KPI=VALUE with a positive value", hint: "e.g. mean_delay=2")
                }
                wanted[parts[0]] = v
            }
            guard confidence > 0 && confidence < 1 else {
                throw InputError(
                    SourceLocation(file: "--confidence"), code: "E-CMP-001",
                    message: "the confidence level must lie between 0 and 1 (e.g. 0.95)")
            }
            let input = try StudyPlan.compareInputs(results)
            let c = try Comparison.of(
                paths: input.paths, base: base, planned: input.planned, confidence: confidence, targets: wanted)
            print(c.table)
            let entities = try EntityComparison.of(groups: c.files, pairs: c.pairs, confidence: confidence)
            for line in entities.summary { print(line) }
            let csvPath = csv ?? input.folder.map { $0 + "/compare.csv" }
            if let csvPath { try writeFileAtomically(csvPath, c.csv, overwrite: true) }
            let h5Path = h5 ?? input.folder.map { $0 + "/compare.h5" }
            if let h5Path {
                try entities.write(to: h5Path, kpiTable: c.csv)
                print("per-entity differences: \(h5Path)")
            }
        } catch { throw Exit.fail(error) }
    }
}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build a city model directory from source data.",
        subcommands: [
            Terrain.self, OSMCommand.self, GridCommand.self, TNTPCommand.self, SUMOCommand.self, MATSimCommand.self,
        ])
    struct Terrain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Terrain + sea + land cover for flood from an SRTM tile and a .poly boundary.")
        @Option(help: "SRTM .hgt or .hgt.zip") var hgt: String
        @Option(help: "Osmosis .poly boundary") var poly: String
        @Option(help: "Model name") var name: String
        @Option(help: "Cell size (m)") var cell: Double = 10
        @Option(help: "Margin around the boundary (m)") var margin: Double = 300
        @Option(name: .shortAndLong, help: "Output model directory") var output: String
        func run() throws {
            var t = TerrainImport(name: name, hgtPath: hgt, polyPath: poly)
            t.cellSize = cell
            t.margin = margin
            do {
                let r = try t.run(outputDirectory: output)
                print(
                    "wrote \(output): \(r.geometry.nx) x \(r.geometry.ny) cells of \(fmtNum(cell)) m"
                        + ", EPSG:\(r.geometry.epsg)"
                        + ", \(r.voidsFilled) SRTM voids filled, \(r.seaCells) sea cells"
                )
            } catch { throw Exit.fail(error) }
        }
    }
}

func fmtNum(_ v: Double) -> String {
    if v == 0 { return "0" }
    if abs(v) >= 1e6 || abs(v) < 1e-3 { return String(format: "%.4g", v) }
    if abs(v) >= 100 { return String(format: "%.1f", v) }
    return String(format: "%.3f", v)
}

func gitCommit() -> String {
    if let c = ProcessInfo.processInfo.environment["CITYTWIN_GIT_COMMIT"], !c.isEmpty { return c }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["git", "rev-parse", "--short=12", "HEAD"]
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = FileHandle.nullDevice
    do { try p.run() } catch { return "unknown" }
    p.waitUntilExit()
    let s =
        String(data: pipe.fileHandleForReading.readDataToEndOfFile(), encoding: .utf8)?.trimmingCharacters(
            in: .whitespacesAndNewlines) ?? ""
    return p.terminationStatus == 0 && !s.isEmpty ? s : "unknown"
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Flood solver benchmark (the Landlab valley case); prints one JSON line.")
    @Option(help: "Grid is n x n cells of 5 m") var n: Int = 500
    @Option(help: "Simulated seconds") var seconds: Double = 3600
    @Option(help: "Worker threads") var workers: Int = 1
    @Option(help: "single or double") var precision: String = "single"
    @Option(help: "Stop after this many wall seconds (0 = run to the end)") var maxWall: Double = 0
    @Flag(help: "Include momentum advection (flood.advection in a job)") var advection = false
    func run() throws {
        guard let p = Precision(rawValue: precision) else {
            throw ValidationError("--precision must be single or double")
        }
        // under mpirun the grid's row bands are split over the ranks; rank 0 prints
        let ranks = MPIRanks.launched(environment: ProcessInfo.processInfo.environment) ? try MPIRanks() : nil
        defer { ranks?.finalize() }
        let r = FloodBenchmark.run(
            n: n, simSeconds: seconds, workers: workers, precision: p, advection: advection, maxWall: maxWall,
            ranks: ranks)
        guard (ranks?.rank ?? 0) == 0 else { return }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        print(String(data: try enc.encode(r), encoding: .utf8)!)
    }
}
