import Foundation
import SimCore
import SimIO

/// A study as Slurm jobs: an `sbatch` array with one task per run (`--array=0-N%K`; each task is
/// `citytwin study task STUDY --index $SLURM_ARRAY_TASK_ID`, which runs `citytwin run … --resume` and writes the
/// same `status.json` as the local runner, so a requeued or preempted task continues from its checkpoint), and a
/// job that compares the study and writes its report once every task has ended (`afterany`).
public struct StudySlurm: Sendable {
    public struct Options: Sendable {
        public var output = "results"
        public var partition: String?
        /// Slurm time limit of each task (`--time`, e.g. `2:00:00`).
        public var time: String?
        /// At most this many tasks at once (`%K`).
        public var maxParallel: Int?
        public var workers = 1
        /// The `citytwin` executable the tasks run, and arguments every task also gets (`--allow-path`).
        public var executable: String
        public var extraArguments: [String] = []
        public init(executable: String) { self.executable = executable }
    }

    public var study: Study
    public var options: Options
    /// Memory per task (bytes): the largest alternative's estimate (`validate --estimate`).
    public var memory: Double

    public init(study: Study, options: Options, memory: Double) {
        self.study = study
        self.options = options
        self.memory = memory
    }

    public var folder: String { Self.absolute(options.output) + "/" + study.name }
    public var scriptFolder: String { folder + "/slurm" }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// A word for a POSIX shell: single-quoted, with embedded quotes closed and escaped.
    static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// `--mem` in MiB: the estimate plus a tenth (the estimate is of the peak, the allocator adds some).
    public var memoryMiB: Int { max(64, Int((memory * 1.1 / 1_048_576).rounded(.up))) }

    public var arrayScript: String {
        let n = study.runs.count
        let exe = Self.quote(Self.absolute(options.executable))
        var s = "#!/bin/bash\n"
        s += "# CityTwin study '\(study.name)': one array task per run (index = position in tasks.tsv).\n"
        s += "# Written by 'citytwin study slurm'; a task resumes its run from the newest checkpoint.\n"
        s += "#SBATCH --job-name=citytwin-\(study.name)\n"
        s += "#SBATCH --array=0-\(n - 1)" + (options.maxParallel.map { "%\($0)" } ?? "") + "\n"
        s += "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=\(options.workers)\n"
        s += "#SBATCH --mem=\(memoryMiB)M\n"
        if let t = options.time { s += "#SBATCH --time=\(t)\n" }
        if let p = options.partition { s += "#SBATCH --partition=\(p)\n" }
        s += "#SBATCH --chdir=\(FileManager.default.currentDirectoryPath)\n"
        s += "#SBATCH --output=\(scriptFolder)/task-%a.log\n#SBATCH --open-mode=append\n"
        // preemption and requeue: the task gets SIGTERM, checkpoints, and resumes when it runs again
        s += "#SBATCH --requeue\n#SBATCH --signal=B:TERM@120\n"
        let extra = options.extraArguments.map(Self.quote).joined(separator: " ")
        s += "exec \(exe) study task \(Self.quote(Self.absolute(study.file))) --output "
        s += "\(Self.quote(Self.absolute(options.output))) --index \"$SLURM_ARRAY_TASK_ID\" "
        s += "--workers \(options.workers)" + (extra.isEmpty ? "" : " " + extra) + "\n"
        return s
    }

    public var compareScript: String {
        let exe = Self.quote(Self.absolute(options.executable))
        let f = Self.quote(folder)
        var s = "#!/bin/bash\n"
        s += "# CityTwin study '\(study.name)': compare and report once every run's task has ended (afterany).\n"
        s += "#SBATCH --job-name=citytwin-\(study.name)-compare\n#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=2\n"
        s += "#SBATCH --mem=\(memoryMiB)M\n"
        if let p = options.partition { s += "#SBATCH --partition=\(p)\n" }
        s += "#SBATCH --chdir=\(FileManager.default.currentDirectoryPath)\n"
        s += "#SBATCH --output=\(scriptFolder)/compare.log\n"
        s += "set -e\n\(exe) study status \(f)\n\(exe) compare \(f)\n"
        s +=
            "\(exe) report \(Self.quote(folder + "/compare.h5")) -o \(Self.quote(folder + "/report.html"))"
            + " --overwrite\n"
        return s
    }

    /// `index<TAB>alternative<TAB>seed<TAB>folder`, one line per run.
    public var taskTable: String {
        "index\talternative\tseed\tfolder\n"
            + study.runs.enumerated().map {
                "\($0.offset)\t\($0.element.alternative)\t\($0.element.seed)\t"
                    + "\($0.element.folder)\n"
            }.joined()
    }

    /// Writes `runs.sbatch`, `compare.sbatch` and `tasks.tsv` into `<output>/<study>/slurm/` and the study's plan
    /// (`study.json`); returns the two scripts' paths.
    @discardableResult
    public func write() throws -> (runs: String, compare: String) {
        do {
            try FileManager.default.createDirectory(atPath: scriptFolder, withIntermediateDirectories: true)
        } catch {
            throw RunError("cannot create '\(scriptFolder)': \(error.localizedDescription)", hint: "check --output")
        }
        try StudyPlan(study).write(folder: folder)
        let runs = scriptFolder + "/runs.sbatch"
        let compare = scriptFolder + "/compare.sbatch"
        try SafeFile.write(runs, Array(arrayScript.utf8), overwrite: true)
        try SafeFile.write(compare, Array(compareScript.utf8), overwrite: true)
        try SafeFile.write(scriptFolder + "/tasks.tsv", Array(taskTable.utf8), overwrite: true)
        chmod(runs, 0o755)
        chmod(compare, 0o755)
        return (runs, compare)
    }

    /// Submits the array and, depending on it (`afterany`), the compare job; returns their job ids.
    public static func submit(runs: String, compare: String) throws -> (runs: String, compare: String) {
        let a = try sbatch([runs])
        let c = try sbatch(["--dependency=afterany:\(a)", compare])
        return (a, c)
    }

    /// `sbatch --parsable ARGS`: the job id.
    public static func sbatch(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["sbatch", "--parsable"] + args
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        do { try p.run() } catch {
            throw RunError("cannot start sbatch: \(error.localizedDescription)", hint: "is Slurm installed here?")
        }
        let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0, let id = o.split(separator: "\n").first?.split(separator: ";").first else {
            throw RunError(
                "sbatch \(args.joined(separator: " ")) failed (exit \(p.terminationStatus)): "
                    + e.trimmingCharacters(in: .whitespacesAndNewlines),
                hint: p.terminationStatus == 127
                    ? "sbatch is not on PATH: submit the scripts on a Slurm login node" : "see sbatch's message")
        }
        return String(id)
    }
}
