import Foundation
import SimCore
import Yams

/// A planning study (`*.study.yaml`, schema 1): a base job, the seeds every alternative is run with, alternatives
/// made of scenario changes and key-path overrides on the base, and an optional sweep over key paths. Every run
/// (alternative × seed) resolves to a complete `Job`; all of them are validated before anything starts.
///
/// ```yaml
/// schema: 1
/// base: monaco-storm.yaml
/// seeds: {count: 5, from: 1}        # or a list: [1, 2, 3]
/// alternatives:
///   - name: base
///   - name: wall
///     changes: [{type: raise_terrain, name: quay, line: [...], amount: 1.5}]
///   - name: wall-drainage
///     extends: wall
///     set: {flood.drainage: 40mm/h}
/// sweep: {energy.ev_share: [0.1, 0.3]}   # every alternative at every point
/// from: {state: ../results/day.states, time: 7h}   # optional: every run forks from this saved state
/// ```
public struct Study: Sendable {
    public var file: String
    public var name: String
    public var description: String?
    /// The base job file (resolved path).
    public var baseFile: String
    public var seeds: [UInt64]
    /// Alternatives in the study's order, sweep points expanded (`wall.ev_share-0.3`).
    public var alternatives: [Alternative]
    /// Every run, alternative-major.
    public var runs: [Run]
    /// The saved state each seed's runs start from (`from:`; empty: runs start at the beginning).
    public var forks: [UInt64: ForkPoint] = [:]

    public struct Alternative: Sendable {
        public var name: String
        /// The alternative this one is compared with by default: `base` (at the same sweep point).
        public var comparedWith: String?
        /// Key path → value of the resolved job (seed and name left out), for the configuration difference.
        public var configuration: [String: String]
    }

    public struct Run: Sendable {
        public var alternative: String
        public var seed: UInt64
        public var job: Job
        /// The run's folder below the study folder.
        public var folder: String { "\(alternative)/seed-\(seed)" }
    }

    /// A study file is read whole; it may be at most this large.
    static let fileLimit = 1 << 20
    /// At most this many runs (alternatives × sweep points × seeds), checked before any is resolved.
    public static let maxRuns = 10_000
    static let topKeys = ["schema", "name", "description", "base", "seeds", "alternatives", "sweep", "from"]
    static let alternativeKeys = ["name", "description", "extends", "changes", "set"]
    /// Keys a study sets itself; an alternative may not override them.
    static let reservedPaths = ["name", "seed", "schema"]

    /// True for a file named `*.study.yaml` / `*.study.yml`, or whose top level has `alternatives:` or `base:`.
    public static func isStudy(path: String) -> Bool {
        if path.hasSuffix(".study.yaml") || path.hasSuffix(".study.yml") { return true }
        guard let text = try? InputFile.text(path, limit: fileLimit, what: "the job file"),
            let root = try? Yams.compose(yaml: text), case .mapping(let m) = root
        else { return false }
        return m.keys.contains { ["alternatives", "base"].contains($0.scalar?.string ?? "") }
    }

    /// Reads a study and its base job and resolves every run. Throws an InputError listing every problem found,
    /// in the study file and in the job it extends.
    public static func load(path: String, access: FileAccess = FileAccess()) throws -> Study {
        let text = try InputFile.text(path, limit: fileLimit, what: "the study file")
        return try parse(text: text, file: path, access: access)
    }

    public static func parse(text: String, file: String, access: FileAccess = FileAccess()) throws -> Study {
        let r = YAMLReader(file: file, codePrefix: "E-STUDY")
        guard let root = r.parse(text),
            let m = r.mapping(root, allowed: topKeys, required: ["schema", "base", "seeds"], what: "a study")
        else { throw InputError(r.diagnostics) }
        if let s = m["schema"], let v = r.int(s), v != 1 {
            r.report(s, 20, "unsupported study schema \(v)", hint: "this CityTwin reads 'schema: 1'")
        }
        let stem = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        var name = stem.hasSuffix(".study") ? String(stem.dropLast(6)) : stem
        if let n = m["name"], let s = r.string(n) {
            if s.isEmpty || !Self.isSafeName(s) {
                r.report(
                    n, 21, "study name '\(s)' may only use letters, digits, '-', '_' and '.'",
                    hint: "it names the study's folder")
            } else {
                name = s
            }
        }
        let studyDir = (file as NSString).deletingLastPathComponent
        var baseFile = ""
        var baseRoot: YNode?
        var baseText = ""
        if let b = m["base"], let s = r.string(b) {
            baseFile = ((s.hasPrefix("/") || studyDir.isEmpty) ? s : studyDir + "/" + s)
            baseFile = (baseFile as NSString).standardizingPath
            do {
                baseText = try InputFile.text(baseFile, limit: Job.fileLimit, what: "the base job")
                let jr = YAMLReader(file: baseFile)
                baseRoot = jr.parse(baseText)
                r.absorb(jr.diagnostics)
            } catch let e as InputError {
                r.report(b, 30, "cannot read the base job '\(s)': \(e.diagnostics.first?.message ?? "\(e)")")
            } catch {
                r.report(
                    b, 30, "cannot read the base job '\(s)' (resolved to \(baseFile)): \(error)",
                    hint: "paths are relative to the study file's folder")
            }
        }
        let seeds = m["seeds"].flatMap { parseSeeds($0, r) } ?? []
        let specs = parseAlternatives(m["alternatives"], r)
        let sweep = m["sweep"].map { parseSweep($0, r) } ?? []
        // runs = alternatives × sweep points × seeds, capped (saturating) before anything is expanded
        let points = sweep.reduce(1) { min(maxRuns + 1, $0 * min(maxRuns + 1, max(1, $1.values.count))) }
        let runCount = min(maxRuns + 1, specs.count * points) * max(1, seeds.count)
        if runCount > maxRuns {
            let shown = points > maxRuns ? "more than \(maxRuns)" : "\(points)"
            r.report(
                root, 31,
                "the study has \(specs.count) alternatives × \(shown) sweep points × \(seeds.count) seeds: more than "
                    + "\(maxRuns) runs", hint: "split it into several studies")
            throw InputError(r.diagnostics)
        }
        let forks = m["from"].map { parseFrom($0, r, studyDir: studyDir, seeds: seeds) } ?? [:]
        if m["from"] != nil && forks.count < seeds.count { throw InputError(r.diagnostics) }
        guard let baseRoot else { throw InputError(r.diagnostics) }
        // the study's own problems and those of every run, all at once
        let resolver = StudyResolver(study: file, base: baseRoot, specs: specs, reader: r)
        let resolved = resolver.resolve(sweep: sweep)
        // every run is a complete job: parse each, gather every problem (once, saying where it arises)
        var runs: [Run] = []
        var alternatives: [Alternative] = []
        var problems: [String: (Diagnostic, [String])] = [:]
        var problemOrder: [String] = []
        for alt in resolved {
            alternatives.append(
                Alternative(name: alt.name, comparedWith: alt.comparedWith, configuration: alt.configuration))
            for seed in seeds {
                let tree = alt.tree(seed: seed)
                let jr = YAMLReader(file: baseFile)
                let yaml = (try? Yams.serialize(node: tree.node)) ?? baseText
                do {
                    var job = try Job.parse(root: tree, reader: jr, text: yaml, file: baseFile, access: access)
                    if let fork = forks[seed] {
                        job = try job.forked(from: fork, locate: { tree.located($0).location })
                    }
                    runs.append(Run(alternative: alt.name, seed: seed, job: job))
                } catch let e as InputError {
                    for d in e.diagnostics {
                        if problems[d.description] == nil { problemOrder.append(d.description) }
                        problems[d.description, default: (d, [])].1.append(alt.name)
                    }
                }
            }
        }
        if !problemOrder.isEmpty || !r.diagnostics.isEmpty {
            var out: [Diagnostic] = r.diagnostics
            for key in problemOrder {
                var (d, where_) = problems[key]!
                let names = where_.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
                if names.count < resolved.count || !r.diagnostics.isEmpty {
                    d.message += " (in alternative\(names.count == 1 ? "" : "s") \(names.joined(separator: ", ")))"
                }
                out.append(d)
            }
            throw InputError(out)
        }
        return Study(
            file: file, name: name, description: r.string(m["description"]), baseFile: baseFile, seeds: seeds,
            alternatives: alternatives, runs: runs, forks: forks)
    }

    /// `from: {state: FOLDER|FILE, time: 7h}`: the saved state every run forks from (the path relative to the
    /// study's folder), by seed. A path with `{seed}` names one state per seed (a forecast ensemble: each seed's run
    /// forks from that seed's state); otherwise the state's seed must be the study's only seed.
    static func parseFrom(_ n: YNode, _ r: YAMLReader, studyDir: String, seeds: [UInt64]) -> [UInt64: ForkPoint] {
        guard let m = r.mapping(n, allowed: ["state", "time"], required: ["state"], what: "a saved state"),
            let state = r.string(m["state"])
        else { return [:] }
        let perSeed = state.contains("{seed}")
        var out: [UInt64: ForkPoint] = [:]
        for seed in perSeed ? seeds : Array(seeds.prefix(1)) {
            let s = state.replacingOccurrences(of: "{seed}", with: "\(seed)")
            let path = ((s.hasPrefix("/") || studyDir.isEmpty) ? s : studyDir + "/" + s)
            let point: ForkPoint
            do {
                point = try ForkPoint.locate((path as NSString).standardizingPath, at: r.string(m["time"]))
            } catch let e as RunError {
                let at = m["time"] != nil && e.message.contains("at or after") ? m["time"]! : m["state"]!
                r.report(at, 37, e.message, hint: e.hint)
                continue
            } catch {
                r.report(m["state"]!, 37, "\(error)")
                continue
            }
            let saved = ForkPoint.invariant(point.invariants, "seed") ?? "?"
            if perSeed && saved != "\(seed)" {
                r.report(
                    m["state"]!, 38, "the state for seed \(seed) ('\(path)') was saved by a run with seed \(saved)",
                    hint: "each seed's run forks from the state its own seed made")
                continue
            }
            if !perSeed && seeds.map(String.init) != [saved] {
                r.report(
                    n, 38, "runs forked from the saved state continue its seed \(saved); the study runs \(seeds)",
                    hint: "write 'seeds: [\(saved)]', or a state per seed: 'state: …/seed-{seed}/….states'")
                continue
            }
            for k in perSeed ? [seed] : seeds { out[k] = point }
        }
        return out
    }

    static func isSafeName(_ s: String) -> Bool {
        s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }

    static func parseSeeds(_ n: YNode, _ r: YAMLReader) -> [UInt64]? {
        var seeds: [UInt64] = []
        if case .sequence = n.node {
            for item in r.sequence(n) ?? [] {
                guard let s = r.scalar(item) else { continue }
                guard let v = UInt64(s) else {
                    r.report(item, 12, "a seed must be a whole number >= 0 (got '\(s)')")
                    continue
                }
                if seeds.contains(v) {
                    r.report(item, 32, "seed \(v) is listed twice", hint: "every seed is run once per alternative")
                }
                seeds.append(v)
            }
        } else if let m = r.mapping(n, allowed: ["count", "from"], required: ["count"], what: "seeds") {
            let count = r.int(m["count"], min: 1, max: maxRuns) ?? 0
            let from = m["from"].flatMap { r.int($0, min: 0, max: Int(Int32.max)) } ?? 1
            seeds = (0..<count).map { UInt64(from + $0) }
        }
        if seeds.isEmpty && r.diagnostics.isEmpty {
            r.report(n, 33, "the study has no seeds", hint: "write e.g. 'seeds: {count: 5, from: 1}'")
        }
        return seeds
    }

    static func parseAlternatives(_ n: YNode?, _ r: YAMLReader) -> [StudyResolver.Spec] {
        var specs: [StudyResolver.Spec] = []
        var hasBase = false
        for item in n.flatMap({ r.sequence($0) }) ?? [] {
            guard let m = r.mapping(item, allowed: alternativeKeys, required: ["name"], what: "an alternative"),
                let nameNode = m["name"], let name = r.string(nameNode)
            else { continue }
            if name.isEmpty || !isSafeName(name) {
                r.report(
                    nameNode, 21, "alternative name '\(name)' may only use letters, digits, '-', '_' and '.'",
                    hint: "it names the alternative's folder and results")
                continue
            }
            if specs.contains(where: { $0.name == name }) {
                r.report(nameNode, 34, "alternative '\(name)' is defined twice", hint: "give each a distinct name")
                continue
            }
            var spec = StudyResolver.Spec(name: name, node: item)
            spec.extends = m["extends"]
            spec.changes = m["changes"].flatMap { r.sequence($0) } ?? []
            if let s = m["set"] {
                if case .mapping = s.node {
                    spec.set = setEntries(s)
                } else {
                    r.report(
                        s, 3,
                        "expected a mapping of key paths to values (energy.ev_share: 0.5), found \(r.kind(s.node))")
                }
            }
            if name == "base" {
                hasBase = true
                if spec.extends != nil || !spec.changes.isEmpty || !spec.set.isEmpty {
                    r.report(
                        item, 35, "the alternative 'base' is the base job itself: it takes no changes",
                        hint: "give the changed alternative another name")
                }
            }
            specs.append(spec)
        }
        if !hasBase { specs.insert(StudyResolver.Spec(name: "base", node: nil), at: 0) }
        return specs
    }

    /// The `set:` entries in file order: (key path, key node, value node).
    static func setEntries(_ n: YNode) -> [(path: String, key: YNode, value: YNode)] {
        guard case .mapping(let m) = n.node else { return [] }
        return m.compactMap { k, v in
            guard let path = k.scalar?.string else { return nil }
            let child = n.child(path, v)
            return (path, YNode(node: k, path: child.path, origins: n.origins), child)
        }
    }

    static func parseSweep(_ n: YNode, _ r: YAMLReader) -> [StudyResolver.Axis] {
        guard case .mapping(let m) = n.node else {
            r.report(n, 3, "expected a mapping of key paths to lists of values, found \(r.kind(n.node))")
            return []
        }
        var axes: [StudyResolver.Axis] = []
        for (k, v) in m {
            guard let path = k.scalar?.string else {
                r.report(n, 4, "keys must be key paths such as energy.ev_share")
                continue
            }
            let child = n.child(path, v)
            let key = YNode(node: k, path: child.path, origins: n.origins)
            guard let values = r.sequence(child), !values.isEmpty else {
                if case .sequence = v { r.report(child, 36, "the sweep over '\(path)' has no values") }
                continue
            }
            axes.append(StudyResolver.Axis(path: path, key: key, values: values))
        }
        return axes
    }
}

extension Study {
    /// The run of `alternative` with `seed`, or an error naming the nearest alternative.
    public func run(alternative: String, seed: UInt64) throws -> Run {
        guard alternatives.contains(where: { $0.name == alternative }) else {
            let names = alternatives.map(\.name)
            throw RunError(
                "the study '\(name)' has no alternative '\(alternative)'",
                hint: DidYouMean.suggest(alternative, from: names).map { "did you mean '\($0)'?" }
                    ?? "alternatives: \(names.joined(separator: ", "))")
        }
        guard let r = runs.first(where: { $0.alternative == alternative && $0.seed == seed }) else {
            throw RunError(
                "the study '\(name)' does not run seed \(seed)",
                hint: "its seeds: \(seeds.map(String.init).joined(separator: ", "))")
        }
        return r
    }
}
