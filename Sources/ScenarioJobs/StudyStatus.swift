import Foundation
import SimCore
import SimIO

/// The state of one run of a study, kept in `<run folder>/status.json` (replaced atomically on every change). A run
/// counts as done only when this says so *and* its result file carries the same job hash.
public struct RunStatus: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable { case pending, running, done, failed }
    public var alternative: String
    public var seed: UInt64
    public var state: State
    public var exitCode: Int32?
    /// The first error line the run printed, when it failed.
    public var error: String?
    public var jobHash: String
    public var engineVersion: String
    public var started: String?
    public var ended: String?
    public var wallSeconds: Double?
    public var attempts: Int
    /// The result file's name in the run folder.
    public var result: String
    public var note: String?

    enum CodingKeys: String, CodingKey {
        case alternative, seed, state, error, attempts, result, note, started, ended
        case exitCode = "exit_code", jobHash = "job_hash", engineVersion = "engine_version"
        case wallSeconds = "wall_seconds"
    }

    public static let fileName = "status.json"

    public static func read(folder: String) -> RunStatus? {
        let path = folder + "/" + fileName
        guard let text = try? InputFile.text(path, limit: 1 << 16, what: "a run status"),
            let s = try? JSONDecoder().decode(RunStatus.self, from: Data(text.utf8))
        else { return nil }
        return s
    }

    public func write(folder: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try SafeFile.write(folder + "/" + Self.fileName, Array(try enc.encode(self)) + [10], overwrite: true)
    }

    /// True when the status says done and the result file exists with the status's job hash.
    public func isComplete(folder: String) -> Bool {
        state == .done && RunStore.resultHash(folder + "/" + result) == jobHash
    }

    static func now() -> String { ISO8601DateFormatter().string(from: Date()) }
}

/// The plan of a study folder (`study.json`): which runs it holds and what each alternative is compared with.
public struct StudyPlan: Codable, Sendable {
    public struct Alternative: Codable, Sendable {
        public var name: String
        public var comparedWith: String?
        public var configuration: [String: String]
        enum CodingKeys: String, CodingKey {
            case name, configuration
            case comparedWith = "compared_with"
        }
    }
    public struct Run: Codable, Sendable {
        public var alternative: String
        public var seed: UInt64
        public var folder: String
        public var jobHash: String
        enum CodingKeys: String, CodingKey {
            case alternative, seed, folder
            case jobHash = "job_hash"
        }
    }
    public var study: String
    public var file: String
    public var base: String
    public var seeds: [UInt64]
    public var alternatives: [Alternative]
    public var runs: [Run]

    public static let fileName = "study.json"

    public init(_ s: Study) {
        study = s.name
        file = s.file
        base = s.baseFile
        seeds = s.seeds
        alternatives = s.alternatives.map {
            Alternative(name: $0.name, comparedWith: $0.comparedWith, configuration: $0.configuration)
        }
        runs = s.runs.map {
            Run(alternative: $0.alternative, seed: $0.seed, folder: $0.folder, jobHash: $0.job.resultHash)
        }
    }

    /// The plan of the study folder `dir`, or a clear error when it is not one.
    public static func read(folder dir: String) throws -> StudyPlan {
        let path = dir + "/" + fileName
        guard SafeFile.exists(path) else {
            throw RunError(
                "'\(dir)' is not a study folder (it has no \(fileName))",
                hint: "pass the folder 'citytwin study run' made: <output>/<study name>")
        }
        let text = try InputFile.text(path, limit: 64 << 20, what: "the study plan")
        do {
            return try JSONDecoder().decode(StudyPlan.self, from: Data(text.utf8))
        } catch {
            throw RunError("'\(path)' is not a study plan this CityTwin reads: \(error)")
        }
    }

    public func write(folder dir: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try SafeFile.write(dir + "/" + Self.fileName, Array(try enc.encode(self)) + [10], overwrite: true)
    }

    /// Every run's status, in plan order (a run without a status file is pending).
    public func statuses(folder dir: String) -> [(run: Run, status: RunStatus?)] {
        runs.map { ($0, RunStatus.read(folder: dir + "/" + $0.folder)) }
    }

    /// The result files of the runs that are complete.
    public func completeResults(folder dir: String) -> [String] {
        statuses(folder: dir).compactMap { run, status in
            guard let status, status.jobHash == run.jobHash, status.isComplete(folder: dir + "/" + run.folder)
            else { return nil }
            return dir + "/" + run.folder + "/" + status.result
        }
    }

    /// `summary.csv`: one line per run with its state and every KPI of its result, rebuilt from the status files
    /// and result files (never from a runner's memory).
    public func summaryCSV(folder dir: String) -> String {
        var keys: [String] = []
        var rows: [(Run, RunStatus?, [String: Double])] = []
        for (run, status) in statuses(folder: dir) {
            var values: [String: Double] = [:]
            if let status, status.isComplete(folder: dir + "/" + run.folder),
                let k = try? ResultKPIs.read(dir + "/" + run.folder + "/" + status.result)
            {
                for v in k.values {
                    let key = "\(v.domain).\(v.name) (\(v.units))"
                    if values[key] == nil && !keys.contains(key) { keys.append(key) }
                    values[key] = v.value
                }
            }
            rows.append((run, status, values))
        }
        func quoted(_ s: String) -> String {
            s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var out =
            (["alternative", "seed", "state", "exit_code", "wall_seconds", "job_hash"] + keys).map(quoted)
            .joined(separator: ",") + "\n"
        for (run, status, values) in rows {
            var f = [run.alternative, "\(run.seed)", status?.state.rawValue ?? "pending"]
            f.append(status?.exitCode.map { "\($0)" } ?? "")
            f.append(status?.wallSeconds.map { "\($0)" } ?? "")
            f.append(run.jobHash)
            f += keys.map { values[$0].map { "\($0)" } ?? "" }
            out += f.map(quoted).joined(separator: ",") + "\n"
        }
        return out
    }

    /// The table `citytwin study status` prints.
    public func statusTable(folder dir: String) -> String {
        var table = [["alternative", "seed", "state", "exit", "wall s", "attempts", "first error"]]
        var counts: [RunStatus.State: Int] = [:]
        for (run, status) in statuses(folder: dir) {
            var state = status?.state ?? .pending
            if state == .done, let s = status, !s.isComplete(folder: dir + "/" + run.folder) { state = .pending }
            counts[state, default: 0] += 1
            table.append([
                run.alternative, "\(run.seed)", state.rawValue, status?.exitCode.map { "\($0)" } ?? "",
                status?.wallSeconds.map { String(format: "%.1f", $0) } ?? "", "\(status?.attempts ?? 0)",
                String((status?.error ?? "").prefix(80)),
            ])
        }
        let widths = table[0].indices.map { c in table.map { $0[c].count }.max() ?? 0 }
        var lines = table.map { row in
            row.enumerated().map { c, v in v + String(repeating: " ", count: widths[c] - v.count) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        let states: [RunStatus.State] = [.done, .running, .failed, .pending]
        lines.append(
            "study '\(study)': \(runs.count) runs: "
                + states.map { "\(counts[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }
}

extension StudyPlan {
    /// What `citytwin compare` compares: result files as given, or a study folder's complete runs with the study's
    /// pairs (each alternative with the base at its sweep point).
    public static func compareInputs(_ arguments: [String]) throws -> (
        paths: [String], planned: [(alternative: String, base: String)]?, folder: String?
    ) {
        var isDir: ObjCBool = false
        guard arguments.count == 1, FileManager.default.fileExists(atPath: arguments[0], isDirectory: &isDir),
            isDir.boolValue
        else {
            if arguments.count < 2 {
                throw RunError(
                    "compare needs a study folder or at least two result files",
                    hint: "citytwin compare results/<study>, or citytwin compare BASE.h5 ALT.h5 ...")
            }
            return (arguments, nil, nil)
        }
        let folder = arguments[0]
        let plan = try read(folder: folder)
        let paths = plan.completeResults(folder: folder)
        guard !paths.isEmpty else {
            throw RunError(
                "no run of the study in '\(folder)' is complete",
                hint: "run it: citytwin study run \(plan.file) (see citytwin study status \(folder))")
        }
        let planned = plan.alternatives.compactMap { a in a.comparedWith.map { (alternative: a.name, base: $0) } }
        return (paths, planned, folder)
    }
}
