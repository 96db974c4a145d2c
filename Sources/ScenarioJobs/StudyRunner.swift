import Foundation
import SimCore
import SimIO

/// Runs a study's runs on this node, each in its own `citytwin run` process (a crash of one cannot take the others
/// down), `jobs` at a time. State lives in the run folders' `status.json` files, so the same call after any
/// interruption — SIGKILL of the runner included — continues: done runs are kept, interrupted ones resume from
/// their checkpoints, pending ones start. One runner per study folder (a lock); `summary.csv` is rebuilt from the
/// files.
public final class StudyRunner {
    public struct Options {
        public var output = "results"
        /// Concurrent runs (default: cores / workers).
        public var jobs: Int?
        /// Worker threads of each run.
        public var workers = 1
        public var retryFailed = false
        public var failFast = false
        public var maxMemory: Double?
        /// The `citytwin` executable each run is started with, and arguments every run also gets (`--allow-path`).
        public var executable: String
        public var extraArguments: [String] = []
        public var event: (Event) -> Void = { _ in }
        public var stopRequested: () -> Bool = { false }
        public init(executable: String) { self.executable = executable }
    }

    public enum Event {
        case plan(total: Int, done: Int, concurrent: Int, folder: String)
        case started(alternative: String, seed: UInt64, resumed: Bool)
        case finished(RunStatus)
        case tick(Counts)
        case message(String)
    }

    public struct Counts: Sendable {
        public var total = 0, done = 0, running = 0, failed = 0
        /// Estimated seconds until every run has finished, once one has.
        public var eta: Double?
    }

    public struct Outcome: Sendable {
        public var folder: String
        public var counts: Counts
        public var interrupted: Bool
    }

    /// The environment variable that tells a run the runner's pid: the run stops (writing a checkpoint) as soon as
    /// its parent is gone, so a killed runner leaves no orphan holding a run's lock.
    public static let parentVariable = "CITYTWIN_STUDY_RUNNER_PID"

    let study: Study
    /// Set before `run()`; `jobs` may be decided after asking `remaining`.
    public var options: Options
    let folder: String

    public init(study: Study, options: Options) {
        self.study = study
        self.options = options
        folder = options.output + "/" + study.name
    }

    /// Runs not yet complete (whatever their state).
    public var remaining: Int {
        study.runs.filter { !(RunStatus.read(folder: runFolder($0))?.isComplete(folder: runFolder($0)) ?? false) }
            .count
    }

    struct Active {
        var process: Process
        var run: Study.Run
        var status: RunStatus
        var started: Date
        var logOffset: UInt64
    }

    public func run() throws -> Outcome {
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let lock: RunLock
        do { lock = try RunLock(directory: folder, name: "study") } catch let e as RunError {
            throw RunError(
                "another study runner is working on '\(folder)': \(e.message)",
                hint: "wait for it to finish (see 'citytwin study status \(folder)'), or pass --output DIR")
        }
        defer { withExtendedLifetime(lock) {} }
        var queue = try prepare()
        try StudyPlan(study).write(folder: folder)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let concurrent = max(1, options.jobs ?? max(1, cores / max(1, options.workers)))
        var counts = Counts(total: study.runs.count)
        counts.failed = countFailed(excluding: queue)
        counts.done = study.runs.count - queue.count - counts.failed
        options.event(.plan(total: counts.total, done: counts.done, concurrent: concurrent, folder: folder))
        let finished = DispatchSemaphore(value: 0)
        var active: [Active] = []
        var walls: [Double] = []
        var stopping = false
        var interrupted = false
        while !queue.isEmpty || !active.isEmpty {
            if !stopping && options.stopRequested() {
                stopping = true
                interrupted = true
                options.event(.message("stopping: each running run writes a checkpoint; the same command continues"))
                for a in active { kill(a.process.processIdentifier, SIGTERM) }
            }
            while !stopping && active.count < concurrent, !queue.isEmpty {
                let run = queue.removeFirst()
                do {
                    active.append(try launch(run, finished))
                } catch {
                    var s = status(of: run)
                    s.state = .failed
                    s.error = "\(error)"
                    try? s.write(folder: runFolder(run))
                    counts.failed += 1
                    options.event(.finished(s))
                }
                counts.running = active.count
                options.event(.tick(counts))
            }
            if active.isEmpty { break }
            _ = finished.wait(timeout: .now() + 1)
            var k = 0
            while k < active.count {
                guard !active[k].process.isRunning else {
                    k += 1
                    continue
                }
                let a = active.remove(at: k)
                let s = conclude(a, stopping: stopping)
                switch s.state {
                case .done:
                    counts.done += 1
                    walls.append(s.wallSeconds ?? 0)
                case .failed:
                    counts.failed += 1
                    if options.failFast && !stopping {
                        stopping = true
                        options.event(.message("--fail-fast: stopping the other runs after this failure"))
                        for b in active { kill(b.process.processIdentifier, SIGTERM) }
                    }
                case .pending where !stopping && s.note == Self.lockRetry:
                    usleep(500_000)
                    queue.insert(a.run, at: 0)
                case .pending, .running: break
                }
                options.event(.finished(s))
            }
            counts.running = active.count
            if !walls.isEmpty {
                let mean = walls.reduce(0, +) / Double(walls.count)
                let left = Double(counts.total - counts.done - counts.failed)
                counts.eta = mean * left / Double(concurrent)
            }
            options.event(.tick(counts))
        }
        try writeSummary()
        return Outcome(folder: folder, counts: counts, interrupted: interrupted)
    }

    func runFolder(_ run: Study.Run) -> String { folder + "/" + run.folder }

    func status(of run: Study.Run) -> RunStatus {
        RunStatus.read(folder: runFolder(run))
            ?? RunStatus(
                alternative: run.alternative, seed: run.seed, state: .pending, jobHash: run.job.resultHash,
                engineVersion: CityTwinVersion.string, attempts: 0, result: run.job.name + ".h5")
    }

    func countFailed(excluding queue: [Study.Run]) -> Int {
        study.runs.filter { run in
            !queue.contains { $0.folder == run.folder } && RunStatus.read(folder: runFolder(run))?.state == .failed
        }.count
    }

    /// The runs to do, in study order; refuses a folder whose runs were made by another version of the study.
    func prepare() throws -> [Study.Run] {
        var queue: [Study.Run] = []
        var changed: [String] = []
        for run in study.runs {
            let dir = runFolder(run)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            guard var s = RunStatus.read(folder: dir) else {
                let s = status(of: run)
                try s.write(folder: dir)
                try SafeFile.write(dir + "/job.yaml", Array(run.job.text.utf8), overwrite: true)
                queue.append(run)
                continue
            }
            if s.jobHash != run.job.resultHash {
                changed.append("\(run.folder) (job hash \(s.jobHash), the study now gives \(run.job.resultHash))")
                continue
            }
            switch s.state {
            case .done where s.isComplete(folder: dir): continue
            case .failed where !options.retryFailed: continue
            case .done, .failed, .running, .pending:
                if s.state == .done { s.note = "result missing or not this job's: run again" }
                if s.state == .running { s.note = "interrupted: resumes from its newest checkpoint" }
                s.state = .pending
                try s.write(folder: dir)
                queue.append(run)
            }
        }
        if !changed.isEmpty {
            throw RunError(
                "the study changed since '\(folder)' was run: \(changed.prefix(3).joined(separator: "; "))"
                    + (changed.count > 3 ? " and \(changed.count - 3) more" : ""),
                hint: "run the changed study into another folder (--output DIR) or remove this one")
        }
        return queue
    }

    func launch(_ run: Study.Run, _ finished: DispatchSemaphore) throws -> Active {
        let dir = runFolder(run)
        try waitForRunLock(run)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: options.executable)
        var args = [
            "run", study.file, "--alternative", run.alternative, "--seed", "\(run.seed)", "--output", dir,
            "--workers", "\(options.workers)", "--resume", "--quiet",
        ]
        if let m = options.maxMemory { args += ["--max-memory", "\(Int64(m))"] }
        p.arguments = args + options.extraArguments
        var env = ProcessInfo.processInfo.environment
        env[Self.parentVariable] = "\(getpid())"
        p.environment = env
        let logPath = dir + "/run.log"
        let fd = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw RunError("cannot open '\(logPath)': \(String(cString: strerror(errno)))") }
        let log = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        let offset = (try? log.seekToEnd()) ?? 0
        let header = "=== \(RunStatus.now()) citytwin \(args.joined(separator: " "))\n"
        log.write(Data(header.utf8))
        p.standardOutput = log
        p.standardError = log
        p.standardInput = FileHandle.nullDevice
        p.terminationHandler = { _ in finished.signal() }
        var s = status(of: run)
        let resumed = SafeFile.exists(dir + "/" + run.job.name + ".work")
        s.state = .running
        s.attempts += 1
        s.started = RunStatus.now()
        s.ended = nil
        s.exitCode = nil
        s.error = nil
        s.note = resumed ? "resumed from its newest checkpoint" : nil
        s.engineVersion = CityTwinVersion.string
        try s.write(folder: dir)
        try p.run()
        options.event(.started(alternative: run.alternative, seed: run.seed, resumed: resumed))
        return Active(process: p, run: run, status: s, started: Date(), logOffset: offset + UInt64(header.utf8.count))
    }

    /// A run left by a killed runner stops by itself once it sees its parent gone; wait (a minute at most) for it to
    /// release its run's lock before starting the run again.
    func waitForRunLock(_ run: Study.Run) throws {
        let deadline = Date().addingTimeInterval(60)
        while true {
            do {
                _ = try RunLock(directory: runFolder(run), name: run.job.name)
                return
            } catch let e as RunError {
                if Date() > deadline { throw e }
                usleep(200_000)
            }
        }
    }

    static let lockRetry = "retried: an earlier attempt still held the run's lock"

    func conclude(_ a: Active, stopping: Bool) -> RunStatus {
        var s = a.status
        let dir = runFolder(a.run)
        let code = a.process.terminationStatus
        s.exitCode = code
        s.ended = RunStatus.now()
        s.wallSeconds = Date().timeIntervalSince(a.started)
        if code == 0 && RunStore.resultHash(dir + "/" + s.result) == s.jobHash {
            s.state = .done
        } else if code == 130 || (stopping && a.process.terminationReason == .uncaughtSignal) {
            s.state = .pending
            s.note = "interrupted: resumes from its newest checkpoint"
        } else {
            s.state = .failed
            s.error = firstError(log: dir + "/run.log", from: a.logOffset) ?? "exited with status \(code)"
            if a.process.terminationReason == .uncaughtSignal {
                s.error = "killed by signal \(code)" + (s.error.map { ": \($0)" } ?? "")
            } else if s.error?.contains("another run of") == true && s.attempts < 5 {
                // an orphan of a killed runner, started just before the kill, took the lock first: try again
                s.state = .pending
                s.error = nil
                s.note = Self.lockRetry
            } else if code == 0 {
                s.error = "the run exited 0 but left no result with this job's hash"
            }
        }
        do { try s.write(folder: dir) } catch {
            options.event(.message("cannot write the status of \(a.run.folder): \(error)"))
        }
        return s
    }

    /// The first line of this attempt's log that reports an error.
    func firstError(log path: String, from offset: UInt64) -> String? {
        guard let h = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? h.close() }
        try? h.seek(toOffset: offset)
        let data = (try? h.read(upToCount: 1 << 20)) ?? Data()
        let text = String(decoding: data, as: UTF8.self)
        let line = text.split(separator: "\n").first { $0.contains("error") }
        return line.map { String($0.prefix(400)) }
    }

    func writeSummary() throws {
        let plan = try StudyPlan.read(folder: folder)
        try SafeFile.write(folder + "/summary.csv", Array(plan.summaryCSV(folder: folder).utf8), overwrite: true)
    }
}
