import Foundation
import ScenarioJobs
import Testing

/// The comparison statistics against scipy.stats on the same numbers (scipy is installed by the test command).
@Suite struct PairedStatisticsTests {
    static let a = [12.1, 11.4, 13.9, 12.7, 12.2, 14.1, 11.8, 12.9, 13.3, 12.0]
    static let b = [11.7, 11.2, 13.1, 12.9, 11.6, 13.2, 11.1, 12.8, 12.5, 11.9]
    static let p = [0.001, 0.04, 0.03, 0.2, 0.0004, 0.6, 0.049, 0.012, 0.9, 0.021, 0.04]

    /// scipy's answers, as JSON.
    static func reference() throws -> [String: Any] {
        let script = """
            import json, numpy as np, scipy.stats as st
            a = np.array(\(a)); b = np.array(\(b)); p = np.array(\(p))
            d = a - b; n = len(d); se = d.std(ddof=1) / np.sqrt(n); t = st.t.ppf(0.975, n - 1)
            order = np.argsort(p, kind="stable"); m = len(p); holm = np.empty(m); run = 0.0
            for j, i in enumerate(order):
                run = max(run, min(1.0, (m - j) * p[i])); holm[i] = run
            seeds = next(k for k in range(2, 10000) if st.t.ppf(0.975, k - 1) * 2.0 / np.sqrt(k) <= 0.5)
            print(json.dumps({
                "ppf": [st.t.ppf(0.975, df) for df in (1, 2, 3, 5, 9, 29, 120)],
                "cdf": [st.t.cdf(x, df) for x, df in ((0.5, 3), (-1.7, 9), (2.9, 29), (4.2, 2))],
                "p": st.ttest_rel(a, b).pvalue, "low": d.mean() - t * se, "high": d.mean() + t * se,
                "bh": list(st.false_discovery_control(p)), "holm": list(holm), "seeds": seeds}))
            """
        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        proc.arguments = ["python3", "-c", script]
        let out = Pipe()
        proc.standardOutput = out
        try proc.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        proc.waitUntilExit()
        #expect(proc.terminationStatus == 0, "python3 with numpy and scipy is needed")
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    @Test func matchesScipy() throws {
        let r = try Self.reference()
        let ppf = r["ppf"] as? [Double] ?? []
        for (k, df) in [1.0, 2, 3, 5, 9, 29, 120].enumerated() {
            #expect(abs(PairedStatistics.quantile(0.975, df: df) - ppf[k]) < 1e-9, "t ppf df \(df)")
        }
        let cdf = r["cdf"] as? [Double] ?? []
        for (k, (x, df)) in [(0.5, 3.0), (-1.7, 9), (2.9, 29), (4.2, 2)].enumerated() {
            #expect(abs(PairedStatistics.cdf(x, df: df) - cdf[k]) < 1e-12, "t cdf \(x), \(df)")
        }
        let d = PairedStatistics.paired(Self.a, Self.b)
        #expect(abs(d.p - (r["p"] as? Double ?? -1)) < 1e-10, "paired p \(d.p)")
        #expect(abs(d.low - (r["low"] as? Double ?? 0)) < 1e-10 && abs(d.high - (r["high"] as? Double ?? 0)) < 1e-10)
        #expect(d.crnFactor > 1, "positively correlated seeds: pairing narrows the interval")
        let bh = r["bh"] as? [Double] ?? []
        let holm = r["holm"] as? [Double] ?? []
        #expect(zip(PairedStatistics.benjaminiHochberg(Self.p), bh).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(zip(PairedStatistics.holm(Self.p), holm).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(PairedStatistics.seedsFor(halfWidth: 0.5, sd: 2) == r["seeds"] as? Int)
    }

    /// An alternative against itself: Δ ≡ 0 exactly, deterministic, p = 1; a constant shift is an exact Δ.
    @Test func identicalAndConstantDifferences() {
        let same = PairedStatistics.paired(Self.a, Self.a)
        #expect(same.mean == 0 && same.low == 0 && same.high == 0 && same.p == 1 && same.deterministic)
        let dyadic = [12.5, 11.25, 13.75, 12.0, 14.5, 11.75]  // exact in binary, so each difference is exactly 2
        let shifted = PairedStatistics.paired(dyadic.map { $0 + 2 }, dyadic)
        #expect(shifted.deterministic && shifted.p == 0 && abs(shifted.mean - 2) < 1e-12)
    }
}
