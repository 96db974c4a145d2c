import ArgumentParser
import Foundation
import ScenarioJobs
import SimCore

struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure how far a result is from observations (counts, speeds, gauges, loads, a flood extent).",
        discussion: """
            Each observation file's kind is read from its header (counts: link_id,from,to,count; speeds: \
            link_id,from,to,speed; gauges: name,x|lon,y|lat,time,depth|level; loads: asset,time,p_mw[,q_mvar]) or \
            its extension (a raster: the observed flood extent, cells > 0 wet); `kind:path` names it. Prints GEH \
            and the FHWA TAT III targets for counts, RMSE and bias for speeds, depths and loads, NSE and KGE for \
            gauge and load series, hit rate, false alarm ratio and CSI for an extent (docs/twin.md).
            """)
    @Argument(help: "Result file (.h5) of `citytwin run`.") var result: String
    @Argument(help: "Observation files (CSV, or a raster of the flood extent); `kind:path` to name the kind.")
    var observations: [String]
    @Option(help: "Model depth (m) above which a cell counts as flooded against an observed extent.")
    var extentThreshold: Double = ResultData.wetThreshold
    @Option(help: "Also write the per-sensor and overall measures as CSV to this file.") var csv: String?
    @Option(help: "Write the fit as an HDF5 group `fit` to this file (for the report).") var h5: String?
    @Flag(help: "Replace existing CSV or HDF5 outputs.") var overwrite = false

    func run() throws {
        do {
            let sources = try observations.map { try FitReport.Source.parse($0, threshold: extentThreshold) }
            let report = try FitReport.fit(result: result, sources: sources)
            print(report.table, terminator: "")
            if let csv {
                try writeFileAtomically(csv, report.csv, overwrite: overwrite)
                print("wrote \(csv)")
                if !report.unmatched.isEmpty {
                    let u = (csv as NSString).deletingPathExtension + "-unmatched.csv"
                    try writeFileAtomically(u, report.unmatchedCSV, overwrite: overwrite)
                    print("wrote \(u)")
                }
            }
            if let h5 {
                try report.write(to: h5, overwrite: overwrite)
                print("wrote \(h5)")
            }
        } catch { throw Exit.fail(error) }
    }
}

struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Calibrate job parameters to observations (SPSA or bounded Nelder-Mead over study runs).",
        discussion: """
            Each batch of candidates runs as a study in <output>/<calibration>/batches (in parallel, every \
            candidate with the calibration's seeds); the same command after an interruption continues. Writes \
            calibration.csv (every evaluation), best.yaml (the best parameters as a `set:` overlay) and the fits \
            before and after (docs/jobs.md, docs/twin.md).
            """)
    @Argument(help: "Calibration file (YAML).") var file: String
    @Option(name: .shortAndLong, help: "Results folder.") var output: String = "results"
    @Option(help: "Concurrent runs (default: cores / workers).") var jobs: Int?
    @Option(help: "Worker threads of each run.") var workers: Int = 1
    @Flag(help: "Run each batch as a Slurm array job (sbatch --wait) instead of on this machine.") var slurm = false
    @Option(help: "With --slurm: the partition.") var partition: String?
    @Option(help: "With --slurm: the time limit of each task (Slurm's --time).") var time: String?
    @OptionGroup var access: AccessOptions

    func validate() throws {
        if workers < 1 { throw ValidationError("--workers must be at least 1 (got \(workers))") }
        if !slurm && (partition != nil || time != nil) {
            throw ValidationError("--partition and --time go with --slurm")
        }
    }

    func run() throws {
        let stop = StopFlag()
        do {
            let c = try Calibration.load(path: file)
            var o = StudyRunner.Options(executable: selfExecutable())
            o.output = output
            o.workers = workers
            o.jobs = jobs
            o.extraArguments = access.allowPaths.flatMap { ["--allow-path", $0] }
            o.stopRequested = { stop.requested }
            let runner = CalibrationRunner(c, options: o)
            runner.log = { print($0) }
            if slurm {
                var so = StudySlurm.Options(executable: selfExecutable())
                so.partition = partition
                so.time = time
                so.workers = workers
                so.extraArguments = o.extraArguments
                runner.slurm = so
            }
            let t0 = Date()
            let out = try runner.run()
            let best = c.overlay(out.best.values).map { "\($0) = \($1)" }.joined(separator: ", ")
            print(
                String(
                    format: "calibration '%@': %d evaluations, %d runs, %.1f s; best objective %.6g (start %.6g): ",
                    c.name, out.evaluations.count, out.runs, Date().timeIntervalSince(t0), out.best.objective,
                    out.evaluations[0].objective) + best)
            print("wrote \(out.folder)/best.yaml, calibration.csv, fit-before.csv, fit-after.csv")
        } catch let e as CalibrationRunner.Interrupted {
            printErr("\(e)")
            throw ExitCode(130)
        } catch { throw Exit.fail(error) }
    }
}
