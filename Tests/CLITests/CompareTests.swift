import Foundation
import SimCore
import Testing

/// `citytwin compare` on result files: paired over seeds, grouped by job name.
@Suite struct CompareTests {
    /// Base and a demand-growth alternative on the coupled valley, 3 seeds each, and the base again under another name:
    /// the flood (no randomness) differs by an exact 0, the grid by an interval; the A/A pair is exactly 0
    /// everywhere; bad calls are clear errors.
    @Test func pairedDifferencesOverSeeds() throws {
        let dir = tempDir("compare")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CoupledCityTests.writeValleyCity(dir)
        var files: [String] = []
        for (name, extra) in [("base", ""), ("ev", ""), ("again", "")] {
            for seed in [1, 2, 3] {
                var text = CoupledCityTests.job(name, extra: extra).replacingOccurrences(
                    of: "seed: 7", with: "seed: \(seed)")
                if name == "ev" {
                    text = text.replacingOccurrences(
                        of: "  repair_delay: 1h\n", with: "  repair_delay: 1h\n  demand_growth: 1.5\n")
                }
                try text.write(toFile: dir + "/\(name)-\(seed).yaml", atomically: true, encoding: .utf8)
                let r = try citytwin(["run", dir + "/\(name)-\(seed).yaml", "--output", dir + "/s\(seed)", "--quiet"])
                #expect(r.status == 0, "\(r.err)")
                files.append(dir + "/s\(seed)/\(name).h5")
            }
        }
        let c = try citytwin(["compare"] + files + ["--csv", dir + "/compare.csv"])
        #expect(c.status == 0, "\(c.err)")
        #expect(c.out.contains("ev, again against base"), "\(c.out)")
        let csv = try String(contentsOfFile: dir + "/compare.csv", encoding: .utf8)
        let lines = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(
            lines[0].joined(separator: ",")
                == "domain,kpi,units,alternative,base,n,mean,mean_base,delta,ci_low,ci_high,delta_pct,p_holm,crn_factor"
        )
        let rows = lines.dropFirst()
        // A/A: exactly zero, every KPI
        let aa = rows.filter { $0[3] == "again" }
        #expect(
            !aa.isEmpty && aa.allSatisfy { $0[8] == "0.0" && $0[9] == "0.0" && $0[10] == "0.0" }, "\(aa.first ?? [])")
        // the flood does not see the demand: exact 0; demand growth raises the energy, an interval above 0
        let flood = rows.filter { $0[3] == "ev" && $0[0] == "flood" }
        #expect(!flood.isEmpty && flood.allSatisfy { $0[8] == "0.0" })
        let ev = rows.first { $0[3] == "ev" && $0[0] == "energy" && $0[1] == "energy" }
        #expect(ev.map { Double($0[5]) == 3 && (Double($0[9]) ?? 0) > 0 } == true, "\(ev ?? [])")
        // the seeds a ±1 % interval on the energy needs, and a typo in the KPI name
        let t = try citytwin(["compare"] + files + ["--target-halfwidth", "energy=0.0001"])
        #expect(t.status == 0 && t.out.contains("seeds needed"), "\(t.err)")
        let tt = try citytwin(["compare"] + files + ["--target-halfwidth", "enrgy=1"])
        #expect(tt.status != 0 && tt.err.contains("did you mean 'energy'?"), "\(tt.err)")
        let tv = try citytwin(["compare"] + files + ["--target-halfwidth", "energy"])
        #expect(tv.status != 0 && tv.err.contains("KPI=VALUE"), "\(tv.err)")
        // errors: an unknown base (with a suggestion), a duplicate seed
        let b = try citytwin(["compare"] + files + ["--base", "bsae"])
        #expect(b.status != 0 && b.err.contains("did you mean 'base'?"), "\(b.err)")
        let d = try citytwin(["compare", files[0], files[0], files[3]])
        #expect(d.status != 0 && d.err.contains("two results of 'base' with seed 1"), "\(d.err)")
    }
}
