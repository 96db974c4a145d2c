import Foundation
import ScenarioJobs
import SimCore
import SimIO
import Testing

/// Planning studies on the small coupled valley: study-file errors, the runner (status files, resume after
/// SIGKILL, failures isolated, the lock), compare over the study folder, and common random numbers.
@Suite struct StudyTests {
    /// The valley city, its base job `city.yaml` and a study of `alternatives` × `seeds`.
    static func writeStudy(_ dir: String, seeds: String = "[1, 2]", alternatives: String, duration: String = "1h")
        throws
    {
        try CoupledCityTests.writeValleyCity(dir)
        try CoupledCityTests.job("city", duration: duration).write(
            toFile: dir + "/city.yaml", atomically: true, encoding: .utf8)
        let study = "schema: 1\nbase: city.yaml\nseeds: \(seeds)\nalternatives:\n" + alternatives
        try study.write(toFile: dir + "/valley.study.yaml", atomically: true, encoding: .utf8)
    }

    static let demandAlternatives = """
          - name: base
          - name: same
          - name: growth
            set: {energy.demand_growth: 1.3}

        """

    /// Every problem of a study file at once, located in the study or in the base job, with did-you-mean.
    @Test func studyFileErrors() throws {
        let dir = tempDir("study-errors")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.writeStudy(dir, alternatives: "  - name: base\n")
        let cases: [(String, String, [String])] = [
            (
                "unknown keys",
                "schema: 1\nbase: city.yaml\nseeds: [1]\nalternative:\n  - name: a\n",
                ["bad.study.yaml:4:1: error[E-STUDY-005]", "did you mean 'alternatives'?"]
            ),
            (
                "alternative keys and set paths",
                """
                schema: 1
                base: city.yaml
                seeds: [1, 1]
                alternatives:
                  - name: a
                    chnges: []
                  - name: b
                    set: {energy.demand_grwth: 1.2, seed: 4}
                  - name: c
                    extends: d
                  - name: base
                    set: {energy.demand_growth: 2}

                """,
                [
                    "bad.study.yaml:3:12: error[E-STUDY-032]: seeds[1]: seed 1 is listed twice",
                    "bad.study.yaml:6:5: error[E-STUDY-005]", "did you mean 'changes'?",
                    "bad.study.yaml:8:11: error[E-JOB-005]: energy.demand_grwth: unknown key 'demand_grwth'",
                    "did you mean 'demand_growth'?", "a study sets 'seed' itself",
                    "'c' extends 'd', which is not an alternative", "'base' is the base job itself",
                ]
            ),
            (
                "cycle and sweep value",
                """
                schema: 1
                base: city.yaml
                seeds: {count: 2}
                alternatives:
                  - {name: a, extends: b}
                  - {name: b, extends: a}
                sweep: {energy.demand_growth: [1.1, much]}

                """,
                [
                    "extend each other in a cycle: a → b → a",
                    "bad.study.yaml:7:37: error[E-JOB-010]: energy.demand_growth: expected a number, got 'much'",
                ]
            ),
            (
                "missing base",
                "schema: 1\nbase: nowhere.yaml\nseeds: [1]\n",
                ["bad.study.yaml:2:7: error[E-STUDY-030]", "cannot read the base job 'nowhere.yaml'"]
            ),
            (
                "too many runs",
                "schema: 1\nbase: city.yaml\nseeds: [1]\nsweep:\n"
                    + ["energy.ev_share", "energy.pv_share", "energy.heat_pump_share"].map { key in
                        "  \(key): [" + (0..<30).map { "0.\($0)" }.joined(separator: ", ") + "]\n"
                    }.joined(),
                ["error[E-STUDY-031]", "more than 10000 sweep points × 1 seeds: more than 10000 runs"]
            ),
            (
                "schema and seeds",
                "schema: 2\nbase: city.yaml\nseeds: {count: 0}\n",
                ["unsupported study schema 2", "seeds.count: must be >= 1"]
            ),
        ]
        for (name, text, expected) in cases {
            try text.write(toFile: dir + "/bad.study.yaml", atomically: true, encoding: .utf8)
            let r = try citytwin(["validate", dir + "/bad.study.yaml"])
            #expect(r.status == 64, "\(name): exit \(r.status)\n\(r.err)")
            for e in expected { #expect(r.err.contains(e), "\(name): expected '\(e)' in:\n\(r.err)") }
        }
        // a problem of the base job itself is located in the base job, and named once
        let base = try String(contentsOfFile: dir + "/city.yaml", encoding: .utf8)
        try base.replacingOccurrences(of: "repair_delay: 1h", with: "repair_delay: soon")
            .write(toFile: dir + "/city.yaml", atomically: true, encoding: .utf8)
        try "schema: 1\nbase: city.yaml\nseeds: [1, 2]\nalternatives:\n  - name: a\n"
            .write(toFile: dir + "/bad.study.yaml", atomically: true, encoding: .utf8)
        let r = try citytwin(["validate", dir + "/bad.study.yaml"])
        #expect(
            r.status == 64 && r.err.contains("city.yaml:") && r.err.contains("'soon' is not a duration"), "\(r.err)")
        #expect(r.err.components(separatedBy: "'soon' is not a duration").count == 2, "reported once: \(r.err)")
        // `run` of a study needs a run picked, and names the nearest alternative
        try base.write(toFile: dir + "/city.yaml", atomically: true, encoding: .utf8)
        try Self.writeStudy(dir, alternatives: Self.demandAlternatives)
        let study = dir + "/valley.study.yaml"
        let whole = try citytwin(["run", study, "--output", dir + "/out"])
        #expect(whole.status == 64 && whole.err.contains("citytwin study run"), "\(whole.err)")
        let typo = try citytwin(["run", study, "--alternative", "grwth", "--seed", "1", "--output", dir + "/out"])
        #expect(typo.status == 1 && typo.err.contains("did you mean 'growth'?"), "\(typo.err)")
        let ok = try citytwin(["validate", study])
        #expect(ok.status == 0 && ok.out.contains("3 alternatives × 2 seeds = 6 runs"), "\(ok.out)\(ok.err)")
    }

    /// A study runs once: every status done with the result's hash, summary.csv from the files; the same command
    /// again redoes nothing; compare over the folder gives exact zeros for the A/A alternative and an interval
    /// above zero for demand growth; compare.h5 maps per entity.
    @Test func runTwiceAndCompare() throws {
        let dir = tempDir("study-run")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.writeStudy(dir, seeds: "[1, 2, 3]", alternatives: Self.demandAlternatives)
        let study = dir + "/valley.study.yaml"
        let out = dir + "/out"
        let r = try citytwin(["study", "run", study, "--output", out, "--jobs", "2"])
        #expect(r.status == 0, "\(r.out)\n\(r.err)")
        let folder = out + "/valley"
        for alt in ["base", "same", "growth"] {
            for seed in 1...3 {
                let run = "\(folder)/\(alt)/seed-\(seed)"
                let status = try String(contentsOfFile: run + "/status.json", encoding: .utf8)
                #expect(status.contains("\"state\" : \"done\"") && status.contains("\"attempts\" : 1"), "\(status)")
                #expect(SafeFile.exists(run + "/\(alt).h5") && SafeFile.exists(run + "/job.yaml"))
            }
        }
        let summary = try String(contentsOfFile: folder + "/summary.csv", encoding: .utf8)
        let lines = summary.split(separator: "\n")
        #expect(lines.count == 10 && lines[0].hasPrefix("alternative,seed,state,exit_code,wall_seconds,job_hash"))
        #expect(lines.dropFirst().allSatisfy { $0.contains(",done,0,") }, "\(summary)")
        let again = try citytwin(["study", "run", study, "--output", out])
        #expect(again.status == 0 && again.err.contains("9 runs (9 already done)"), "\(again.err)")
        let status = try String(contentsOfFile: folder + "/growth/seed-2/status.json", encoding: .utf8)
        #expect(status.contains("\"attempts\" : 1"), "nothing redone: \(status)")
        let table = try citytwin(["study", "status", folder])
        #expect(
            table.status == 0 && table.out.contains("9 runs: 9 done, 0 running, 0 failed, 0 pending"), "\(table.out)")

        let c = try citytwin(["compare", folder])
        #expect(c.status == 0, "\(c.err)")
        let csv = try String(contentsOfFile: folder + "/compare.csv", encoding: .utf8)
        let rows = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let same = rows.filter { $0.count > 8 && $0[3] == "same" }
        #expect(!same.isEmpty && same.allSatisfy { $0[8] == "0.0" && $0[9] == "0.0" && $0[10] == "0.0" }, "\(csv)")
        let energy = rows.first { $0.count > 10 && $0[3] == "growth" && $0[1] == "energy" }
        #expect(energy.map { Double($0[9])! > 0 } == true, "demand growth raises energy: \(csv)")
        #expect(c.out.contains("same against base:") && c.out.contains("configuration: the same as base"), "\(c.out)")
        #expect(c.out.contains("configuration: energy.demand_growth: - → 1.3"), "\(c.out)")
        #expect(c.out.contains("flood extent at 0.1 m: hit rate 1.000, false alarm ratio 0.000, CSI 1.000"), "\(c.out)")
        // compare.h5: A/A differences are exactly zero and nowhere significant; growth loads the transformers
        let h5 = folder + "/compare.h5"
        let aa = try readDataset(h5, "same/energy", "trafo_max_loading_delta").doubles
        #expect(!aa.isEmpty && aa.allSatisfy { $0 == 0 })
        let aaSig = try readDataset(h5, "same/traffic", "link_flow_significant")
        #expect(aaSig == .uint8([UInt8](repeating: 0, count: 10)))
        let load = try readDataset(h5, "growth/energy", "trafo_max_loading_delta").doubles
        #expect(load.contains { $0 > 0 }, "\(load)")
        let depth = try readDataset(h5, "growth/flood", "max_depth_delta").doubles
        #expect(depth.count == 40 * 30 && depth.allSatisfy { $0 == 0 || $0.isNaN })
        let py = try runPython(
            """
            import sys, xarray as xr
            ds = xr.open_dataset(sys.argv[1], group="growth/energy", engine="h5netcdf")
            print(ds.trafo_max_loading_delta.dims, int(ds.trafo_max_loading_significant.sum()) >= 0)
            fl = xr.open_dataset(sys.argv[1], group="growth/flood", engine="h5netcdf")
            print(fl.max_depth_delta.dims, fl.attrs["critical_success_index"])
            """, [h5])
        #expect(py.status == 0 && py.out.contains("('trafo',) True") && py.out.contains("('y', 'x') 1.0"), "\(py.err)")
    }

    /// SIGKILL of the study runner at random moments, then the same command: every run completes, no completed
    /// run is redone, and every result equals an uninterrupted study's bit for bit.
    @Test func killedRunnerContinues() throws {
        let dir = tempDir("study-kill")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.writeStudy(dir, alternatives: Self.demandAlternatives, duration: "12h")
        let study = dir + "/valley.study.yaml"
        let reference = try citytwin(["study", "run", study, "--output", dir + "/ref", "--jobs", "2"])
        #expect(reference.status == 0, "\(reference.err)")
        let out = dir + "/out"
        let folder = out + "/valley"
        var finished: [String: Date] = [:]
        var kills = 0
        for _ in 0..<4 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: citytwinBinary)
            p.arguments = ["study", "run", study, "--output", out, "--jobs", "2"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32.random(in: 300_000...2_500_000))
            if p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                kills += 1
            }
            p.waitUntilExit()
            // results completed so far must never be written again
            for run in Self.runs(folder) {
                let path = folder + "/" + run
                if let s = try? String(contentsOfFile: path + "/status.json", encoding: .utf8),
                    s.contains("\"state\" : \"done\""),
                    let m = Self.modified(path + "/" + run.prefix { $0 != "/" } + ".h5")
                {
                    if let before = finished[run] { #expect(before == m, "\(run) was written again") }
                    finished[run] = m
                }
            }
        }
        #expect(kills > 0)
        let resumed = Self.runs(folder).filter {
            let s = (try? String(contentsOfFile: folder + "/" + $0 + "/status.json", encoding: .utf8)) ?? ""
            return !s.contains("\"attempts\" : 1,")
        }
        #expect(!resumed.isEmpty, "a kill interrupted a run, which then resumed")
        let last = try citytwin(["study", "run", study, "--output", out, "--jobs", "2"])
        #expect(last.status == 0, "\(last.err)")
        for run in Self.runs(folder) {
            let name = String(run.prefix { $0 != "/" })
            let a = folder + "/" + run + "/" + name + ".h5"
            let b = dir + "/ref/valley/" + run + "/" + name + ".h5"
            if let before = finished[run] { #expect(Self.modified(a) == before, "\(run) redone") }
            for (g, v) in [("traffic", "travel_time"), ("energy", "vm_pu"), ("flood", "max_depth")] {
                #expect(sameBits(try readDataset(a, g, v), try readDataset(b, g, v)), "\(run) \(g)/\(v)")
            }
        }
    }

    static func runs(_ folder: String) -> [String] {
        ["base", "same", "growth"].flatMap { a in [1, 2].map { "\(a)/seed-\($0)" } }
    }

    static func modified(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    /// A run that fails does not stop the others; it is recorded with its first error line, `--retry-failed`
    /// reruns only it; a second runner on the same study folder is refused; `--fail-fast` stops at the first.
    @Test func failingRunIsolatedAndLock() throws {
        let dir = tempDir("study-fail")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.writeStudy(dir, alternatives: Self.demandAlternatives)
        let study = dir + "/valley.study.yaml"
        let out = dir + "/out"
        let folder = out + "/valley"
        // a folder where the growth/seed-2 result must go makes exactly that run fail
        let blocked = folder + "/growth/seed-2/growth.h5"
        try FileManager.default.createDirectory(atPath: blocked, withIntermediateDirectories: true)
        let r = try citytwin(["study", "run", study, "--output", out])
        #expect(r.status == 1 && r.err.contains("FAIL  growth/seed-2") && r.err.contains("1 run failed"), "\(r.err)")
        let status = try String(contentsOfFile: folder + "/growth/seed-2/status.json", encoding: .utf8)
        #expect(status.contains("\"state\" : \"failed\"") && status.contains("already exists"), "\(status)")
        let table = try citytwin(["study", "status", folder])
        #expect(table.out.contains("6 runs: 5 done, 0 running, 1 failed, 0 pending"), "\(table.out)")
        // without --retry-failed the failed run stays failed; with it, only that run runs again
        let again = try citytwin(["study", "run", study, "--output", out])
        #expect(again.status == 1 && !again.err.contains("start"), "\(again.err)")
        try FileManager.default.removeItem(atPath: blocked)
        let retry = try citytwin(["study", "run", study, "--output", out, "--retry-failed", "--plain"])
        #expect(retry.status == 0 && retry.err.contains("start growth/seed-2"), "\(retry.err)")
        #expect(retry.err.components(separatedBy: "start ").count == 2, "only the failed run ran: \(retry.err)")
        // the lock: a runner already on the folder
        let lock = try RunLock(directory: folder, name: "study")
        let second = try citytwin(["study", "run", study, "--output", out])
        #expect(second.status == 1 && second.err.contains("another study runner is working on"), "\(second.err)")
        withExtendedLifetime(lock) {}
        // --fail-fast: the first failure stops the study; the other runs stay pending for the next command
        let out2 = dir + "/out2"
        try FileManager.default.createDirectory(
            atPath: out2 + "/valley/base/seed-1/base.h5", withIntermediateDirectories: true)
        let fast = try citytwin(["study", "run", study, "--output", out2, "--jobs", "1", "--fail-fast"])
        #expect(fast.status == 1 && fast.err.contains("--fail-fast: stopping"), "\(fast.err)")
        let after = try citytwin(["study", "status", out2 + "/valley"])
        #expect(after.out.contains("6 runs: 0 done, 0 running, 1 failed, 5 pending"), "\(after.out)")
    }

    /// Common random numbers: lengthening the east-bound road (which no west-bound vehicle uses) leaves every
    /// west-bound trip bit-identical, with re-planning on; the east-bound trips change.
    @Test func untouchedVehiclesKeepTheirTrips() throws {
        let dir = tempDir("study-crn")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CoupledCityTests.writeValleyCity(dir)
        let job = """
            schema: 1
            name: roads
            model: model
            start: 2026-01-01T07:00:00Z
            duration: 2h
            output_interval: 10min
            seed: 3
            traffic: {iterations: 3, reroute_share: 0.5}

            """
        try job.write(toFile: dir + "/roads.yaml", atomically: true, encoding: .utf8)
        let study = """
            schema: 1
            base: roads.yaml
            seeds: [1, 2]
            alternatives:
              - name: base
              - name: slow-east
                changes: [{type: set_speed, name: works, links: [me], speed: 10}]

            """
        try study.write(toFile: dir + "/crn.study.yaml", atomically: true, encoding: .utf8)
        let r = try citytwin(["study", "run", dir + "/crn.study.yaml", "--output", dir + "/out"])
        #expect(r.status == 0, "\(r.err)")
        for seed in 1...2 {
            let a = dir + "/out/crn/base/seed-\(seed)/base.h5"
            let b = dir + "/out/crn/slow-east/seed-\(seed)/slow-east.h5"
            let ids = try H5File.open(a).root.group("traffic").dataset("vehicle_id").readStrings()
            let ta = try readDataset(a, "traffic", "travel_time").doubles
            let tb = try readDataset(b, "traffic", "travel_time").doubles
            let west = ids.indices.filter { ids[$0].hasPrefix("west") }
            let east = ids.indices.filter { ids[$0].hasPrefix("east") }
            #expect(west.count == 180 && west.allSatisfy { ta[$0].bitPattern == tb[$0].bitPattern }, "seed \(seed)")
            #expect(east.contains { ta[$0] != tb[$0] }, "the change reaches the east-bound trips")
        }
    }
}

/// A/A on different seeds: the Monaco night and morning (10 h), compared with itself over five other seeds, flags
/// at most 5 % of the links after false-discovery control (under the null, Benjamini–Hochberg keeps the expected
/// share of false discoveries at 5 % of those made).
@Suite struct StudyAATests {
    @Test func aaOnDifferentSeedsFlagsFewLinks() throws {
        let dir = tempDir("study-aa")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let root = SafetyTests.root
        let job = try String(contentsOfFile: root + "/Jobs/monaco-traffic.yaml", encoding: .utf8)
            .replacingOccurrences(of: "model: ../Data/monaco", with: "model: \(root)/Data/monaco")
            .replacingOccurrences(of: "duration: 24h", with: "duration: 10h")
            .replacingOccurrences(of: "iterations: 5", with: "iterations: 2")
        try job.write(toFile: dir + "/morning.yaml", atomically: true, encoding: .utf8)
        try "schema: 1\nbase: morning.yaml\nseeds: {count: 10, from: 1}\n"
            .write(toFile: dir + "/aa.study.yaml", atomically: true, encoding: .utf8)
        let r = try citytwin(["study", "run", dir + "/aa.study.yaml", "--output", dir + "/out"])
        #expect(r.status == 0, "\(r.err)")
        let file = { (seed: Int) in dir + "/out/aa/base/seed-\(seed)/base.h5" }
        // seeds 6-10 play an alternative identical to the base, paired with seeds 1-5
        let groups: [String: [Int64: String]] = [
            "base": Dictionary(uniqueKeysWithValues: (1...5).map { (Int64($0), file($0)) }),
            "aa": Dictionary(uniqueKeysWithValues: (1...5).map { (Int64($0), file($0 + 5)) }),
        ]
        let c = try EntityComparison.of(groups: groups, pairs: [("aa", "base")], confidence: 0.95)
        for name in ["link_flow", "link_travel_time"] {
            let v = try #require(c.alternatives[0].variables.first { $0.name == name })
            let differs = v.delta.filter { $0 != 0 && $0.isFinite }.count
            #expect(differs > 100, "\(name): the seeds differ on \(differs) links")
            #expect(
                Double(v.significantCount) <= 0.05 * Double(v.testedCount),
                "\(name): \(v.significantCount) of \(v.testedCount) links flagged")
        }
    }
}
