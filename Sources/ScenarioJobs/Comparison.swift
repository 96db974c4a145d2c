import Foundation
import SimCore
import SimIO

/// Alternatives compared with a base over common seeds, KPI by KPI: paired differences with Student-t intervals,
/// Holm-adjusted p-values over the alternatives, the variance reduction of pairing (`PairedStatistics`). Results
/// are grouped by job name (one alternative per name) and paired by their seed.
public struct Comparison: Sendable {
    public struct Row: Sendable {
        public var domain: String, kpi: String, units: String
        public var alternative: String, base: String
        public var difference: PairedStatistics.Difference
        public var mean: Double, meanBase: Double
        /// Standard deviation of the alternative's values over the seeds.
        public var sd: Double
        public var deltaPercent: Double
        public var pHolm: Double
        /// Seeds the paired interval needs to reach the requested half-width (`--target-halfwidth`), if asked.
        public var seedsNeeded: Int?
    }
    public var rows: [Row]
    public var base: String
    public var alternatives: [String]
    /// Each alternative and the base it is compared with.
    public var pairs: [(alternative: String, base: String)]
    /// The result files compared: job name → seed → path.
    public var files: [String: [Int64: String]]
    public var confidence: Double

    /// The results in `paths` grouped by job name (one alternative each) and seed, names in first-seen order.
    public static func group(paths: [String]) throws -> (order: [String], groups: [String: [Int64: ResultKPIs]]) {
        let results = try paths.map(ResultKPIs.read)
        var order: [String] = []
        var groups: [String: [Int64: ResultKPIs]] = [:]
        for r in results {
            if groups[r.jobName] == nil { order.append(r.jobName) }
            if let other = groups[r.jobName]?[r.seed] {
                throw RunError(
                    "two results of '\(r.jobName)' with seed \(r.seed) (\(other.path), \(r.path))",
                    hint: "pass each alternative's run once per seed")
            }
            groups[r.jobName, default: [:]][r.seed] = r
        }
        return (order, groups)
    }

    /// Which alternative is compared with which: every other job with `base` (default: the first file's), or,
    /// without `base`, `planned` pairs (a study's: each alternative with the base at its sweep point).
    public static func pairs(
        order: [String], base: String?, planned: [(alternative: String, base: String)]? = nil
    ) throws -> [(alternative: String, base: String)] {
        if base == nil, let planned {
            let present = planned.filter { order.contains($0.alternative) && order.contains($0.base) }
            guard !present.isEmpty else {
                throw RunError(
                    "no alternative of the study has results beside its base's",
                    hint: "run the study first ('citytwin study status' shows what is done)")
            }
            return present
        }
        let baseName = base ?? order.first ?? ""
        guard order.contains(baseName) else {
            let hint = DidYouMean.suggest(baseName, from: order).map { "did you mean '\($0)'?" }
            throw RunError(
                "no results of '\(baseName)' among the files", hint: hint ?? "jobs: \(order.joined(separator: ", "))")
        }
        let alternatives = order.filter { $0 != baseName }
        guard !alternatives.isEmpty else {
            throw RunError(
                "only '\(baseName)' is among the files", hint: "pass the base's and an alternative's results")
        }
        return alternatives.map { ($0, baseName) }
    }

    /// Compares the results in `paths`; `base` names the base job (default: the first file's), `planned` gives a
    /// study's pairs. `targets`: KPI name → the interval half-width wanted (in the KPI's units), for the seeds it
    /// needs.
    public static func of(
        paths: [String], base: String? = nil, planned: [(alternative: String, base: String)]? = nil,
        confidence: Double = 0.95, targets: [String: Double] = [:]
    ) throws -> Comparison {
        let (order, groups) = try group(paths: paths)
        let pairs = try pairs(order: order, base: base, planned: planned)
        let baseName = pairs[0].base
        let alternatives = pairs.map(\.alternative)
        let baseRuns = groups[baseName]!
        var rows: [Row] = []
        // KPI keys in the base's order
        let keys = baseRuns.values.first!.values.map { ($0.domain, $0.name, $0.units) }
        let names = keys.map(\.1)
        for k in targets.keys.sorted() where !names.contains(k) {
            let hint = DidYouMean.suggest(k, from: names).map { "did you mean '\($0)'?" }
            throw RunError("--target-halfwidth: no KPI '\(k)' in these results", hint: hint)
        }
        for (domain, kpi, units) in keys {
            var perAlternative: [Row] = []
            for (alt, baseName) in pairs {
                let runs = groups[alt]!
                let baseRuns = groups[baseName]!
                let seeds = Set(runs.keys).intersection(baseRuns.keys).sorted()
                guard !seeds.isEmpty else {
                    throw RunError(
                        "'\(alt)' and '\(baseName)' share no seed",
                        hint: "compare runs of the same seeds (common random numbers)")
                }
                func value(_ r: ResultKPIs) -> Double? {
                    r.values.first { $0.domain == domain && $0.name == kpi }?.value
                }
                let a = seeds.compactMap { runs[$0].flatMap(value) }
                let b = seeds.compactMap { baseRuns[$0].flatMap(value) }
                guard a.count == seeds.count && b.count == seeds.count else { continue }
                let d = PairedStatistics.paired(a, b, confidence: confidence)
                let ma = a.reduce(0, +) / Double(a.count)
                let mb = b.reduce(0, +) / Double(b.count)
                perAlternative.append(
                    Row(
                        domain: domain, kpi: kpi, units: units, alternative: alt, base: baseName, difference: d,
                        mean: ma, meanBase: mb, sd: PairedStatistics.variance(a).squareRoot(),
                        deltaPercent: mb != 0 ? 100 * d.mean / abs(mb) : .nan, pHolm: d.p,
                        seedsNeeded: targets[kpi].map {
                            d.deterministic
                                ? 1 : PairedStatistics.seedsFor(halfWidth: $0, sd: d.sd, confidence: confidence)
                        }))
            }
            // Holm over the alternatives with a p-value (one seed gives none)
            let tested = perAlternative.indices.filter { perAlternative[$0].difference.p.isFinite }
            let adjusted = PairedStatistics.holm(tested.map { perAlternative[$0].difference.p })
            for (k, i) in tested.enumerated() { perAlternative[i].pHolm = adjusted[k] }
            rows += perAlternative
        }
        let bases = Set(pairs.map(\.base))
        return Comparison(
            rows: rows, base: bases.count == 1 ? baseName : "its base", alternatives: alternatives, pairs: pairs,
            files: groups.mapValues { $0.mapValues(\.path) }, confidence: confidence)
    }

    public static let csvHeader =
        "domain,kpi,units,alternative,base,n,mean,mean_base,delta,ci_low,ci_high,delta_pct,p_holm,crn_factor"

    /// One line per KPI and alternative (numbers printed so they read back to the same bits).
    public var csv: String {
        var s = Self.csvHeader + "\n"
        for r in rows {
            let d = r.difference
            let fields: [String] = [
                r.domain, r.kpi, r.units, r.alternative, r.base, "\(d.n)", "\(r.mean)", "\(r.meanBase)", "\(d.mean)",
                "\(d.low)", "\(d.high)", "\(r.deltaPercent)", "\(r.pHolm)", "\(d.crnFactor)",
            ]
            s += fields.joined(separator: ",") + "\n"
        }
        return s
    }

    /// The aligned terminal table: Δ with its interval (or "exact"), the relative Δ and Holm's p.
    public var table: String {
        let level = String(format: "%g", 100 * confidence)
        var lines = [
            "\(alternatives.joined(separator: ", ")) against \(base) (paired over common seeds, \(level) % intervals)"
        ]
        var head = [
            "domain", "kpi", "alternative", "n", "base", "mean", "sd", "delta", "interval", "delta %", "p (Holm)",
            "units",
        ]
        let seeds = rows.contains { $0.seedsNeeded != nil }
        if seeds { head.append("seeds needed") }
        var table = [head]
        for r in rows {
            let d = r.difference
            let interval =
                d.n < 2 ? "one seed" : d.deterministic ? "exact" : "[\(Self.number(d.low)), \(Self.number(d.high))]"
            table.append(
                [
                    r.domain, r.kpi, r.alternative, "\(d.n)", Self.number(r.meanBase), Self.number(r.mean),
                    Self.number(r.sd), Self.number(d.mean), interval,
                    r.deltaPercent.isFinite ? String(format: "%+.1f", r.deltaPercent) : "-",
                    d.deterministic || d.n < 2 ? "-" : String(format: "%.3g", r.pHolm), r.units,
                ] + (seeds ? [r.seedsNeeded.map(String.init) ?? ""] : []))
        }
        let widths = head.indices.map { c in table.map { $0[c].count }.max() ?? 0 }
        for row in table {
            lines.append(
                row.enumerated().map { c, v in v + String(repeating: " ", count: widths[c] - v.count) }
                    .joined(separator: "  "))
        }
        return lines.joined(separator: "\n")
    }

    static func number(_ v: Double) -> String { v.isFinite ? String(format: "%.4g", v) : "\(v)" }
}
