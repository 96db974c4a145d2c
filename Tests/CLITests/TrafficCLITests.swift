import Foundation
import SimCore
import Testing

let sharedTNTP: String = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    return root.deletingLastPathComponent().appendingPathComponent("shared/data/tntp").path
}()

@Suite struct TrafficCLITests {
    /// `citytwin import tntp` then `citytwin assign`: the best-known Sioux Falls equilibrium, an HDF5 result that
    /// h5py and xarray read, and no overwriting without --overwrite.
    @Test func importAndAssignSiouxFalls() throws {
        let dir = tempDir("assign")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sf = sharedTNTP + "/SiouxFalls/SiouxFalls"
        let imp = try citytwin([
            "import", "tntp", sf + "_net.tntp", "--trips", sf + "_trips.tntp", "--nodes", sf + "_node.tntp", "-o",
            dir + "/sf",
        ])
        #expect(imp.status == 0, "\(imp.err)")
        #expect(imp.out.contains("24 nodes, 76 links, 24 zones, 360600.0 trips in 528 OD pairs"), "\(imp.out)")
        let again = try citytwin(["import", "tntp", sf + "_net.tntp", "-o", dir + "/sf"])
        #expect(again.status == 1 && again.err.contains("already holds a model"), "\(again.err)")

        let out = dir + "/sf.h5"
        let a = try citytwin(["assign", dir + "/sf", "--gap", "1e-9", "-o", out, "--quiet", "--workers", "2"])
        #expect(a.status == 0, "\(a.err)")
        // TSTT in veh·min/h to 4 decimals; best known 7,480,225.34 (REFERENCE-NUMBERS.md)
        let line = a.out.split(separator: "\n").first { $0.contains("TSTT") } ?? ""
        let vmin = line.split(separator: "(").last.flatMap { Double($0.split(separator: " ").first ?? "") } ?? 0
        #expect(abs(vmin - 7_480_225.34) / 7_480_225.34 < 1e-6, "\(line)")
        let b = try citytwin(["assign", dir + "/sf", "-o", out, "--quiet"])
        #expect(b.status == 1 && b.err.contains("already exists"), "\(b.err)")

        let script = """
            import h5py, xarray as xr, numpy as np, sys
            f = h5py.File(sys.argv[1], "r")
            g = f["assignment"]
            assert g["flow"].shape == (76,), g["flow"].shape
            assert g["link_id"][0].decode() == "1-2", g["link_id"][0]
            assert g.attrs["kpi_relative_gap"] <= 1e-9
            ds = xr.open_dataset(sys.argv[1], group="assignment", engine="h5netcdf")
            assert ds["flow"].dims == ("link",) and ds["relative_gap"].dims == ("iteration",)
            print(float(ds["flow"].sum()))
            """
        let py = try runPython(script, [out])
        #expect(py.status == 0, "python: \(py.err)")
        #expect((Double(py.out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 1e5)
    }

    /// Broken network tables in a model directory: file, line and a suggestion.
    @Test func brokenNetworkModelIsReported() throws {
        let dir = tempDir("badnet")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/network", withIntermediateDirectories: true)
        try "schema: 1\nname: bad\ntraffic:\n  nodes: network/nodes.csv\n  links: network/links.csv\n  demand: od.csv\n"
            .write(toFile: dir + "/model.yaml", atomically: true, encoding: .utf8)
        try "id,x,y,zone\nA,0,0,1\nB,1,0,1\nC,2,0,0\n".write(
            toFile: dir + "/network/nodes.csv", atomically: true, encoding: .utf8)
        try
            ("id,from,to,length_m,lanes,free_speed_mps,capacity_vph,free_flow_time_s,bpr_alpha,bpr_beta,fixed_cost_s\n"
            + "l1,A,C,100,1,10,1000,10,0.15,4,0\nl2,C,Bx,100,1,10,1000,10,0.15,4,0\n").write(
                toFile: dir + "/network/links.csv", atomically: true, encoding: .utf8)
        let r1 = try citytwin(["assign", dir, "-o", dir + "/r.h5"])
        #expect(
            r1.status == 64 && r1.err.contains("model.yaml:6") && r1.err.contains("'od.csv' does not exist"),
            "\(r1.err)")
        try "schema: 1\nname: bad\ntraffic:\n  nodes: network/nodes.csv\n  links: network/links.csv\n".write(
            toFile: dir + "/model.yaml", atomically: true, encoding: .utf8)
        let r2 = try citytwin(["assign", dir, "-o", dir + "/r.h5"])
        #expect(
            r2.status == 64 && r2.err.contains("links.csv:3") && r2.err.contains("refers to node 'Bx'")
                && r2.err.contains("did you mean 'B'?"), "\(r2.err)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/r.h5"))
    }

    /// A 2-hour job on the SUMO g20_20k grid (checkpoints every 30 min).
    static let g20Job = """
        schema: 1
        name: g20
        model: g20
        start: 2026-01-01T00:00:00Z
        duration: 2h
        output_interval: 15min
        checkpoint: {interval: 30min, keep: 2}
        seed: 42
        traffic: {stuck_time: 10s}
        """

    /// Imports the shared SUMO g20_20k grid into `dir/g20` and writes `dir/g20.yaml` (`g20Job`).
    static func writeG20(_ dir: String) throws -> ProcResult {
        let d = sharedTNTP.replacingOccurrences(of: "/data/tntp", with: "/peers/sumo/data/g20_20k")
        let imp = try citytwin([
            "import", "sumo", "--nodes", d + "/plain.nod.xml.gz", "--edges", d + "/plain.edg.xml.gz",
            "--routes", d + "/routes.rou.xml.gz", "-o", dir + "/g20",
        ])
        try g20Job.write(toFile: dir + "/g20.yaml", atomically: true, encoding: .utf8)
        return imp
    }

    /// The SUMO g20_20k case imported and run as a traffic job: all 20,001 trips arrive; the result datasets are
    /// bit-identical for 1 and 2 workers and different partition counts; a typo in the traffic section is
    /// reported with its location and a suggestion.
    @Test func sumoGridJobIsDeterministic() throws {
        let dir = tempDir("trafficjob")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let imp = try Self.writeG20(dir)
        #expect(imp.status == 0 && imp.out.contains("400 nodes, 1520 links, 20001 vehicles"), "\(imp.err)")
        let job = Self.g20Job
        var outs: [String] = []
        for (w, p) in [(1, 1), (2, 16), (2, 5)] {
            let o = dir + "/out\(w)-\(p)"
            let r = try citytwin([
                "run", dir + "/g20.yaml", "--output", o, "--quiet", "--workers", "\(w)", "--partitions", "\(p)",
            ])
            #expect(r.status == 0, "\(r.err)")
            #expect(
                r.out.split(separator: "\n").contains { $0.contains("trips_completed") && $0.contains(" 20001") },
                "\(r.out)")
            outs.append(o + "/g20.h5")
        }
        for name in ["arrival", "travel_time", "delay", "entries", "exits", "queue", "vehicles", "en_route"] {
            let ref = try readDataset(outs[0], "traffic", name)
            for o in outs.dropFirst() {
                #expect(sameBits(ref, try readDataset(o, "traffic", name)), "\(name) differs in \(o)")
            }
        }
        try job.replacingOccurrences(of: "stuck_time", with: "stuck_tme").write(
            toFile: dir + "/bad.yaml", atomically: true, encoding: .utf8)
        let v = try citytwin(["validate", dir + "/bad.yaml"])
        #expect(
            v.status == 64 && v.err.contains("bad.yaml:9") && v.err.contains("did you mean 'stuck_time'?"), "\(v.err)")
    }

    /// A corridor with a short bottleneck route and a longer wide one; every vehicle starts on the short route.
    /// Iterations toward dynamic equilibrium move vehicles to the wide route and the relative gap falls; closing
    /// the bottleneck re-routes everyone; typos in network changes are located with a suggestion.
    @Test func dynamicEquilibriumAndNetworkChanges() throws {
        let dir = tempDir("due")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/m/network", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/m/population", withIntermediateDirectories: true)
        let model =
            "schema: 1\nname: corridor\ntraffic:\n  nodes: network/nodes.csv\n  links: network/links.csv\n"
            + "  vehicles: population/vehicles.csv\n"
        try model.write(toFile: dir + "/m/model.yaml", atomically: true, encoding: .utf8)
        try "id,x,y,zone\nO,0,0,0\nA,500,0,0\nB,1500,0,0\nC,1000,800,0\nD,2000,0,0\n".write(
            toFile: dir + "/m/network/nodes.csv", atomically: true, encoding: .utf8)
        let h =
            "id,from,to,length_m,lanes,free_speed_mps,capacity_vph,free_flow_time_s,bpr_alpha,bpr_beta,fixed_cost_s\n"
        try
            (h
            + "in,O,A,500,2,15,4000,33.3,0.15,4,0\nshort,A,B,1000,1,15,600,66.7,0.15,4,0\n"
            + "up,A,C,950,2,15,3600,63.3,0.15,4,0\n"
            + "down,C,B,950,2,15,3600,63.3,0.15,4,0\nout,B,D,500,2,15,4000,33.3,0.15,4,0\n").write(
                toFile: dir + "/m/network/links.csv", atomically: true, encoding: .utf8)
        var v = "id,depart_s,route\n"
        for k in 0..<1500 { v += "v\(k),\(Double(k) * 1.2),in short out\n" }
        try v.write(toFile: dir + "/m/population/vehicles.csv", atomically: true, encoding: .utf8)
        let job = { (extra: String) in
            """
            schema: 1
            name: corridor
            model: m
            start: 2026-01-01T00:00:00Z
            duration: 3h
            output_interval: 30min
            seed: 5
            traffic:
              iterations: 8
              reroute_share: 0.3
            \(extra)
            """
        }
        try job("").write(toFile: dir + "/due.yaml", atomically: true, encoding: .utf8)
        let r = try citytwin(["run", dir + "/due.yaml", "--output", dir + "/out", "--quiet", "--workers", "2"])
        #expect(r.status == 0, "\(r.err)")
        // inspect shows long dataset and KPI names whole
        let ins = try citytwin(["inspect", dir + "/out/corridor.h5"])
        #expect(
            ins.status == 0 && ins.out.contains("iteration_average_excess ")
                && ins.out.contains("trips_en_route_at_end "), "\(ins.out)")
        let gaps = try readDataset(dir + "/out/corridor.h5", "traffic", "iteration_relative_gap").doubles
        #expect(gaps.count == 7)
        #expect(gaps[0] > 0.2 && gaps.last! < 0.5 * gaps[0], "gaps \(gaps)")
        let entries = try readDataset(dir + "/out/corridor.h5", "traffic", "total_entries").doubles
        #expect(entries[2] > 300 && entries[1] + entries[2] == 1500, "short \(entries[1]), wide \(entries[2])")
        // closing the short link: everybody drives the wide route
        try job("changes:\n  - {type: close_link, name: works, links: [short]}").write(
            toFile: dir + "/closed.yaml", atomically: true, encoding: .utf8)
        let c = try citytwin(["run", dir + "/closed.yaml", "--output", dir + "/out2", "--quiet"])
        #expect(c.status == 0, "\(c.err)")
        let e2 = try readDataset(dir + "/out2/corridor.h5", "traffic", "total_entries").doubles
        #expect(e2.count == 4 && e2[1] == 1500 && e2[2] == 1500, "\(e2)")
        try job(
            "changes:\n  - {type: add_lanes, links: [shrot], lanes: 1}\n"
                + "  - {type: set_speed, links: [up], speed: 50, lanes: 2}"
        )
        .write(toFile: dir + "/bad.yaml", atomically: true, encoding: .utf8)
        let b = try citytwin(["validate", dir + "/bad.yaml"])
        #expect(b.status == 64 && b.err.contains("'lanes' does not apply to set_speed"), "\(b.err)")
        try job("changes:\n  - {type: add_lanes, links: [shrot], lanes: 1}").write(
            toFile: dir + "/bad2.yaml", atomically: true, encoding: .utf8)
        let b2 = try citytwin(["validate", dir + "/bad2.yaml"])
        #expect(
            b2.status == 64 && b2.err.contains("bad2.yaml:12:5") && b2.err.contains("no link 'shrot'")
                && b2.err.contains("did you mean 'short'?"), "\(b2.err)")
    }

    /// The shipped traffic model of Data/monaco is what `citytwin import osm --population --seed 1` makes from the
    /// shared OSM extract, byte for byte; the shipped traffic job validates and a broken PBF is refused clearly.
    @Test func shippedMonacoTrafficReimports() throws {
        let dir = tempDir("osm")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pbf = sharedTNTP.replacingOccurrences(of: "/data/tntp", with: "/data/cities/monaco/monaco.osm.pbf")
        let r = try citytwin(["import", "osm", pbf, "--population", "--seed", "1", "-o", dir + "/m"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("links") && r.out.contains("car trips"), "\(r.out)")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        for f in ["network/nodes.csv", "network/links.csv", "network/turns.csv", "population/vehicles.csv"] {
            let a = FileManager.default.contents(atPath: dir + "/m/" + f)
            let b = FileManager.default.contents(atPath: root + "/Data/monaco/" + f)
            #expect(a != nil && a == b, "\(f) differs from the shipped one")
        }
        let v = try citytwin(["validate", root + "/Jobs/monaco-traffic.yaml"])
        #expect(v.status == 0 && v.out.contains("traffic:"), "\(v.err)")
        try "not a pbf".write(toFile: dir + "/bad.osm.pbf", atomically: true, encoding: .utf8)
        let bad = try citytwin(["import", "osm", dir + "/bad.osm.pbf", "-o", dir + "/x"])
        #expect(
            bad.status == 64 && bad.err.contains("bad.osm.pbf") && bad.err.contains("libosmium cannot read it"),
            "\(bad.err)")
    }

    /// A real SIGKILL of a running traffic job after a checkpoint, resumed with another worker count: the result
    /// equals an uninterrupted run's, bit for bit (queues, vehicles, counters and the re-planned routes).
    @Test func trafficKillAndResumeIsBitIdentical() throws {
        let dir = tempDir("trafkill")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = sharedTNTP.replacingOccurrences(of: "/data/tntp", with: "/peers/sumo/data/g50_100k")
        let imp = try citytwin([
            "import", "sumo", "--nodes", d + "/plain.nod.xml.gz", "--edges", d + "/plain.edg.xml.gz",
            "--routes", d + "/routes.rou.xml.gz", "-o", dir + "/g50",
        ])
        #expect(imp.status == 0, "\(imp.err)")
        let job = { (name: String) in
            """
            schema: 1
            name: \(name)
            model: g50
            start: 2026-01-01T00:00:00Z
            duration: 2h
            output_interval: 15min
            checkpoint: {interval: 5min, keep: 2}
            seed: 3
            traffic: {iterations: 2, reroute_share: 0.1}
            """
        }
        try job("ref").write(toFile: dir + "/ref.yaml", atomically: true, encoding: .utf8)
        let ref = try citytwin(["run", dir + "/ref.yaml", "--output", dir + "/out", "--quiet", "--workers", "1"])
        #expect(ref.status == 0, "\(ref.err)")
        try job("kr").write(toFile: dir + "/kr.yaml", atomically: true, encoding: .utf8)
        let killed = try runAndKill(job: dir + "/kr.yaml", output: dir + "/out", name: "kr", checkpoints: 2)
        #expect(killed, "the run finished before it could be killed")
        let r = try citytwin([
            "run", dir + "/kr.yaml", "--output", dir + "/out", "--quiet", "--workers", "2", "--resume",
        ])
        #expect(r.status == 0, "\(r.err)")
        for name in [
            "arrival", "start", "travel_time", "entries", "exits", "queue", "vehicles", "en_route",
            "iteration_relative_gap",
        ] {
            #expect(
                sameBits(
                    try readDataset(dir + "/out/kr.h5", "traffic", name),
                    try readDataset(dir + "/out/ref.h5", "traffic", name)), "\(name) differs after kill + resume")
        }
    }
}
