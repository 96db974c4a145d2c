import Foundation
import SimCore
import SimIO
import Testing

let sharedEnergy: String = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    return root.deletingLastPathComponent().appendingPathComponent("shared/data/energy").path
}()

/// `citytwin powerflow` end to end: the LV feeder's reference day to HDF5 (read back with h5py) and CSV; a second
/// run refuses to overwrite; a broken grid fails with located messages and leaves the earlier result untouched.
@Suite struct EnergyCLITests {
    @Test func powerflowWritesResultsAndKeepsThemOnFailure() throws {
        let dir = tempDir("pf")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/lv.h5"
        let r = try citytwin([
            "powerflow", sharedEnergy + "/simbench_lv_urban6", "--steps", "96", "--workers", "2", "-o", out,
        ])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("96 steps") && r.out.contains("result: \(out)"))
        let py = """
            import h5py, csv, sys
            f = h5py.File(sys.argv[1])
            vm = f['bus/vm_pu'][:]
            ref = list(csv.DictReader(open(sys.argv[2])))
            ids = [int(b) for b in f['bus/bus'][:]]
            d = max(abs(vm[t, k] - float(ref[t]['bus_%d' % b])) for t in range(96) for k, b in enumerate(ids))
            assert vm.shape == (96, 59), vm.shape
            assert f['bus/vm_pu'].dims[0][0].name == '/step'
            print('maxdiff', d, f['summary/losses_p_mw'].attrs['units'].decode() if isinstance(f['summary/losses_p_mw'].attrs['units'], bytes) else f['summary/losses_p_mw'].attrs['units'])
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", py, out, sharedEnergy + "/simbench_lv_urban6/ts_ref_vm_pu_96.csv"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        p.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 0, "\(text)")
        if let v = text.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) {
            #expect(v <= 1e-9, "\(text)")
        } else {
            Issue.record("\(text)")
        }
        #expect(text.contains("MW"))
        let csv = try String(contentsOfFile: dir + "/lv-csv/summary.csv", encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 97)
        // no silent overwrite
        let again = try citytwin(["powerflow", sharedEnergy + "/simbench_lv_urban6", "--steps", "4", "-o", out])
        #expect(again.status != 0 && again.err.contains("already exists"))
        // a broken grid: located errors, the earlier result untouched
        let before = try Data(contentsOf: URL(fileURLWithPath: out))
        let bad = dir + "/bad"
        try FileManager.default.createDirectory(atPath: bad, withIntermediateDirectories: true)
        var json = try String(contentsOfFile: sharedEnergy + "/case33bw/network.json", encoding: .utf8)
        json = json.replacingOccurrences(of: "\"to_bus\": 1,", with: "\"to_bus\": 99,")
        try json.write(toFile: bad + "/network.json", atomically: true, encoding: .utf8)
        let broken = try citytwin(["powerflow", bad, "-o", out, "--overwrite"])
        #expect(broken.status == 64, "\(broken.err)")
        #expect(
            broken.err.contains("network.json: error[E-GRID-020]: line[0].to_bus: bus 99 does not exist"),
            "\(broken.err)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == before)
        // more steps than the profiles have
        let tooMany = try citytwin(["powerflow", sharedEnergy + "/case33bw", "--steps", "2", "-o", dir + "/c33.h5"])
        #expect(tooMany.status != 0 && tooMany.err.contains("no profiles"))
    }
}

/// Energy jobs on the shipped city: bit-identical for any worker count and across a real SIGKILL + resume; a flood
/// that reaches a substation trips it and cuts its customers off.
@Suite(.serialized) struct EnergyRunTests {
    static let monaco: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path + "/Data/monaco"
    }()
    static let datasets = [
        "vm_pu", "trafo_loading", "building_demand", "served", "demand", "pv", "ev", "heat_pumps", "losses", "unserved",
        "asset_trips", "building_unserved",
    ]

    func job(_ name: String, duration: String, checkpoint: String = "6h") -> String {
        """
        schema: 1
        name: \(name)
        model: \(Self.monaco)
        start: 2026-01-14T00:00:00Z
        duration: \(duration)
        output_interval: 1h
        checkpoint: {interval: \(checkpoint), keep: 2}
        seed: 5
        energy:
          ev_share: 0.3
          pv_share: 0.2
          heat_pump_share: 0.4
          outages:
            - {asset: secondary substation 40, from: 3h, to: 5h}

        """
    }

    @Test func energyRunIsBitIdenticalAcrossWorkersAndKillResume() throws {
        let dir = tempDir("energy")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var results: [String] = []
        for (k, w) in ["1", "2", "3"].enumerated() {
            let p = dir + "/e\(k).yaml"
            try job("e\(k)", duration: "12h").write(toFile: p, atomically: true, encoding: .utf8)
            let r = try citytwin(["run", p, "--output", dir + "/out", "--quiet", "--workers", w])
            #expect(r.status == 0, "\(r.err)")
            results.append(dir + "/out/e\(k).h5")
        }
        for name in Self.datasets {
            let ref = try readDataset(results[0], "energy", name)
            for r in results.dropFirst() {
                #expect(sameBits(try readDataset(r, "energy", name), ref), "\(name) differs in \(r)")
            }
        }
        // the outage cut customers off and was restored
        let unserved = try readDataset(results[0], "energy", "unserved").doubles
        #expect(unserved.contains { $0 > 0 } && unserved.last! == 0)
        // kill + resume (another worker count) equals an uninterrupted run
        let long = job("kr", duration: "168h", checkpoint: "12h")
        try long.replacingOccurrences(of: "name: kr", with: "name: ref").write(
            toFile: dir + "/ref.yaml", atomically: true, encoding: .utf8)
        #expect(
            try citytwin(["run", dir + "/ref.yaml", "--output", dir + "/out", "--quiet", "--workers", "2"]).status == 0)
        try long.write(toFile: dir + "/kr.yaml", atomically: true, encoding: .utf8)
        let killed = try runAndKill(job: dir + "/kr.yaml", output: dir + "/out", name: "kr", checkpoints: 2, workers: 2)
        #expect(killed, "the run finished before it could be killed")
        let r = try citytwin([
            "run", dir + "/kr.yaml", "--output", dir + "/out", "--quiet", "--workers", "1", "--resume",
        ])
        #expect(r.status == 0, "resume failed: \(r.err)")
        for name in Self.datasets {
            #expect(
                sameBits(
                    try readDataset(dir + "/out/kr.h5", "energy", name),
                    try readDataset(dir + "/out/ref.h5", "energy", name)), "\(name) differs after kill + resume")
        }
        #expect(
            try String(contentsOfFile: dir + "/out/kr-energy-events.csv", encoding: .utf8)
                == String(contentsOfFile: dir + "/out/ref-energy-events.csv", encoding: .utf8))
    }

    /// Traffic + energy on Monaco: the drivers of the synthetic population live in their home buildings, their EVs
    /// charge after they get back (the traffic domain's arrivals), and the coupled run is bit-identical for 1 and 2
    /// workers.
    @Test func trafficDrivesOccupancyAndEVs() throws {
        let dir = tempDir("traffic-energy")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var results: [String] = []
        for w in ["1", "2"] {
            let text =
                "schema: 1\nname: te\(w)\nmodel: \(Self.monaco)\nstart: 2026-01-14T00:00:00Z\nduration: 24h\noutput_interval: 1h\nseed: 3\ntraffic: {}\nenergy:\n  ev_share: 0.5\n"
            try text.write(toFile: dir + "/te\(w).yaml", atomically: true, encoding: .utf8)
            let r = try citytwin(["run", dir + "/te\(w).yaml", "--output", dir + "/out", "--workers", w])
            #expect(r.status == 0, "\(r.err)")
            #expect(
                (r.out + r.err).contains("drivers of the traffic population placed in their home buildings"),
                "\(r.out)\(r.err)")
            results.append(dir + "/out/te\(w).h5")
        }
        for name in Self.datasets {
            #expect(
                sameBits(try readDataset(results[0], "energy", name), try readDataset(results[1], "energy", name)),
                "\(name) differs between 1 and 2 workers")
        }
        // EV charging only once cars are back: none in the small hours, some in the evening
        let f = try H5File.open(results[0])
        let demand = try f.root.group("energy").dataset("building_demand").read().doubles
        #expect(!demand.isEmpty)
        let ev = try readDataset(results[0], "energy", "ev").doubles
        #expect(ev.contains { $0 > 1 } && ev.first! == 0, "EV MW: first \(ev.first!), max \(ev.max()!)")
    }

    /// Flood + energy on the small valley: a secondary substation where the creek comes in trips when the water
    /// there exceeds its critical depth; its building is cut off, the other stays supplied.
    @Test func floodTripsASubstation() throws {
        let dir = tempDir("flood-energy")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.writeValleyGrid(dir)
        let text = jobText(name: "fe", model: "model") + "energy:\n  step: 5min\n  repair_delay: 1h\n"
        try text.write(toFile: dir + "/fe.yaml", atomically: true, encoding: .utf8)
        let r = try citytwin(["run", dir + "/fe.yaml", "--output", dir + "/out", "--quiet"])
        #expect(r.status == 0, "\(r.err)")
        let trips = try readDataset(dir + "/out/fe.h5", "energy", "asset_trips").doubles
        #expect(trips == [0, 1, 0], "\(trips)")
        let unserved = try readDataset(dir + "/out/fe.h5", "energy", "building_unserved").doubles
        #expect(unserved[0] > 0 && unserved[1] == 0, "\(unserved)")
        #expect(r.out.contains("customers_interrupted") && r.out.contains("unserved_energy"))
        let events = try String(contentsOfFile: dir + "/out/fe-energy-events.csv", encoding: .utf8)
        #expect(
            events.hasPrefix("time_s,asset,kind,event,customers_off\n")
                && events.contains(",creek substation,secondary,trip,12"), "\(events)")
    }

    /// The valley model with a small grid: a creek substation that floods, a hill one that does not.
    static func writeValleyGrid(_ dir: String) throws {
        try writeModel(dir + "/model")
        try FileManager.default.createDirectory(atPath: dir + "/model/grid", withIntermediateDirectories: true)
        let net: [String: Any] = [
            "name": "valley", "sn_mva": 1.0, "f_hz": 50.0,
            "bus": [
                ["id": 0, "vn_kv": 20.0], ["id": 1, "vn_kv": 20.0], ["id": 2, "vn_kv": 20.0], ["id": 3, "vn_kv": 0.4],
                ["id": 4, "vn_kv": 0.4],
            ],
            "line": [
                ["from_bus": 0, "to_bus": 1, "r_ohm": 0.1, "x_ohm": 0.1, "b_us": 1.0, "max_i_ka": 0.4],
                ["from_bus": 1, "to_bus": 2, "r_ohm": 0.1, "x_ohm": 0.1, "b_us": 1.0, "max_i_ka": 0.4],
            ],
            "trafo": [
                [
                    "hv_bus": 1, "lv_bus": 3, "sn_mva": 0.4, "vn_hv_kv": 20.0, "vn_lv_kv": 0.4, "vk_percent": 6.0,
                    "vkr_percent": 1.4, "pfe_kw": 1.0, "i0_percent": 0.3, "shift_degree": 150.0,
                ],
                [
                    "hv_bus": 2, "lv_bus": 4, "sn_mva": 0.4, "vn_hv_kv": 20.0, "vn_lv_kv": 0.4, "vk_percent": 6.0,
                    "vkr_percent": 1.4, "pfe_kw": 1.0, "i0_percent": 0.3, "shift_degree": 150.0,
                ],
            ],
            "load": [["bus": 3, "p_mw": 0.05, "q_mvar": 0.01], ["bus": 4, "p_mw": 0.05, "q_mvar": 0.01]],
            "ext_grid": [["bus": 0, "vm_pu": 1.02]],
        ]
        try JSONSerialization.data(withJSONObject: net).write(
            to: URL(fileURLWithPath: dir + "/model/grid/network.json"))
        try
            "load,x,y,dwellings,residential_floor_m2,other_floor_m2,roof_m2\n0,1205,2285,12,960,0,400\n1,1030,2250,12,960,0,400\n"
            .write(toFile: dir + "/model/grid/buildings.csv", atomically: true, encoding: .utf8)
        try
            "kind,element,name,x,y,critical_depth_m\nprimary,0,primary,1030,2290,5\nsecondary,0,creek substation,1205,2285,0.05\nsecondary,1,hill substation,1030,2250,5\n"
            .write(toFile: dir + "/model/grid/assets.csv", atomically: true, encoding: .utf8)
        try
            (String(contentsOfFile: dir + "/model/model.yaml", encoding: .utf8)
            + "energy:\n  grid: grid/network.json\n  buildings: grid/buildings.csv\n  assets: grid/assets.csv\n")
            .write(toFile: dir + "/model/model.yaml", atomically: true, encoding: .utf8)
    }

    /// The coupling through the engine: switched off, the energy results (snapshots, finals, KPIs) equal those of
    /// the energy domain run alone, bit for bit; switched on, a kill and --resume with another worker count equals
    /// an uninterrupted run (the exchange buffers are in the checkpoints).
    @Test func couplingOffReproducesTheUncoupledRunAndResumes() throws {
        let dir = tempDir("couple")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.writeValleyGrid(dir)
        let energy = "energy:\n  step: 5min\n  repair_delay: 1h\n"
        let coupled = jobText(name: "on", model: "model", duration: "2h", checkpoint: "10min") + energy
        // the same job without its flood section (and the wall, a flood change)
        let head = coupled.replacingOccurrences(of: "name: on", with: "name: alone")
        let alone = String(head[..<head.range(of: "flood:")!.lowerBound]) + energy
        let off = coupled.replacingOccurrences(of: "name: on", with: "name: off") + "couplings: {flood_energy: false}\n"
        for (name, text) in [
            ("on", coupled), ("alone", alone), ("off", off),
            ("ref", coupled.replacingOccurrences(of: "name: on", with: "name: ref")),
        ] {
            try text.write(toFile: dir + "/\(name).yaml", atomically: true, encoding: .utf8)
        }
        for name in ["alone", "off", "ref"] {
            let r = try citytwin(["run", dir + "/\(name).yaml", "--output", dir + "/out", "--quiet", "--workers", "2"])
            #expect(r.status == 0, "\(name): \(r.err)")
        }
        for v in ["vm_pu", "building_demand", "served", "asset_trips", "asset_outage", "building_unserved", "time"] {
            let a = try readDataset(dir + "/out/alone.h5", "energy", v)
            let b = try readDataset(dir + "/out/off.h5", "energy", v)
            #expect(sameBits(a, b), "\(v) differs with the coupling off")
        }
        #expect(try readDataset(dir + "/out/ref.h5", "energy", "asset_trips").doubles == [0, 1, 0])
        #expect(try readDataset(dir + "/out/off.h5", "energy", "asset_trips").doubles == [0, 0, 0])
        let killed = try runAndKill(job: dir + "/on.yaml", output: dir + "/out", name: "on")
        #expect(killed, "the run finished before it could be killed")
        let r = try citytwin([
            "run", dir + "/on.yaml", "--output", dir + "/out", "--quiet", "--workers", "3", "--resume",
        ])
        #expect(r.status == 0, "\(r.err)")
        for (group, v) in [
            ("energy", "vm_pu"), ("energy", "building_unserved"), ("energy", "asset_outage"), ("energy", "demand"),
            ("flood", "depth"), ("flood", "max_depth"),
        ] {
            #expect(
                sameBits(try readDataset(dir + "/out/on.h5", group, v), try readDataset(dir + "/out/ref.h5", group, v)),
                "\(group)/\(v) differs after kill + resume")
        }
    }
}
