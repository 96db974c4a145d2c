import Foundation
import SimCore

extension Study {
    /// What checking a study found: each alternative's scenario summary and resource estimate.
    public struct Check: Sendable {
        public var summaries: [(alternative: String, summary: [String])]
        public var estimates: [(alternative: String, estimate: ResourceEstimate)]
        /// The largest estimate of one run (what each concurrent run needs).
        public var largest: ResourceEstimate? { estimates.max { $0.estimate.memory < $1.estimate.memory }?.estimate }
        /// Disk space all runs need together.
        public var totalDisk: Double
    }

    /// Builds each alternative's scenario (its first seed: seeds change draws, not structure) through the same code
    /// as `run`, and estimates its resources; a problem names the alternative it arises in.
    public func check(workers: Int) throws -> Check {
        var models: [String: CityModel] = [:]
        var summaries: [(String, [String])] = []
        var estimates: [(String, ResourceEstimate)] = []
        var problems: [String: (Diagnostic, [String])] = [:]
        var order: [String] = []
        func note(_ d: Diagnostic, _ alternative: String) {
            if problems[d.description] == nil { order.append(d.description) }
            problems[d.description, default: (d, [])].1.append(alternative)
        }
        for alt in alternatives {
            guard let run = runs.first(where: { $0.alternative == alt.name }) else { continue }
            do {
                let dir = run.job.modelDirectory
                if models[dir] == nil {
                    models[dir] = try CityModel.load(directory: dir, access: run.job.access)
                }
                let model = models[dir]!
                let estimate = try ResourceEstimate.of(job: run.job, model: model, workers: workers)
                let s = try Scenario.assemble(
                    job: run.job, model: model, workers: workers, partitions: nil, planning: nil)
                summaries.append((alt.name, s.summary))
                estimates.append((alt.name, estimate))
            } catch let e as InputError {
                for d in e.diagnostics { note(d, alt.name) }
            } catch let e as RunError {
                note(
                    Diagnostic(SourceLocation(file: file), code: "E-STUDY-050", message: e.message, hint: e.hint),
                    alt.name)
            }
        }
        if !order.isEmpty {
            throw InputError(
                order.map { key in
                    var (d, names) = problems[key]!
                    if names.count < alternatives.count {
                        d.message += " (in alternative\(names.count == 1 ? "" : "s") \(names.joined(separator: ", ")))"
                    }
                    return d
                })
        }
        let perAlternative = Dictionary(estimates.map { ($0.0, $0.1.disk) }, uniquingKeysWith: { a, _ in a })
        let disk = runs.reduce(0.0) { $0 + (perAlternative[$1.alternative] ?? 0) }
        return Check(
            summaries: summaries.map { (alternative: $0.0, summary: $0.1) },
            estimates: estimates.map { (alternative: $0.0, estimate: $0.1) }, totalDisk: disk)
    }
}

extension Study.Check {
    /// How many runs may go at once: `requested`, fewer if that many would not fit in `maxMemory`. Throws (exit 64)
    /// when one run alone does not fit, or the `remaining` runs' results would not fit on the output's disk.
    public func concurrency(
        requested: Int, maxMemory: Double, freeDisk: Double, remaining: Int, study: Study,
        message: (String) -> Void
    ) throws -> Int {
        var problems: [Diagnostic] = []
        let at = SourceLocation(file: study.file)
        var n = max(1, requested)
        if let one = largest?.memory, one > 0 {
            let fit = Int(maxMemory / one)
            if fit < 1 {
                problems.append(
                    Diagnostic(
                        at, code: "E-RES-001",
                        message: "a run of the study needs about \(ResourceEstimate.size(one)) of memory, more than "
                            + "the \(ResourceEstimate.size(maxMemory)) it may use",
                        hint: "see 'citytwin validate --estimate \(study.file)', or pass --max-memory SIZE"))
            } else if fit < n {
                message(
                    "running \(fit) at a time, not \(n): each run needs about \(ResourceEstimate.size(one)) of the "
                        + "\(ResourceEstimate.size(maxMemory)) available")
                n = fit
            }
        }
        let disk = totalDisk * Double(remaining) / Double(max(1, study.runs.count))
        if disk > freeDisk {
            problems.append(
                Diagnostic(
                    at, code: "E-RES-002",
                    message: "the study's \(remaining) runs to do write about \(ResourceEstimate.size(disk)), "
                        + "more than the \(ResourceEstimate.size(freeDisk)) free in the output folder",
                    hint: "run fewer seeds or alternatives, or pass --output DIR on a larger disk"))
        }
        if !problems.isEmpty { throw InputError(problems) }
        return n
    }
}
