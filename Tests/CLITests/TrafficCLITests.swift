import Testing
import Foundation
import SimCore

let sharedTNTP: String = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.deletingLastPathComponent().appendingPathComponent("shared/data/tntp").path
}()

@Suite struct TrafficCLITests {
    /// `citytwin import tntp` then `citytwin assign`: the best-known Sioux Falls equilibrium, an HDF5 result that
    /// h5py and xarray read, and no overwriting without --overwrite.
    @Test func importAndAssignSiouxFalls() throws {
        let dir = tempDir("assign")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sf = sharedTNTP + "/SiouxFalls/SiouxFalls"
        let imp = try citytwin(["import", "tntp", sf + "_net.tntp", "--trips", sf + "_trips.tntp", "--nodes", sf + "_node.tntp", "-o", dir + "/sf"])
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
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, out]
        let o = Pipe(), e = Pipe()
        p.standardOutput = o; p.standardError = e
        try p.run()
        let pyOut = String(decoding: o.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let pyErr = String(decoding: e.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "python: \(pyErr)")
        #expect((Double(pyOut.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 1e5)
    }

    /// Broken network tables in a model directory: file, line and a suggestion.
    @Test func brokenNetworkModelIsReported() throws {
        let dir = tempDir("badnet")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/network", withIntermediateDirectories: true)
        try "schema: 1\nname: bad\ntraffic:\n  nodes: network/nodes.csv\n  links: network/links.csv\n  demand: od.csv\n".write(toFile: dir + "/model.yaml", atomically: true, encoding: .utf8)
        try "id,x,y,zone\nA,0,0,1\nB,1,0,1\nC,2,0,0\n".write(toFile: dir + "/network/nodes.csv", atomically: true, encoding: .utf8)
        try ("id,from,to,length_m,lanes,free_speed_mps,capacity_vph,free_flow_time_s,bpr_alpha,bpr_beta,fixed_cost_s\n"
             + "l1,A,C,100,1,10,1000,10,0.15,4,0\nl2,C,Bx,100,1,10,1000,10,0.15,4,0\n").write(toFile: dir + "/network/links.csv", atomically: true, encoding: .utf8)
        let r1 = try citytwin(["assign", dir, "-o", dir + "/r.h5"])
        #expect(r1.status == 64 && r1.err.contains("model.yaml:6") && r1.err.contains("'od.csv' does not exist"), "\(r1.err)")
        try "schema: 1\nname: bad\ntraffic:\n  nodes: network/nodes.csv\n  links: network/links.csv\n".write(toFile: dir + "/model.yaml", atomically: true, encoding: .utf8)
        let r2 = try citytwin(["assign", dir, "-o", dir + "/r.h5"])
        #expect(r2.status == 64 && r2.err.contains("links.csv:3") && r2.err.contains("refers to node 'Bx'") && r2.err.contains("did you mean 'B'?"), "\(r2.err)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/r.h5"))
    }

    /// The SUMO g20_20k case imported and run as a traffic job: all 20,001 trips arrive; the result datasets are
    /// bit-identical for 1 and 2 workers and different partition counts; a typo in the traffic section is
    /// reported with its location and a suggestion.
    @Test func sumoGridJobIsDeterministic() throws {
        let dir = tempDir("trafficjob")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = sharedTNTP.replacingOccurrences(of: "/data/tntp", with: "/peers/sumo/data/g20_20k")
        let imp = try citytwin(["import", "sumo", "--nodes", d + "/plain.nod.xml.gz", "--edges", d + "/plain.edg.xml.gz",
                                "--routes", d + "/routes.rou.xml.gz", "-o", dir + "/g20"])
        #expect(imp.status == 0 && imp.out.contains("400 nodes, 1520 links, 20001 vehicles"), "\(imp.err)")
        let job = """
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
        try job.write(toFile: dir + "/g20.yaml", atomically: true, encoding: .utf8)
        var outs: [String] = []
        for (w, p) in [(1, 1), (2, 16), (2, 5)] {
            let o = dir + "/out\(w)-\(p)"
            let r = try citytwin(["run", dir + "/g20.yaml", "--output", o, "--quiet", "--workers", "\(w)", "--partitions", "\(p)"])
            #expect(r.status == 0, "\(r.err)")
            #expect(r.out.contains("trips_completed  20001"), "\(r.out)")
            outs.append(o + "/g20.h5")
        }
        for name in ["arrival", "travel_time", "delay", "entries", "exits", "queue", "vehicles", "en_route"] {
            let ref = try readDataset(outs[0], "traffic", name)
            for o in outs.dropFirst() { #expect(sameBits(ref, try readDataset(o, "traffic", name)), "\(name) differs in \(o)") }
        }
        try job.replacingOccurrences(of: "stuck_time", with: "stuck_tme").write(toFile: dir + "/bad.yaml", atomically: true, encoding: .utf8)
        let v = try citytwin(["validate", dir + "/bad.yaml"])
        #expect(v.status == 64 && v.err.contains("bad.yaml:9") && v.err.contains("did you mean 'stuck_time'?"), "\(v.err)")
    }
}
