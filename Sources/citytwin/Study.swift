import ArgumentParser
import Foundation
import ScenarioJobs
import SimCore

struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "Run a planning study (alternatives × seeds) on this node or as Slurm jobs; show where it stands.",
        subcommands: [StudyRun.self, StudyStatusCommand.self, StudySlurmCommand.self, StudyTask.self])
}

struct StudyRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run every alternative × seed of a study, each in its own process, N at a time.",
        discussion:
            "Runs go to DIR/<study>/<alternative>/seed-<k>/. The same command after any interruption continues: "
            + "done runs are kept, interrupted ones resume from their checkpoints.")
    @Argument(help: "Study file (*.study.yaml).") var study: String
    @Option(help: "Runs at a time (default: cores / workers).") var jobs: Int?
    @Option(help: "Worker threads of each run.") var workers: Int = 1
    @Option(name: .shortAndLong, help: "Results folder (the study's folder is made inside it).")
    var output: String = "results"
    @Flag(name: .customLong("retry-failed"), help: "Run failed runs again.") var retryFailed = false
    @Flag(name: .customLong("fail-fast"), help: "Stop the study at the first failed run.") var failFast = false
    @Flag(help: "Plain progress lines even on a terminal.") var plain = false
    @OptionGroup var access: AccessOptions
    @OptionGroup var resources: ResourceOptions

    func validate() throws {
        if let j = jobs, j < 1 { throw ValidationError("--jobs must be at least 1 (got \(j))") }
        if workers < 1 { throw ValidationError("--workers must be at least 1 (got \(workers))") }
    }

    func run() throws {
        signal(SIGXFSZ, SIG_IGN)
        let stop = StopFlag()
        stop.install()
        let view = StudyProgress(plain: plain)
        do {
            let s = try Study.load(path: study, access: try access.access())
            let check = try s.check(workers: workers)
            var o = StudyRunner.Options(executable: selfExecutable())
            o.output = output
            o.workers = workers
            o.retryFailed = retryFailed
            o.failFast = failFast
            o.maxMemory = resources.bytes
            o.extraArguments = access.allowPaths.flatMap { ["--allow-path", $0] }
            let cores = ProcessInfo.processInfo.activeProcessorCount
            let runner = StudyRunner(study: s, options: o)
            try? FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            runner.options.jobs = try check.concurrency(
                requested: jobs ?? max(1, cores / workers),
                maxMemory: resources.bytes ?? ResourceEstimate.availableMemory(),
                freeDisk: ResourceEstimate.freeDisk(output), remaining: runner.remaining, study: s,
                message: { view.message($0) })
            runner.options.event = { view.show($0) }
            runner.options.stopRequested = { stop.requested }
            let outcome = try runner.run()
            view.finish()
            let c = outcome.counts
            print("study '\(s.name)': \(c.done) of \(c.total) runs done, \(c.failed) failed — \(outcome.folder)")
            print("summary: \(outcome.folder)/summary.csv; compare with: citytwin compare \(outcome.folder)")
            if outcome.interrupted {
                printErr("interrupted; continue with the same command")
                throw ExitCode(130)
            }
            if c.failed > 0 {
                printErr(
                    "\(c.failed) run\(c.failed == 1 ? "" : "s") failed: see citytwin study status \(outcome.folder)")
                throw ExitCode(1)
            }
        } catch let e as ExitCode { throw e } catch {
            view.finish()
            throw Exit.fail(error)
        }
    }
}

struct StudyStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Print the state of every run of a study folder.")
    @Argument(help: "The study's folder (<output>/<study name>).") var folder: String
    func run() throws {
        do {
            print(try StudyPlan.read(folder: folder).statusTable(folder: folder))
        } catch { throw Exit.fail(error) }
    }
}

struct StudySlurmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slurm",
        abstract: "Write (and with --submit, submit) a study as a Slurm array job and a compare job after it.",
        discussion:
            "DIR/<study>/slurm/runs.sbatch has one task per run (--array=0-N%K), each resuming its run from the "
            + "newest checkpoint when requeued; compare.sbatch runs compare and report once every task has ended "
            + "(submitted with --dependency=afterany). Status: citytwin study status DIR/<study>.")
    @Argument(help: "Study file (*.study.yaml).") var study: String
    @Option(name: .shortAndLong, help: "Results folder (the study's folder is made inside it).")
    var output: String = "results"
    @Option(help: "Slurm partition.") var partition: String?
    @Option(help: "Time limit of each task (Slurm's --time: MM, HH:MM:SS, D-HH).") var time: String?
    @Option(name: .customLong("max-parallel"), help: "At most K tasks at once (--array=0-N%K).") var maxParallel: Int?
    @Option(help: "Worker threads of each run (--cpus-per-task).") var workers: Int = 1
    @Flag(help: "Submit both jobs with sbatch.") var submit = false
    @OptionGroup var access: AccessOptions

    func validate() throws {
        if let k = maxParallel, k < 1 { throw ValidationError("--max-parallel must be at least 1 (got \(k))") }
        if workers < 1 { throw ValidationError("--workers must be at least 1 (got \(workers))") }
        if let t = time, t.isEmpty || !t.allSatisfy({ $0.isNumber || $0 == ":" || $0 == "-" }) {
            throw ValidationError("--time must be Slurm's MM, MM:SS, HH:MM:SS or D-HH[:MM[:SS]] (got '\(t)')")
        }
    }

    func run() throws {
        do {
            let s = try Study.load(path: study, access: try access.access())
            let check = try s.check(workers: workers)
            var o = StudySlurm.Options(executable: selfExecutable())
            o.output = output
            o.partition = partition
            o.time = time
            o.maxParallel = maxParallel
            o.workers = workers
            o.extraArguments = access.allowPaths.flatMap { ["--allow-path", $0] }
            let slurm = StudySlurm(study: s, options: o, memory: check.largest?.memory ?? 0)
            let scripts = try slurm.write()
            print("\(s.runs.count) tasks, \(workers) CPU and \(slurm.memoryMiB) MiB each: \(scripts.runs)")
            print("compare and report after them: \(scripts.compare)")
            if submit {
                let ids = try StudySlurm.submit(runs: scripts.runs, compare: scripts.compare)
                print("submitted: array job \(ids.runs), compare job \(ids.compare) (afterany:\(ids.runs))")
            } else {
                print(
                    "submit with: j=$(sbatch --parsable \(scripts.runs)) && sbatch --dependency=afterany:$j "
                        + scripts.compare)
            }
            print("status: citytwin study status \(slurm.folder)")
        } catch { throw Exit.fail(error) }
    }
}

struct StudyTask: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task", abstract: "Run one run of a study by its index (what a Slurm array task calls).",
        shouldDisplay: false)
    @Argument(help: "Study file (*.study.yaml).") var study: String
    @Option(name: .shortAndLong, help: "Results folder.") var output: String = "results"
    @Option(help: "The run's index (its line in tasks.tsv; $SLURM_ARRAY_TASK_ID).") var index: Int
    @Option(help: "Worker threads of the run.") var workers: Int = 1
    @OptionGroup var access: AccessOptions

    func run() throws {
        signal(SIGXFSZ, SIG_IGN)
        let stop = StopFlag()
        stop.install()
        do {
            let s = try Study.load(path: study, access: try access.access())
            var o = StudyRunner.Options(executable: selfExecutable())
            o.output = output
            o.workers = workers
            o.extraArguments = access.allowPaths.flatMap { ["--allow-path", $0] }
            o.stopRequested = { stop.requested }
            let runner = StudyRunner(study: s, options: o)
            switch try runner.runTask(index: index) {
            case .done(let st):
                print("done: \(st.alternative)/seed-\(st.seed) (\(st.note ?? "attempt \(st.attempts)"))")
            case .interrupted(let st):
                printErr("stopped: \(st.alternative)/seed-\(st.seed), checkpoint kept; the same task resumes it")
                throw ExitCode(130)
            case .failed(let st):
                printErr("failed: \(st.alternative)/seed-\(st.seed): \(st.error ?? "")")
                throw ExitCode(1)
            }
        } catch let e as ExitCode { throw e } catch { throw Exit.fail(error) }
    }
}

/// The path of this executable (each run of a study is started with it).
func selfExecutable() -> String {
    if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
    return CommandLine.arguments[0]
}

/// The study's overall progress: a bar (done / running / failed, ETA) on a terminal, plain lines otherwise.
final class StudyProgress {
    let tty: Bool
    var drewBar = false
    init(plain: Bool) { tty = !plain && isatty(2) == 1 }

    func show(_ e: StudyRunner.Event) {
        switch e {
        case .plan(let total, let done, let concurrent, let folder):
            message("study: \(total) runs (\(done) already done), \(concurrent) at a time, in \(folder)")
        case .started(let alt, let seed, let resumed):
            if !tty { message("start \(alt)/seed-\(seed)\(resumed ? " (resuming)" : "")") }
        case .finished(let s):
            let wall = s.wallSeconds.map { String(format: " in %.1f s", $0) } ?? ""
            switch s.state {
            case .done: if !tty { message("done  \(s.alternative)/seed-\(s.seed)\(wall)") }
            case .failed: message("FAIL  \(s.alternative)/seed-\(s.seed)\(wall): \(s.error ?? "")")
            case .pending, .running: message("stop  \(s.alternative)/seed-\(s.seed): checkpoint kept")
            }
        case .tick(let c):
            guard tty else { return }
            let width = 30
            let finished = c.done + c.failed
            let filled = c.total > 0 ? width * finished / c.total : width
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            let eta = c.eta.map { " ETA " + SimDuration(milliseconds: Int64($0) * 1000).clockString } ?? ""
            let line = "\r\(bar) \(c.done)/\(c.total) done, \(c.running) running, \(c.failed) failed\(eta)  "
            FileHandle.standardError.write(Data(line.utf8))
            drewBar = true
        case .message(let s): message(s)
        }
    }

    func message(_ s: String) {
        finish()
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }

    func finish() {
        if drewBar {
            FileHandle.standardError.write(Data("\n".utf8))
            drewBar = false
        }
    }
}
