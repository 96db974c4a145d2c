import Foundation
import SimCore
import SimIO
import Testing

/// What-if forecasts forked from a saved state: a fork without changes is the saved run bit for bit, a fork's
/// changes take effect from the state's time exactly as the same changes timed in a full run, a killed fork resumes
/// to the same result, and what a state cannot carry is refused with its place in the job file.
@Suite(.serialized) struct ForkTests {
    /// Every dataset of two results that differs, and every KPI (empty: the same results).
    static func differences(_ a: String, _ b: String) throws -> [String] {
        let script = """
            import h5py, numpy as np, sys
            a, b = h5py.File(sys.argv[1], 'r'), h5py.File(sys.argv[2], 'r')
            out = []
            def visit(name, obj):
                if not isinstance(obj, h5py.Dataset): return
                if name not in b: out.append('missing ' + name); return
                x, y = obj[()], b[name][()]
                same = x.shape == y.shape and (np.array_equal(x, y) or x.dtype.kind == 'f' and np.array_equal(
                    x.view(np.uint8), y.view(np.uint8)))
                if not same: out.append('differs ' + name)
            a.visititems(visit)
            for g in a:
                for k, v in a[g].attrs.items():
                    if k.startswith('kpi_') and not np.array_equal(v, b[g].attrs.get(k)): out.append('kpi ' + g + k)
            print('\\n'.join(out))
            """
        let r = try runPython(script, [a, b])
        #expect(r.status == 0, "\(r.err)")
        return r.out.split(separator: "\n").map(String.init)
    }

    /// The g20 grid imported into `dir`, its 2 h job keeping its states (`keep: all`) run into `dir/day`; the job.
    static func g20Day(_ dir: String) throws -> String {
        let imp = try TrafficCLITests.writeG20(dir)
        #expect(imp.status == 0, "\(imp.err)")
        let base = TrafficCLITests.g20Job.replacingOccurrences(of: "keep: 2", with: "keep: all")
        try base.write(toFile: dir + "/g20.yaml", atomically: true, encoding: .utf8)
        let r = try citytwin(["run", dir + "/g20.yaml", "-o", dir + "/day", "--quiet"])
        #expect(r.status == 0, "\(r.err)")
        return base
    }

    /// The output times (s) of a result's group and the rows of a snapshot variable before `seconds`.
    static func rowsBefore(_ path: String, _ group: String, _ name: String, _ seconds: Double) throws -> [Double] {
        let time = try readDataset(path, group, "time").doubles
        let all = try readDataset(path, group, name).doubles
        let per = all.count / max(time.count, 1)
        let n = time.filter { $0 <= seconds }.count
        return Array(all.prefix(n * per))
    }

    /// The coupled valley city (flood, traffic, energy) keeps its states; a fork at 30 min without changes equals
    /// it in every dataset and KPI (also from the checkpoint file itself); a fork whose substation is repaired
    /// sooner and whose drains (pumps) take more shares its outputs up to 30 min and differs after; a fork killed after
    /// its first checkpoint and resumed equals the uninterrupted fork.
    @Test func coupledForksEqualTheRunUntilTheirChangesAndResume() throws {
        let dir = tempDir("forkcity")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CoupledCityTests.writeValleyCity(dir)
        let job = CoupledCityTests.job("city")
        try job.write(toFile: dir + "/city.yaml", atomically: true, encoding: .utf8)
        let r = try citytwin(["run", dir + "/city.yaml", "-o", dir + "/day", "--quiet", "--keep-checkpoints"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("states: \(dir)/day/city.states"), "\(r.out)")
        let states = try FileManager.default.contentsOfDirectory(atPath: dir + "/day/city.states/checkpoints")
        #expect(states.count == 5, "every 10 min before the end: \(states)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/day/city.work"))
        // the same job under another name, from 30 min: the run itself
        try job.replacingOccurrences(of: "name: city", with: "name: same").write(
            toFile: dir + "/same.yaml", atomically: true, encoding: .utf8)
        let f = try citytwin([
            "fork", dir + "/day/city.states", "--from", "30min", "--job", dir + "/same.yaml", "-o", dir + "/f",
            "--quiet",
        ])
        #expect(f.status == 0, "\(f.err)")
        #expect(f.out.contains("forked from"), "\(f.out)")
        #expect(try Self.differences(dir + "/day/city.h5", dir + "/f/same.h5") == [])
        let root = try H5File.open(dir + "/f/same.h5").root
        #expect(try root.doubleAttribute("fork_time_s") == 1800)
        #expect(try root.stringAttribute("forked_from")?.hasSuffix("ckpt-000001800000.h5") == true)
        // from the checkpoint file, the ISO time of the state
        let file = dir + "/day/city.states/checkpoints/ckpt-000001800000.h5"
        let g = try citytwin([
            "fork", file, "--from", "2026-01-01T00:30:00Z", "--job", dir + "/same.yaml", "-o", dir + "/g", "--quiet",
        ])
        #expect(g.status == 0, "\(g.err)")
        #expect(try Self.differences(dir + "/day/city.h5", dir + "/g/same.h5") == [])
        // repaired sooner, more drainage: the same city up to 30 min, another one after
        let alt = job.replacingOccurrences(of: "name: city", with: "name: alt")
            .replacingOccurrences(of: "repair_delay: 1h", with: "repair_delay: 5min")
            .replacingOccurrences(of: "drainage: {capacity: 10}", with: "drainage: {capacity: 40}")
        try alt.write(toFile: dir + "/alt.yaml", atomically: true, encoding: .utf8)
        let a = try citytwin([
            "fork", dir + "/day/city.states", "--from", "30min", "--job", dir + "/alt.yaml", "-o", dir + "/f",
            "--quiet",
            "--workers", "1",
        ])
        #expect(a.status == 0, "\(a.err)")
        let diff = try Self.differences(dir + "/day/city.h5", dir + "/f/alt.h5")
        #expect(diff.contains("differs energy/served") && diff.contains("differs flood/depth"), "\(diff)")
        for (group, name) in [("flood", "depth"), ("energy", "served"), ("traffic", "exits")] {
            #expect(
                try Self.rowsBefore(dir + "/day/city.h5", group, name, 1800)
                    == Self.rowsBefore(dir + "/f/alt.h5", group, name, 1800), "\(group)/\(name) before the fork")
        }
        // killed after its first checkpoint, resumed: the uninterrupted fork
        let args = ["fork", dir + "/day/city.states", "--from", "30min", "--job", dir + "/alt.yaml", "-o", dir + "/k"]
        let p = try startQuietly(citytwinBinary, args + ["--quiet"])
        waitForCheckpoints(p, in: dir + "/k/alt.work/checkpoints") { !$0.isEmpty }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal, "killed before the fork ended")
        let again = try citytwin(args + ["--quiet", "--resume"])
        #expect(again.status == 0, "\(again.err)")
        #expect(again.out.contains("resumed from \(dir)/k/alt.work/checkpoints/"), "\(again.out)")
        #expect(try Self.differences(dir + "/f/alt.h5", dir + "/k/alt.h5") == [])
    }

    /// On the SUMO g20 grid: the no-change fork at 1 h is the run; a fork that closes two links and cuts a
    /// capacity from 1 h equals, bit for bit, a full run whose job says the same changes happen at 1 h.
    @Test func trafficChangesFromAStateEqualTheSameChangesTimedInAFullRun() throws {
        let dir = tempDir("forkg20")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = try Self.g20Day(dir)
        let changes = [
            "{type: close_link, name: closure, links: [J9J10, J10J9]",
            "{type: set_capacity, name: narrowed, links: [J10K10], capacity: 500",
            "{type: set_speed, name: slower, links: [K0J0], speed: 20",
        ]
        let closed =
            base.replacingOccurrences(of: "name: g20", with: "name: closed")
            + "\nchanges: [" + changes.map { $0 + "}" }.joined(separator: ", ") + "]\n"
        let timed =
            base.replacingOccurrences(of: "name: g20", with: "name: closed")
            + "\nchanges: [" + changes.map { $0 + ", at: 1h}" }.joined(separator: ", ") + "]\n"
        try closed.write(toFile: dir + "/closed.yaml", atomically: true, encoding: .utf8)
        try timed.write(toFile: dir + "/timed.yaml", atomically: true, encoding: .utf8)
        let f = try citytwin([
            "fork", dir + "/day/g20.states", "--from", "1h", "--job", dir + "/closed.yaml", "-o", dir + "/fork",
        ])
        #expect(f.status == 0, "\(f.err)")
        #expect(f.out.contains("trips_rerouted"), "\(f.out)")
        let t = try citytwin(["run", dir + "/timed.yaml", "-o", dir + "/full", "--quiet", "--workers", "1"])
        #expect(t.status == 0, "\(t.err)")
        #expect(try Self.differences(dir + "/full/closed.h5", dir + "/fork/closed.h5") == [])
        #expect(try Self.differences(dir + "/day/g20.h5", dir + "/fork/closed.h5").contains("differs traffic/exits"))
        #expect(
            try Self.rowsBefore(dir + "/day/g20.h5", "traffic", "exits", 3600)
                == Self.rowsBefore(dir + "/fork/closed.h5", "traffic", "exits", 3600))
        // without changes: the run
        try base.replacingOccurrences(of: "name: g20", with: "name: same").write(
            toFile: dir + "/same.yaml", atomically: true, encoding: .utf8)
        let s = try citytwin([
            "fork", dir + "/day/g20.states", "--from", "1h", "--job", dir + "/same.yaml", "-o", dir + "/fork",
            "--quiet",
        ])
        #expect(s.status == 0, "\(s.err)")
        #expect(try Self.differences(dir + "/day/g20.h5", dir + "/fork/same.h5") == [])
    }

    /// What a saved state cannot carry is refused before anything runs, each difference at its line in the
    /// alternative's job; so are a missing time, a time after the last state, a path that is no state, a fork that
    /// would write over its own states, and a second run that would replace kept states.
    @Test func forksRefuseWhatTheStateCannotCarry() throws {
        let dir = tempDir("forkbad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = try Self.g20Day(dir)
        let states = dir + "/day/g20.states"
        let bad =
            base.replacingOccurrences(of: "seed: 42", with: "seed: 43")
            .replacingOccurrences(of: "stuck_time: 10s", with: "stuck_time: 10s, demand_scale: 0.9")
            + "\nchanges: [{type: add_link, name: bridge, id: X1, from: A0, to: B1, lanes: 1, speed: 50, "
            + "capacity: 900}]\n"
        try bad.write(toFile: dir + "/bad.yaml", atomically: true, encoding: .utf8)
        let r = try citytwin(["fork", states, "--from", "1h", "--job", dir + "/bad.yaml", "-o", dir + "/f"])
        #expect(r.status == 64, "\(r.err)")
        #expect(r.err.contains("bad.yaml:8:7: error[E-FORK-001]: seed: is '43' here but '42'"), "\(r.err)")
        #expect(r.err.contains("traffic.demand_scale: is '0.9' here but '1.0'"), "\(r.err)")
        #expect(r.err.contains("E-FORK-004") && r.err.contains("add_link cannot take effect"), "\(r.err)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/f/g20.h5"))
        try base.replacingOccurrences(of: "name: g20", with: "name: alt").write(
            toFile: dir + "/alt.yaml", atomically: true, encoding: .utf8)
        let several = try citytwin(["fork", states, "--job", dir + "/alt.yaml", "-o", dir + "/f"])
        #expect(several.status == 64 && several.err.contains("say which with --from TIME"), "\(several.err)")
        #expect(several.err.contains("00:30:00, 01:00:00, 01:30:00"), "\(several.err)")
        let late = try citytwin(["fork", states, "--from", "3h", "--job", dir + "/alt.yaml", "-o", dir + "/f"])
        #expect(late.status == 64 && late.err.contains("no saved state at or after 03:00:00"), "\(late.err)")
        let none = try citytwin(["fork", dir + "/day/g20.h5", "--job", dir + "/alt.yaml", "-o", dir + "/f"])
        #expect(none.status == 64 && none.err.contains("is not a complete CityTwin checkpoint"), "\(none.err)")
        let time = try citytwin(["fork", states, "--from", "1 o'clock", "--job", dir + "/alt.yaml", "-o", dir + "/f"])
        #expect(time.status == 64 && time.err.contains("'1 o'clock' is not a time"), "\(time.err)")
        let own = try citytwin(["fork", states, "--from", "1h", "--job", dir + "/g20.yaml", "-o", dir + "/day"])
        #expect(own.status == 1 && own.err.contains("would write over the states it starts from"), "\(own.err)")
        // the model's vehicles changed under the same model.yaml (one id renamed): the state is of others
        let table = dir + "/g20/population/vehicles.csv"
        let vehicles = try String(contentsOfFile: table, encoding: .utf8)
        var lines = vehicles.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[1] = "renamed" + lines[1]
        try lines.joined(separator: "\n").write(toFile: table, atomically: true, encoding: .utf8)
        let other = try citytwin(["fork", states, "--from", "1h", "--job", dir + "/alt.yaml", "-o", dir + "/o"])
        #expect(other.status == 1 && other.err.contains("is of other vehicles than this job's"), "\(other.err)")
        try vehicles.write(toFile: table, atomically: true, encoding: .utf8)
        // kept states are replaced only with --overwrite (also when the result was moved away)
        try FileManager.default.removeItem(atPath: dir + "/day/g20.h5")
        let twice = try citytwin(["run", dir + "/g20.yaml", "-o", dir + "/day", "--quiet"])
        #expect(twice.status == 1 && twice.err.contains("kept states"), "\(twice.err)")
        let ok = try citytwin(["run", dir + "/g20.yaml", "-o", dir + "/day", "--quiet", "--overwrite"])
        #expect(ok.status == 0, "\(ok.err)")
        try base.replacingOccurrences(of: "keep: all", with: "keep: al").write(
            toFile: dir + "/typo.yaml", atomically: true, encoding: .utf8)
        let k = try citytwin(["validate", dir + "/typo.yaml"])
        #expect(k.status == 64 && k.err.contains("a number of checkpoints (1…1000) or 'all', got 'al'"), "\(k.err)")
    }

    /// A study of responses forked from one saved state (`from:`): every run starts from it, the base alternative
    /// is the saved run bit for bit, the others differ, and compare takes the forks as any study; the seeds must be
    /// the state's and a time without a state is located in the study file.
    @Test func aStudyOfForksFromOneState() throws {
        let dir = tempDir("forkstudy")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = try Self.g20Day(dir)
        let study = """
            schema: 1
            name: responses
            base: g20.yaml
            seeds: [42]
            from: {state: day/g20.states, time: 1h}
            alternatives:
              - name: base
              - name: closure
                changes: [{type: close_link, name: closure, links: [J9J10, J10J9]}]
              - name: slow
                changes: [{type: set_speed, name: slow, links: [K0J0, J0I0], speed: 15}]

            """
        try study.write(toFile: dir + "/responses.study.yaml", atomically: true, encoding: .utf8)
        let r = try citytwin(["study", "run", dir + "/responses.study.yaml", "-o", dir + "/s", "--jobs", "2"])
        #expect(r.status == 0, "\(r.out)\n\(r.err)")
        let folder = dir + "/s/responses"
        #expect(try Self.differences(dir + "/day/g20.h5", folder + "/base/seed-42/base.h5") == [])
        for alt in ["closure", "slow"] {
            let d = try Self.differences(folder + "/base/seed-42/base.h5", folder + "/\(alt)/seed-42/\(alt).h5")
            #expect(d.contains("differs traffic/travel_time"), "\(alt): \(d)")
        }
        let c = try citytwin(["compare", folder])
        #expect(c.status == 0, "\(c.err)")
        #expect(c.out.contains("closure") && c.out.contains("slow"), "\(c.out)")
        // an ensemble: the day over two seeds keeps a state per seed, each seed's fork starts from its own
        let day = "schema: 1\nname: days\nbase: g20.yaml\nseeds: [1, 2]\nalternatives:\n  - name: base\n"
        try day.write(toFile: dir + "/days.study.yaml", atomically: true, encoding: .utf8)
        let d = try citytwin(["study", "run", dir + "/days.study.yaml", "-o", dir + "/s", "--jobs", "2"])
        #expect(d.status == 0, "\(d.err)")
        let ensemble = study.replacingOccurrences(of: "name: responses", with: "name: ensemble")
            .replacingOccurrences(of: "seeds: [42]", with: "seeds: [1, 2]")
            .replacingOccurrences(of: "state: day/g20.states", with: "state: \"s/days/base/seed-{seed}/base.states\"")
        try ensemble.write(toFile: dir + "/ensemble.study.yaml", atomically: true, encoding: .utf8)
        let e = try citytwin(["study", "run", dir + "/ensemble.study.yaml", "-o", dir + "/s", "--jobs", "2"])
        #expect(e.status == 0, "\(e.out)\n\(e.err)")
        for seed in [1, 2] {
            let same = try Self.differences(
                dir + "/s/days/base/seed-\(seed)/base.h5", dir + "/s/ensemble/base/seed-\(seed)/base.h5")
            #expect(same == [], "seed \(seed): the base fork is that seed's day")
        }
        let ce = try citytwin(["compare", dir + "/s/ensemble", "--csv", dir + "/ensemble.csv"])
        #expect(ce.status == 0, "\(ce.err)")
        let rows = try String(contentsOfFile: dir + "/ensemble.csv", encoding: .utf8)
        #expect(rows.contains(",closure,") && !rows.contains("one seed"), "two seeds paired: \(rows.prefix(400))")
        // the state's seed, and a time the state folder does not have
        let wrong = study.replacingOccurrences(of: "seeds: [42]", with: "seeds: [1, 2]")
            .replacingOccurrences(of: "time: 1h", with: "time: 5h")
        try wrong.write(toFile: dir + "/wrong.study.yaml", atomically: true, encoding: .utf8)
        let w = try citytwin(["validate", dir + "/wrong.study.yaml"])
        #expect(w.status == 64, "\(w.err)")
        #expect(
            w.err.contains("wrong.study.yaml:5:") && w.err.contains("no saved state at or after 05:00:00"), "\(w.err)")
        try wrong.replacingOccurrences(of: "time: 5h", with: "time: 1h").write(
            toFile: dir + "/seeds.study.yaml", atomically: true, encoding: .utf8)
        let s2 = try citytwin(["validate", dir + "/seeds.study.yaml"])
        #expect(s2.status == 64 && s2.err.contains("continue its seed 42; the study runs [1, 2]"), "\(s2.err)")
    }

    /// `--until`: a run stops after the first step reaching the time with a checkpoint there (exit 130) and resumes to
    /// the uninterrupted result; a time that is not one is refused before anything starts.
    @Test func runUntilATimeStopsAndResumes() throws {
        let dir = tempDir("until")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try Self.g20Day(dir)
        let r = try citytwin(["run", dir + "/g20.yaml", "-o", dir + "/u", "--until", "50min", "--quiet"])
        #expect(r.status == 130 && r.err.contains("continue with: citytwin run"), "\(r.err)")
        let cks = try FileManager.default.contentsOfDirectory(atPath: dir + "/u/g20.work/checkpoints")
        #expect(cks.contains("ckpt-000003000000.h5"), "the stop's checkpoint at 50 min: \(cks)")
        let again = try citytwin(["run", dir + "/g20.yaml", "-o", dir + "/u", "--resume", "--quiet"])
        #expect(again.status == 0, "\(again.err)")
        #expect(try Self.differences(dir + "/day/g20.h5", dir + "/u/g20.h5") == [])
        let bad = try citytwin(["run", dir + "/g20.yaml", "-o", dir + "/v", "--until", "1h45min"])
        #expect(bad.status == 64 && bad.err.contains("is not a time"), "\(bad.err)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/v"), "nothing was started")
    }
}
