import Foundation
import SimCore
import SimIO
import Testing

/// The three domains coupled on the small valley: the creek floods a substation and the roads beside it, the
/// outage darkens the signal it feeds, traffic loads the grid.
@Suite struct CoupledCityTests {
    /// The valley with its grid (`EnergyRunTests.writeValleyGrid`) and a road network: a western road past the hill
    /// building (signal H) up to the creek building (signal C), down the valley to M and east to E, and a direct
    /// road W–M. Vehicles drive W → E and back all hour.
    static func writeValleyCity(_ dir: String) throws {
        try EnergyRunTests.writeValleyGrid(dir)
        let m = dir + "/model"
        for sub in ["network", "population"] {
            try FileManager.default.createDirectory(atPath: m + "/" + sub, withIntermediateDirectories: true)
        }
        try "id,x,y,zone,signal\nW,1010,2120,0,0\nH,1030,2245,0,1\nC,1200,2275,0,1\nM,1200,2120,0,0\nE,1390,2120,0,0\n"
            .write(toFile: m + "/network/nodes.csv", atomically: true, encoding: .utf8)
        var links =
            "id,from,to,length_m,lanes,free_speed_mps,capacity_vph,free_flow_time_s,bpr_alpha,bpr_beta,fixed_cost_s\n"
        for (id, a, b, len) in [
            ("wh", "W", "H", 127.0), ("hc", "H", "C", 173.0), ("cm", "C", "M", 155.0), ("me", "M", "E", 190.0),
            ("em", "E", "M", 190.0), ("mc", "M", "C", 155.0), ("ch", "C", "H", 173.0), ("hw", "H", "W", 127.0),
            ("wm", "W", "M", 190.0), ("mw", "M", "W", 190.0),
        ] {
            links += "\(id),\(a),\(b),\(len),1,10,600,\(len / 10),0.15,4,0\n"
        }
        try links.write(toFile: m + "/network/links.csv", atomically: true, encoding: .utf8)
        var v = "id,depart_s,route\n"
        for k in 0..<180 {
            v += "east\(k),\(Double(k) * 20),wh hc cm me\n"
            v += "west\(k),\(Double(k) * 20 + 7),em mc ch hw\n"
        }
        try v.write(toFile: m + "/population/vehicles.csv", atomically: true, encoding: .utf8)
        try
            (String(contentsOfFile: m + "/model.yaml", encoding: .utf8)
            + "traffic:\n  nodes: network/nodes.csv\n  links: network/links.csv\n"
            + "  vehicles: population/vehicles.csv\n")
            .write(toFile: m + "/model.yaml", atomically: true, encoding: .utf8)
    }

    static func job(_ name: String, duration: String = "1h", extra: String = "") -> String {
        jobText(name: name, model: "model", duration: duration, checkpoint: "10min")
            + "energy:\n  step: 5min\n  repair_delay: 1h\n"
            + "traffic:\n  signals: {dark_delay: 5s, capacity_factor: 0.5, interval: 1min}\n" + extra
    }

    /// The creek substation trips: its low-voltage bus and exactly its building lose supply, exactly the signal
    /// at the creek goes dark (the hill one stays lit), the water closes roads and vehicles re-route; the same
    /// job with the energy → traffic coupling off keeps every signal lit.
    @Test func outageDarkensExactlyTheSignalsItFeeds() throws {
        let dir = tempDir("coupled")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.writeValleyCity(dir)
        try Self.job("city").write(toFile: dir + "/city.yaml", atomically: true, encoding: .utf8)
        let r = try citytwin(["run", dir + "/city.yaml", "--output", dir + "/out", "--quiet", "--workers", "2"])
        #expect(r.status == 0, "\(r.err)")
        let out = dir + "/out/city.h5"
        #expect(try readDataset(out, "energy", "asset_trips").doubles == [0, 1, 0])
        // buses 0-2 are the MV ring, 3 the creek LV bus, 4 the hill LV bus: at the last output only bus 3 is dead
        let vm = try readDataset(out, "energy", "vm_pu").doubles
        let last = Array(vm.suffix(5))
        #expect(last[3] == 0 && [0, 1, 2, 4].allSatisfy { last[$0] > 0.9 }, "\(last)")
        let served = try readDataset(out, "energy", "served").doubles
        #expect(Array(served.suffix(2)) == [0, 1], "\(served.suffix(2))")
        let xs = try readDataset(out, "traffic", "signal_x").doubles
        let dark = try readDataset(out, "traffic", "signal_dark_time").doubles
        #expect(xs == [1030, 1200], "signals H and C in node order: \(xs)")
        #expect(dark[0] == 0 && dark[1] > 0.5, "dark hours \(dark)")
        let perTick = try readDataset(out, "traffic", "signals_dark").doubles
        #expect(perTick.max() == 1 && perTick.first == 0, "\(perTick.prefix(5))")
        #expect(r.out.contains("junction_hours_dark") && r.out.contains("water_delay"), "\(r.out)")
        let closed = try readDataset(out, "traffic", "link_speed_limit").doubles
        #expect(closed.contains(0), "some link closes in the water")
        // energy → traffic off: no signal state at all, the grid results unchanged
        try Self.job("lit", extra: "couplings: {energy_traffic: false}\n").write(
            toFile: dir + "/lit.yaml", atomically: true, encoding: .utf8)
        let l = try citytwin(["run", dir + "/lit.yaml", "--output", dir + "/out", "--quiet"])
        #expect(l.status == 0, "\(l.err)")
        #expect(!l.out.contains("junction_hours_dark"))
        // … and its traffic is the traffic of the job without the grid, bit for bit
        try Self.job("nogrid").replacingOccurrences(of: "energy:\n  step: 5min\n  repair_delay: 1h\n", with: "")
            .write(toFile: dir + "/nogrid.yaml", atomically: true, encoding: .utf8)
        let ng = try citytwin(["run", dir + "/nogrid.yaml", "--output", dir + "/out", "--quiet"])
        #expect(ng.status == 0, "\(ng.err)")
        for v in ["entries", "arrival", "link_depth", "delay"] {
            let a = try readDataset(dir + "/out/lit.h5", "traffic", v)
            #expect(sameBits(a, try readDataset(dir + "/out/nogrid.h5", "traffic", v)), "traffic/\(v)")
        }
        // both couplings into traffic off: the traffic of the job with neither flood nor grid
        try Self.job("dry", extra: "couplings: {energy_traffic: false, flood_traffic: false}\n").write(
            toFile: dir + "/dry.yaml", atomically: true, encoding: .utf8)
        let head = Self.job("alone")
        let alone = String(head[..<head.range(of: "flood:")!.lowerBound]) + "traffic: {}\n"
        try alone.write(toFile: dir + "/alone.yaml", atomically: true, encoding: .utf8)
        for name in ["dry", "alone"] {
            let r = try citytwin(["run", dir + "/\(name).yaml", "--output", dir + "/out", "--quiet"])
            #expect(r.status == 0, "\(name): \(r.err)")
        }
        for v in ["entries", "exits", "arrival", "delay", "mean_travel_time"] {
            let a = try readDataset(dir + "/out/dry.h5", "traffic", v)
            #expect(sameBits(a, try readDataset(dir + "/out/alone.h5", "traffic", v)), "traffic/\(v) with both off")
        }
        #expect(
            sameBits(try readDataset(out, "energy", "vm_pu"), try readDataset(dir + "/out/lit.h5", "energy", "vm_pu")))
    }

    /// The coupled valley gives the same bits for 1, 2 and 3 workers and across a SIGKILL + resume on another
    /// worker count, in every domain.
    @Test func coupledRunIsBitIdenticalAcrossWorkersAndKillResume() throws {
        let dir = tempDir("coupled-bits")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.writeValleyCity(dir)
        let sets = [
            ("flood", "depth"), ("flood", "max_depth"), ("traffic", "entries"), ("traffic", "arrival"),
            ("traffic", "link_depth"), ("traffic", "signal_dark_time"), ("traffic", "signals_dark"),
            ("energy", "vm_pu"), ("energy", "building_unserved"), ("energy", "ev"),
        ]
        for w in ["1", "2", "3"] {
            try Self.job("w\(w)", duration: "2h").write(toFile: dir + "/w\(w).yaml", atomically: true, encoding: .utf8)
            let r = try citytwin(["run", dir + "/w\(w).yaml", "--output", dir + "/out", "--quiet", "--workers", w])
            #expect(r.status == 0, "\(r.err)")
        }
        for (g, v) in sets {
            let ref = try readDataset(dir + "/out/w1.h5", g, v)
            for w in ["2", "3"] {
                #expect(sameBits(try readDataset(dir + "/out/w\(w).h5", g, v), ref), "\(g)/\(v) differs for \(w)")
            }
        }
        try Self.job("kr", duration: "2h").write(toFile: dir + "/kr.yaml", atomically: true, encoding: .utf8)
        let killed = try runAndKill(job: dir + "/kr.yaml", output: dir + "/out", name: "kr", checkpoints: 2, workers: 2)
        #expect(killed, "the run finished before it could be killed")
        let r = try citytwin([
            "run", dir + "/kr.yaml", "--output", dir + "/out", "--quiet", "--workers", "3", "--resume",
        ])
        #expect(r.status == 0, "resume failed: \(r.err)")
        for (g, v) in sets {
            #expect(
                sameBits(try readDataset(dir + "/out/kr.h5", g, v), try readDataset(dir + "/out/w1.h5", g, v)),
                "\(g)/\(v) differs after kill + resume")
        }
    }

    /// The shipped coupled Monaco job, cut to 8.5 h (the storm from 7 h, the substation outage from 7.5 h): the same
    /// bits for 1, 2 and 3 workers and after a SIGKILL + resume, in every domain; the couplings all act.
    @Test func monacoCoupledIsBitIdentical() throws {
        let dir = tempDir("monaco-coupled")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let text = try String(contentsOfFile: root + "/Jobs/monaco-coupled.yaml", encoding: .utf8)
            .replacingOccurrences(of: "model: ../Data/monaco", with: "model: \(root)/Data/monaco")
            .replacingOccurrences(of: "duration: 24h", with: "duration: 510min")
        let sets = [
            ("flood", "depth"), ("traffic", "entries"), ("traffic", "arrival"), ("traffic", "link_depth"),
            ("traffic", "signal_dark_time"), ("energy", "vm_pu"), ("energy", "building_unserved"),
        ]
        for w in ["1", "2", "3"] {
            try text.replacingOccurrences(of: "name: monaco-coupled", with: "name: w\(w)").write(
                toFile: dir + "/w\(w).yaml", atomically: true, encoding: .utf8)
            let r = try citytwin(["run", dir + "/w\(w).yaml", "--output", dir + "/out", "--quiet", "--workers", w])
            #expect(r.status == 0, "\(r.err)")
            if w == "1" {
                let k = r.out
                #expect(k.contains("link_hours_closed") && k.contains("junction_hours_dark"), "\(k)")
            }
        }
        for (g, v) in sets {
            let ref = try readDataset(dir + "/out/w1.h5", g, v)
            for w in ["2", "3"] {
                #expect(sameBits(try readDataset(dir + "/out/w\(w).h5", g, v), ref), "\(g)/\(v) differs for \(w)")
            }
        }
        let dark = try readDataset(dir + "/out/w1.h5", "traffic", "signal_dark_time").doubles
        #expect(dark.filter { $0 > 0 }.count == 2, "the outage darkens the two signals it feeds: \(dark)")
        try text.replacingOccurrences(of: "name: monaco-coupled", with: "name: kr").write(
            toFile: dir + "/kr.yaml", atomically: true, encoding: .utf8)
        let killed = try runAndKill(job: dir + "/kr.yaml", output: dir + "/out", name: "kr", checkpoints: 2, workers: 2)
        #expect(killed, "the run finished before it could be killed")
        let r = try citytwin([
            "run", dir + "/kr.yaml", "--output", dir + "/out", "--quiet", "--workers", "1", "--resume",
        ])
        #expect(r.status == 0, "\(r.err)")
        for (g, v) in sets {
            #expect(
                sameBits(try readDataset(dir + "/out/kr.h5", g, v), try readDataset(dir + "/out/w1.h5", g, v)),
                "\(g)/\(v) differs after kill + resume")
        }
    }

    /// Bad coupling settings and a bad signal column are located errors with a hint, exit 64, nothing written.
    @Test func badCouplingInputIsLocated() throws {
        let dir = tempDir("coupled-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.writeValleyCity(dir)
        let signals = "  signals: {dark_delay: 5s, capacity_factor: 0.5, interval: 1min}\n"
        let cases: [(String, String, [String])] = [
            ("signals typo", "  signals: {dark_dlay: 5s}\n", ["traffic.signals", "did you mean 'dark_delay'?"]),
            ("close depth", "  flood: {close_depth: 0.5}\n", ["close_depth", "0.3"]),
            ("capacity factor", "  signals: {capacity_factor: 0}\n", ["capacity_factor", "> 0"]),
            ("interval", "  flood: {interval: 1500ms}\n", ["whole number of ticks"]),
        ]
        for (name, section, expect) in cases {
            try Self.job("bad").replacingOccurrences(of: signals, with: section).write(
                toFile: dir + "/bad.yaml", atomically: true, encoding: .utf8)
            let r = try citytwin(["validate", dir + "/bad.yaml"])
            #expect(r.status == 64, "\(name): \(r.status) \(r.err)")
            for e in expect { #expect(r.err.contains(e), "\(name): missing '\(e)' in \(r.err)") }
        }
        try Self.job("bad", extra: "couplings: {energy_trafic: false}\n").write(
            toFile: dir + "/bad.yaml", atomically: true, encoding: .utf8)
        let c = try citytwin(["validate", dir + "/bad.yaml"])
        #expect(c.status == 64 && c.err.contains("did you mean 'energy_traffic'?"), "\(c.err)")
        let nodes = dir + "/model/network/nodes.csv"
        try String(contentsOfFile: nodes, encoding: .utf8).replacingOccurrences(
            of: "H,1030,2245,0,1", with: "H,1030,2245,0,2"
        )
        .write(toFile: nodes, atomically: true, encoding: .utf8)
        try Self.job("bad").write(toFile: dir + "/bad.yaml", atomically: true, encoding: .utf8)
        let n = try citytwin(["run", dir + "/bad.yaml", "--output", dir + "/out"])
        #expect(n.status == 64 && n.err.contains("nodes.csv:3") && n.err.contains("signal 0 or 1"), "\(n.err)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/bad.h5"))
    }
}
