import Foundation
import SimCore
import SimIO

extension StudyRunner {
    /// What one task did.
    public enum TaskOutcome: Sendable {
        /// The run is complete (now or already before).
        case done(RunStatus)
        /// Stopped (SIGTERM from the scheduler, preemption): its checkpoint is kept, the same task resumes it.
        case interrupted(RunStatus)
        case failed(RunStatus)
    }

    /// Runs the study's run number `index` (its line in the array's `tasks.tsv`, else its position in `study.runs`;
    /// the Slurm array index) exactly as `run()`
    /// runs each run — its own `citytwin run … --resume` process, `status.json` before and after — but with no
    /// study lock: the scheduler decides what runs where. A complete run is left as it is; an interrupted one
    /// resumes from its newest checkpoint. `stopRequested` (SIGTERM) is passed on to the run.
    public func runTask(index: Int) throws -> TaskOutcome {
        let run = try taskRun(index)
        let dir = runFolder(run)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        if let s = RunStatus.read(folder: dir) {
            guard s.jobHash == run.job.resultHash else {
                throw RunError(
                    "the study changed since '\(dir)' was run (job hash \(s.jobHash), now \(run.job.resultHash))",
                    hint: "write the array script into another folder (--output DIR) or remove this one")
            }
            if s.state == .done && s.isComplete(folder: dir) { return .done(s) }
        } else {
            try status(of: run).write(folder: dir)
        }
        if !SafeFile.exists(dir + "/job.yaml") {
            try SafeFile.write(dir + "/job.yaml", Array(run.job.text.utf8), overwrite: true)
        }
        let finished = DispatchSemaphore(value: 0)
        let active = try launch(run, finished)
        var stopping = false
        while active.process.isRunning {
            if !stopping && options.stopRequested() {
                stopping = true
                kill(active.process.processIdentifier, SIGTERM)
            }
            _ = finished.wait(timeout: .now() + 1)
        }
        let s = conclude(active, stopping: stopping)
        switch s.state {
        case .done: return .done(s)
        case .pending, .running: return .interrupted(s)
        case .failed: return .failed(s)
        }
    }

    /// The run of array task `index`: the alternative and seed on its line of `<study>/slurm/tasks.tsv` (the array
    /// may hold fewer runs than the study: a calibration batch leaves the base out), else `study.runs[index]`.
    func taskRun(_ index: Int) throws -> Study.Run {
        let table = folder + "/slurm/tasks.tsv"
        if InputFile.isRegularFile(table) {
            let lines = try InputFile.text(table, limit: 16 << 20, what: "the task table").split(separator: "\n")
            guard index >= 0, index + 1 < lines.count else {
                throw RunError(
                    "task \(index): '\(table)' lists \(max(0, lines.count - 1)) runs",
                    hint: "the array script and its task table disagree: write them again")
            }
            let f = lines[index + 1].split(separator: "\t")
            guard f.count >= 3, let seed = UInt64(f[2]) else {
                throw RunError(
                    "task \(index): line \(index + 2) of '\(table)' is not 'index, alternative, seed, folder'")
            }
            return try study.run(alternative: String(f[1]), seed: seed)
        }
        guard study.runs.indices.contains(index) else {
            throw RunError(
                "task \(index): study '\(study.name)' has \(study.runs.count) runs "
                    + "(indices 0...\(study.runs.count - 1))",
                hint: "the array script and the study disagree: write it again with 'citytwin study slurm'")
        }
        return study.runs[index]
    }
}
