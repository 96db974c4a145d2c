import Foundation
import SimCore
import SimIO

/// Runs a calibration: the method asks for batches of candidate points, each batch is a study (one alternative per
/// candidate, the calibration's seeds: every candidate shares its random numbers) run by `StudyRunner` in
/// `<output>/<calibration>/batches/bNNNN`, each run fitted to the observations. Nothing but the run folders holds
/// state: after a kill the same call replays the method, finds its finished batches and goes on where it stopped,
/// ending with the same result as an uninterrupted calibration.
public final class CalibrationRunner {
    public struct Evaluation: Sendable {
        public var index: Int, batch: Int
        public var alternative: String
        public var values: [Double]
        public var objective: Double
        /// The result of its first seed.
        public var result: String
    }
    public struct Outcome: Sendable {
        public var folder: String
        public var evaluations: [Evaluation]
        public var best: Evaluation
        public var runs: Int
        public var interrupted: Bool
    }
    public struct Interrupted: Error, CustomStringConvertible {
        public var description: String { "calibration interrupted; the same command continues it" }
    }

    let calibration: Calibration
    public var options: StudyRunner.Options
    /// Run each batch as a Slurm array instead (`sbatch --wait`: this process waits on the login node or in a job
    /// of its own); nil: on this machine, through the study runner.
    public var slurm: StudySlurm.Options?
    public var log: (String) -> Void = { _ in }
    let folder: String
    var evaluations: [Evaluation] = []
    var cache: [String: Double] = [:]
    var batches = 0
    var runs = 0

    public init(_ calibration: Calibration, options: StudyRunner.Options) {
        self.calibration = calibration
        self.options = options
        folder = options.output + "/" + calibration.name
    }

    public func run() throws -> Outcome {
        try FileManager.default.createDirectory(atPath: folder + "/batches", withIntermediateDirectories: true)
        let lock: RunLock
        do { lock = try RunLock(directory: folder, name: "calibration") } catch let e as RunError {
            throw RunError(
                "another calibration is working on '\(folder)': \(e.message)", hint: "wait for it, or pass --output DIR"
            )
        }
        defer { withExtendedLifetime(lock) {} }
        let c = calibration
        let start = c.parameters.map { $0.unit($0.start) }
        let perPoint = max(1, c.seeds.count)
        // the start first: the fit before
        _ = try evaluate([start])
        let budget = max(0, c.budget / perPoint - 1)
        var final: [Double]
        switch c.method {
        case .spsa:
            var m = Optimizers.SPSA()
            m.seed = c.spsaSeed
            final = try m.minimise(start: start, budget: max(2, budget - 1), evaluate)
            _ = try evaluate([final])
        case .adaptive_spsa:
            var m = Optimizers.AdaptiveSPSA()
            m.seed = c.spsaSeed
            final = try m.minimise(start: start, budget: max(4, budget - 1), evaluate)
            _ = try evaluate([final])
        case .nelder_mead:
            final = try Optimizers.NelderMead().minimise(
                start: start, budget: max(c.parameters.count + 1, budget), evaluate)
        }
        _ = final
        let best = evaluations.min {
            $0.objective < $1.objective || ($0.objective == $1.objective && $0.index < $1.index)
        }!
        try writeOutputs(best: best)
        return Outcome(folder: folder, evaluations: evaluations, best: best, runs: runs, interrupted: false)
    }

    func key(_ u: [Double]) -> String {
        calibration.overlay(u.enumerated().map { calibration.parameters[$0].value($1) }).map { "\($0)=\($1)" }.joined(
            separator: ",")
    }

    /// The objective at each point (unit coordinates); new points run as one study.
    func evaluate(_ points: [[Double]]) throws -> [Double] {
        let c = calibration
        var fresh: [String] = []
        var values: [String: [Double]] = [:]
        for p in points where cache[key(p)] == nil && !fresh.contains(key(p)) {
            fresh.append(key(p))
            values[key(p)] = p.enumerated().map { c.parameters[$0].value($1) }
        }
        if !fresh.isEmpty {
            batches += 1
            let name = String(format: "b%04d", batches)
            var text = "# written by citytwin calibrate \(c.name): batch \(batches)\nschema: 1\nname: \(name)\n"
            text += "base: \(c.baseFile)\nseeds: [\(c.seeds.map(String.init).joined(separator: ", "))]\nalternatives:\n"
            for (k, f) in fresh.enumerated() {
                text += "  - name: c\(k)\n    set:\n"
                for (path, v) in c.overlay(values[f]!) { text += "      \(path): \(v)\n" }
            }
            let studyFile = folder + "/batches/\(name).study.yaml"
            try SafeFile.write(studyFile, Array(text.utf8), overwrite: true)
            var study = try Study.load(path: studyFile)
            study.runs.removeAll { $0.alternative == "base" }
            study.alternatives.removeAll { $0.name == "base" }
            let batchFolder = try runBatch(study, name: name)
            for (k, f) in fresh.enumerated() {
                var total = 0.0
                var first = ""
                for seed in c.seeds {
                    guard let run = study.runs.first(where: { $0.alternative == "c\(k)" && $0.seed == seed }) else {
                        continue
                    }
                    let result = batchFolder + "/" + run.folder + "/" + run.job.name + ".h5"
                    if first.isEmpty { first = result }
                    let report = try FitReport.fit(result: result, sources: c.observations)
                    total += try report.objective(c.objective)
                }
                let objective = total / Double(max(1, c.seeds.count))
                cache[f] = objective
                runs += c.seeds.count
                evaluations.append(
                    Evaluation(
                        index: evaluations.count, batch: batches, alternative: "\(name)/c\(k)", values: values[f]!,
                        objective: objective, result: first))
                log(
                    String(format: "%@ c%d: objective %.6g at ", name, k, objective)
                        + c.overlay(values[f]!).map { "\($0) = \($1)" }.joined(separator: ", "))
            }
        }
        return points.map { cache[key($0)]! }
    }

    /// Runs a batch's study to the end (here, or on Slurm); returns its folder.
    func runBatch(_ study: Study, name: String) throws -> String {
        guard var so = slurm else {
            var o = options
            o.output = folder + "/batches"
            let outcome = try StudyRunner(study: study, options: o).run()
            if outcome.interrupted { throw Interrupted() }
            if outcome.counts.failed > 0 {
                throw RunError(
                    "batch \(name): \(outcome.counts.failed) runs failed",
                    hint: "see citytwin study status \(outcome.folder); rerun with the same command to retry")
            }
            return outcome.folder
        }
        so.output = folder + "/batches"
        let job = StudySlurm(
            study: study, options: so, memory: try study.check(workers: so.workers).largest?.memory ?? 0)
        func unfinished() -> [Study.Run] {
            study.runs.filter { r in
                let f = job.folder + "/" + r.folder
                return RunStatus.read(folder: f)?.isComplete(folder: f) != true
            }
        }
        var failure = ""
        if !unfinished().isEmpty {
            let scripts = try job.write()
            log("\(name): \(study.runs.count) runs as a Slurm array (sbatch --wait \(scripts.runs))")
            // sbatch --wait fails when a task failed: what is missing is reported below, with sbatch's words
            do { _ = try StudySlurm.sbatch(["--wait", scripts.runs]) } catch let e as RunError { failure = e.message }
        }
        let missing = unfinished()
        if !missing.isEmpty {
            throw RunError(
                "batch \(name): \(missing.count) of its \(study.runs.count) runs did not finish on Slurm"
                    + (failure.isEmpty ? "" : " (\(failure))"),
                hint: "see citytwin study status \(job.folder) and \(job.scriptFolder)/task-*.log; the same command "
                    + "submits what is missing again")
        }
        return job.folder
    }

    /// `calibration.csv` (every evaluation in order, with the best so far), `best.yaml` (the best point as a
    /// `set:` overlay a study's alternative takes as it is) and the fits before and after.
    func writeOutputs(best: Evaluation) throws {
        let c = calibration
        var csv = "evaluation,batch,candidate,runs," + c.parameters.map(\.key).joined(separator: ",")
        csv += ",objective,best_objective\n"
        var bestSoFar = Double.infinity
        for e in evaluations {
            bestSoFar = min(bestSoFar, e.objective)
            csv += "\(e.index),\(e.batch),\(e.alternative),\((e.index + 1) * c.seeds.count),"
            csv += e.values.map(Calibration.text).joined(separator: ",") + ",\(e.objective),\(bestSoFar)\n"
        }
        try writeFileAtomically(folder + "/calibration.csv", csv)
        var yaml = "# best parameters of calibration \(c.name) (\(c.method.rawValue), \(runs) runs): objective "
        yaml += "\(best.objective) against \(evaluations[0].objective) at the start (\(best.alternative))\n"
        yaml += "# use as an alternative's 'set:' in a study, or copy the keys into a job\nset:\n"
        for (path, v) in c.overlay(best.values) { yaml += "  \(path): \(v)\n" }
        try writeFileAtomically(folder + "/best.yaml", yaml)
        for (label, e) in [("before", evaluations[0]), ("after", best)] {
            let report = try FitReport.fit(result: e.result, sources: c.observations)
            try writeFileAtomically(folder + "/fit-\(label).csv", report.csv)
        }
    }
}
