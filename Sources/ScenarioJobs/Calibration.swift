import Foundation
import SimCore
import Yams

/// A calibration (`*.calibration.yaml`, schema 1): a base job, named parameters (any job key path) with bounds and
/// starting values, observations, an objective (a weighted sum of fit measures, `FitReport.objectiveTerms`), a
/// derivative-free method and a budget of runs.
///
/// ```yaml
/// schema: 1
/// calibration: monaco-day
/// base: day.yaml
/// seeds: [1]                 # every candidate runs with these seeds (common random numbers)
/// parameters:
///   - {key: traffic.flow_capacity_factor, min: 0.5, max: 1.2, start: 1.0}
/// observations:
///   - {kind: counts, file: counts.csv}
/// objective: geh             # or [{term: geh, weight: 1}, {term: nse, weight: 2}]
/// method: spsa               # or adaptive_spsa, nelder_mead
/// budget: {runs: 60}
/// ```
public struct Calibration: Sendable {
    public struct Parameter: Sendable, Equatable {
        public var key: String
        public var min: Double, max: Double, start: Double
        public func value(_ u: Double) -> Double { min + u * (max - min) }
        public func unit(_ v: Double) -> Double { (v - min) / (max - min) }
    }
    public enum Method: String, Sendable, CaseIterable { case spsa, adaptive_spsa, nelder_mead }

    public var file: String
    public var name: String
    public var baseFile: String
    public var seeds: [UInt64]
    public var parameters: [Parameter]
    public var observations: [FitReport.Source]
    public var objective: [(term: String, weight: Double)]
    public var method: Method
    public var budget: Int
    /// SPSA's stream of perturbations.
    public var spsaSeed: UInt64

    static let topKeys = [
        "schema", "calibration", "description", "base", "seeds", "parameters", "observations", "objective", "method",
        "budget", "spsa",
    ]
    /// At most this many runs.
    public static let maxRuns = 10_000

    public static func load(path: String) throws -> Calibration {
        let text = try InputFile.text(path, limit: 1 << 20, what: "the calibration file")
        let r = YAMLReader(file: path, codePrefix: "E-CAL")
        guard let root = r.parse(text),
            let m = r.mapping(
                root, allowed: topKeys,
                required: [
                    "schema", "calibration", "base", "parameters", "observations", "objective", "method",
                    "budget",
                ], what: "a calibration")
        else { throw InputError(r.diagnostics) }
        if let s = m["schema"], let v = r.int(s), v != 1 {
            r.report(s, 20, "unsupported calibration schema \(v)", hint: "this CityTwin reads 'schema: 1'")
        }
        let name = r.string(m["calibration"]) ?? ""
        if let n = m["calibration"], name.isEmpty || !Study.isSafeName(name) {
            r.report(n, 21, "calibration name '\(name)' may only use letters, digits, '-', '_' and '.'")
        }
        let dir = (path as NSString).deletingLastPathComponent
        func resolve(_ s: String) -> String {
            let here = dir.hasPrefix("/") ? dir : FileManager.default.currentDirectoryPath + "/" + dir
            let full = s.hasPrefix("/") ? s : here + "/" + s
            return (full as NSString).standardizingPath
        }
        let base = resolve(r.string(m["base"]) ?? "")
        if let b = m["base"], !FileManager.default.fileExists(atPath: base) {
            r.report(b, 30, "no base job at '\(base)'", hint: "paths are relative to the calibration file's folder")
        }
        let seeds = m["seeds"].flatMap { Study.parseSeeds($0, r) } ?? [1]
        var parameters: [Parameter] = []
        for item in m["parameters"].flatMap({ r.sequence($0) }) ?? [] {
            guard
                let p = r.mapping(
                    item, allowed: ["key", "min", "max", "start"], required: ["key", "min", "max", "start"],
                    what: "a parameter"),
                let key = r.string(p["key"]), let lo = r.double(p["min"]), let hi = r.double(p["max"]),
                let start = r.double(p["start"])
            else { continue }
            guard hi > lo else {
                r.report(item, 40, "max \(hi) is not above min \(lo)", hint: "give the bounds the search may use")
                continue
            }
            guard start >= lo, start <= hi else {
                r.report(p["start"]!, 41, "start \(start) is outside \(lo)…\(hi)")
                continue
            }
            if parameters.contains(where: { $0.key == key }) {
                r.report(item, 42, "parameter '\(key)' is listed twice")
                continue
            }
            if Study.reservedPaths.contains(key) { r.report(item, 43, "'\(key)' cannot be calibrated") }
            parameters.append(Parameter(key: key, min: lo, max: hi, start: start))
        }
        if parameters.isEmpty, let p = m["parameters"], r.diagnostics.isEmpty {
            r.report(p, 44, "no parameters to calibrate")
        }
        var observations: [FitReport.Source] = []
        let kinds = FitReport.Source.Kind.allCases.map(\.rawValue)
        for item in m["observations"].flatMap({ r.sequence($0) }) ?? [] {
            guard
                let o = r.mapping(
                    item, allowed: ["kind", "file", "threshold"], required: ["kind", "file"], what: "an observation"),
                let kind = r.choice(o["kind"], kinds).flatMap(FitReport.Source.Kind.init),
                let file = r.string(o["file"])
            else { continue }
            let threshold = o["threshold"].flatMap { r.double($0, min: 0, units: "m") } ?? ResultData.wetThreshold
            let full = resolve(file)
            if !FileManager.default.fileExists(atPath: full) { r.report(o["file"]!, 45, "no file at '\(full)'") }
            observations.append(FitReport.Source(kind: kind, path: full, threshold: threshold))
        }
        var objective: [(String, Double)] = []
        let terms = FitReport.objectiveTerms.map(\.name)
        if let o = m["objective"] {
            if case .scalar = o.node, let t = r.choice(o, terms) {
                objective = [(t, 1)]
            } else {
                for item in r.sequence(o) ?? [] {
                    guard
                        let e = r.mapping(
                            item, allowed: ["term", "weight"], required: ["term"], what: "an objective term"),
                        let t = r.choice(e["term"], terms)
                    else { continue }
                    objective.append((t, e["weight"].flatMap { r.double($0, min: 0) } ?? 1))
                }
            }
            for (t, _) in objective {
                let kind = FitReport.objectiveTerms.first { $0.name == t }!.kind
                if !observations.contains(where: { $0.kind == kind }) {
                    r.report(o, 46, "the term '\(t)' needs \(kind.rawValue) observations", hint: "add them or drop it")
                }
            }
        }
        let method = r.choice(m["method"], Method.allCases.map(\.rawValue)).flatMap(Method.init) ?? .spsa
        var budget = 0
        if let b = m["budget"], let bm = r.mapping(b, allowed: ["runs"], required: ["runs"], what: "a budget") {
            budget = r.int(bm["runs"], min: 2, max: maxRuns) ?? 0
        }
        var spsaSeed: UInt64 = 1
        if let s = m["spsa"], let sm = r.mapping(s, allowed: ["seed"], what: "SPSA settings") {
            spsaSeed = UInt64(r.int(sm["seed"], min: 0) ?? 1)
        }
        if !r.diagnostics.isEmpty { throw InputError(r.diagnostics) }
        return Calibration(
            file: path, name: name, baseFile: base, seeds: seeds, parameters: parameters, observations: observations,
            objective: objective, method: method, budget: budget, spsaSeed: spsaSeed)
    }

    /// The YAML value of a parameter: the shortest text that reads back as the same double.
    static func text(_ v: Double) -> String { "\(v)" }

    /// The `set:` overlay of a point (physical values).
    public func overlay(_ values: [Double]) -> [(String, String)] {
        zip(parameters, values).map { ($0.key, Self.text($1)) }
    }
}
