import Foundation
import SimCore
import Testing

/// The shared-node probes (issue 9): each hostile-but-honest input gets its located message and exit code, never
/// a signal, a hang or a runaway allocation.
@Suite struct SafetyTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// A fresh copy of the shipped Monaco model in `<tmp>/m` (a whole copy: symlinks would lead out of the
    /// model's folder, which the engine refuses).
    static func monaco(_ name: String) throws -> String {
        let dir = tempDir(name)
        try FileManager.default.copyItem(atPath: root + "/Data/monaco", toPath: dir + "/m")
        return dir
    }

    static func write(_ text: String, _ path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Replaces `column` of data row `row` (1 = first after the header) of a CSV file.
    static func setCSV(_ path: String, row: Int, column: String, _ value: String) throws {
        var lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
        let head = lines[0].components(separatedBy: ",")
        let c = head.firstIndex(of: column)!
        var f = lines[row].components(separatedBy: ",")
        f[c] = value
        lines[row] = f.joined(separator: ",")
        try write(lines.joined(separator: "\n"), path)
    }

    /// Replaces header line `key` of an ESRI grid, or one value of its first data row.
    static func editGrid(_ path: String, header key: String? = nil, value: String, column: Int = 3, row: Int = 0)
        throws
    {
        var lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
        if let key {
            let k = lines.firstIndex { $0.lowercased().hasPrefix(key + " ") }!
            lines[k] = key + " " + value
        } else {
            let first = lines.firstIndex { $0.first.map { $0.isNumber || $0 == "-" } ?? false }!
            var f = lines[first + row].components(separatedBy: " ")
            f[column] = value
            lines[first + row] = f.joined(separator: " ")
        }
        try write(lines.joined(separator: "\n"), path)
    }

    static let flood = """
        schema: 1
        name: probe
        model: m
        start: 2026-10-14T12:00:00Z
        duration: 20min
        output_interval: 10min
        flood:
          precision: single
          rainfall:
            design_storm: {idf: {a: 2200, b: 12, c: 0.8}, duration: 10min, step: 5min}

        """
    static let traffic = """
        schema: 1
        name: probe
        model: m
        start: 2026-10-14T07:00:00Z
        duration: 1h
        output_interval: 15min
        traffic: {}

        """
    static let energy = """
        schema: 1
        name: probe
        model: m
        start: 2026-01-12T00:00:00Z
        duration: 2h
        output_interval: 1h
        energy: {}

        """

    struct Probe: Sendable, CustomStringConvertible {
        var name: String
        var job: String
        var edit: @Sendable (String) throws -> Void
        var expect: [String]
        var description: String { name }
    }

    static let probes: [Probe] = [
        Probe(
            name: "ncols nan", job: flood, edit: { try editGrid($0 + "/m/terrain.asc", header: "ncols", value: "nan") },
            expect: ["terrain.asc:1:", "header 'ncols' needs a finite number, got 'nan'"]),
        Probe(
            name: "ncols 9.2e18", job: flood,
            edit: { try editGrid($0 + "/m/terrain.asc", header: "ncols", value: "9.2e18") },
            expect: ["terrain.asc:1:", "cells is more than the 400000000 a grid may have"]),
        Probe(
            name: "ncols fraction", job: flood,
            edit: { try editGrid($0 + "/m/terrain.asc", header: "ncols", value: "380.5") },
            expect: ["ncols and nrows must be whole numbers > 0"]),
        Probe(
            name: "nrows larger than the file", job: flood,
            edit: { try editGrid($0 + "/m/terrain.asc", header: "nrows", value: "300000") },
            expect: ["too short for ncols x nrows"]),
        Probe(
            name: "land-cover class 1e20", job: flood,
            edit: { try editGrid($0 + "/m/landcover.asc", value: "1e20") },
            expect: ["landcover.asc", "land cover value 1e+20 at column 3, row 0 is not a class code"]),
        Probe(
            name: "land-cover class 2.5", job: flood, edit: { try editGrid($0 + "/m/landcover.asc", value: "2.5") },
            expect: ["land cover value 2.5 at column 3, row 0 is not a class code"]),
        Probe(
            name: "land cover shifted", job: flood,
            edit: { try editGrid($0 + "/m/landcover.asc", header: "xllcorner", value: "371000") },
            expect: ["land cover is georeferenced at (371000.0", "same corner and cell size"]),
        Probe(
            name: "-9999 without NODATA", job: flood, edit: { try editGrid($0 + "/m/terrain.asc", value: "-9999") },
            expect: ["is -9999, the usual NODATA marker, but the header has no NODATA_value"]),
        Probe(
            name: "terrain height 1e6", job: flood, edit: { try editGrid($0 + "/m/terrain.asc", value: "1e6") },
            expect: ["terrain height 1000000.0 m at column 3, row 0 is not plausible"]),
        Probe(
            name: "link length nan", job: traffic,
            edit: { try setCSV($0 + "/m/network/links.csv", row: 5, column: "length_m", "nan") },
            expect: ["links.csv:6:", "every value after 'to' must be a finite number"]),
        Probe(
            name: "link length negative", job: traffic,
            edit: { try setCSV($0 + "/m/network/links.csv", row: 5, column: "length_m", "-5") },
            expect: ["links.csv:6:", "has length -5.0; it must lie in"]),
        Probe(
            name: "lanes zero", job: traffic,
            edit: { try setCSV($0 + "/m/network/links.csv", row: 7, column: "lanes", "0") },
            expect: ["links.csv:8:", "has lanes 0.0"]),
        Probe(
            name: "speed inf", job: traffic,
            edit: { try setCSV($0 + "/m/network/links.csv", row: 7, column: "free_speed_mps", "inf") },
            expect: ["links.csv:8:", "must be a finite number"]),
        Probe(
            name: "duplicate link id", job: traffic,
            edit: { dir in
                let p = dir + "/m/network/links.csv"
                var lines = try String(contentsOfFile: p, encoding: .utf8).components(separatedBy: "\n")
                lines.insert(lines[5], at: 6)
                try write(lines.joined(separator: "\n"), p)
            }, expect: ["links.csv:7:", "appears twice", "a later row would silently replace the first"]),
        Probe(
            name: "node x nan", job: traffic,
            edit: { try setCSV($0 + "/m/network/nodes.csv", row: 2, column: "x", "nan") },
            expect: ["nodes.csv:3:", "x and y must be finite coordinates"]),
        Probe(
            name: "departure 1e20", job: traffic,
            edit: { try setCSV($0 + "/m/population/vehicles.csv", row: 1, column: "depart_s", "1e20") },
            expect: ["vehicles.csv:2:", "depart_s a time in seconds from 0 to"]),
        Probe(
            name: "dwellings -5", job: energy,
            edit: { try setCSV($0 + "/m/grid/buildings.csv", row: 1, column: "dwellings", "-5") },
            expect: ["buildings.csv:2:", "dwellings: -5.0 is not a whole number in 0...10000"]),
        Probe(
            name: "dwellings 2.5", job: energy,
            edit: { try setCSV($0 + "/m/grid/buildings.csv", row: 3, column: "dwellings", "2.5") },
            expect: ["buildings.csv:4:", "dwellings: 2.5 is not a whole number"]),
        Probe(
            name: "building x nan", job: energy,
            edit: { try setCSV($0 + "/m/grid/buildings.csv", row: 2, column: "x", "nan") },
            expect: ["buildings.csv:3:", "'x' = 'nan' is not a finite number"]),
        Probe(
            name: "critical depth negative", job: energy,
            edit: { try setCSV($0 + "/m/grid/assets.csv", row: 2, column: "critical_depth_m", "-1") },
            expect: ["assets.csv:3:", "critical_depth_m: -1.0 m is outside 0.0...100.0 m"]),
        Probe(
            name: "duplicate asset name", job: energy,
            edit: { dir in
                let p = dir + "/m/grid/assets.csv"
                var lines = try String(contentsOfFile: p, encoding: .utf8).components(separatedBy: "\n")
                let name = lines[2].components(separatedBy: ",")[2]
                var f = lines[3].components(separatedBy: ",")
                f[2] = name
                lines[3] = f.joined(separator: ",")
                try write(lines.joined(separator: "\n"), p)
            }, expect: ["assets.csv:4:", "appears twice"]),
        Probe(
            name: "model names a system file", job: flood,
            edit: { dir in
                let p = dir + "/m/model.yaml"
                let y = try String(contentsOfFile: p, encoding: .utf8).replacingOccurrences(
                    of: "terrain: terrain.asc", with: "terrain: ../../../../../../../../etc/hostname")
                try write(y, p)
            }, expect: ["model.yaml:", "resolves outside the model folder (to /etc/hostname)", "--allow-path"]),
        Probe(
            name: "storm of a million days",
            job: flood.replacingOccurrences(of: "duration: 10min", with: "duration: 1000000d"),
            edit: { _ in }, expect: ["'1000000d' is longer than the 100 years a job may span"]),
        Probe(
            name: "storm of 1000 days in 5-min blocks",
            job: flood.replacingOccurrences(of: "duration: 10min", with: "duration: 1000d"),
            edit: { _ in }, expect: ["the storm has 288000 blocks of 5min; at most 100000"]),
        Probe(
            name: "rain series beyond plausible",
            job: flood.replacingOccurrences(
                of: "design_storm: {idf: {a: 2200, b: 12, c: 0.8}, duration: 10min, step: 5min}",
                with: "series: [[0min, 1e9]]"),
            edit: { _ in }, expect: ["must be <= 5000 mm/h (got 1e9)"]),
    ]

    @Test(arguments: probes)
    func probe(_ p: Probe) throws {
        let dir = try Self.monaco("probe")
        try p.edit(dir)
        try Self.write(p.job, dir + "/job.yaml")
        for command in ["validate", "run"] {
            let extra = command == "run" ? ["--output", dir + "/out", "--quiet"] : []
            let r = try citytwin([command, dir + "/job.yaml"] + extra)
            #expect(r.status == 64, "\(p.name) (\(command)): exit \(r.status), stderr:\n\(r.err)")
            for e in p.expect { #expect(r.err.contains(e), "\(p.name) (\(command)): expected '\(e)' in:\n\(r.err)") }
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/probe.h5"))
    }

    /// Jobs whose estimate exceeds the memory or disk they may use are refused before anything proportional to
    /// the job is allocated (exit 64), by `run` and by `validate` alike; `validate --estimate` prints the figures.
    @Test func resourcesAreCheckedBeforeAllocating() throws {
        let dir = try Self.monaco("res")
        try Self.write(
            Self.traffic.replacingOccurrences(of: "traffic: {}", with: "traffic: {demand_scale: 1000}"),
            dir + "/scale.yaml")
        try Self.write(
            Self.flood.replacingOccurrences(of: "duration: 20min", with: "duration: 24h").replacingOccurrences(
                of: "output_interval: 10min", with: "output_interval: 1ms"), dir + "/often.yaml")
        let script = """
            import resource, subprocess, sys
            r = subprocess.run(sys.argv[1:], capture_output=True, text=True)
            print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
            sys.stderr.write(r.stderr)
            """
        for command in ["validate", "run"] {
            let extra = command == "run" ? ["--output", dir + "/out", "--quiet"] : []
            let s = try runPython(script, [citytwinBinary, command, dir + "/scale.yaml", "--max-memory", "2G"] + extra)
            let f = s.out.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            #expect(f.first == 64, "\(command): \(s.out) \(s.err)")
            #expect(s.err.contains("E-RES-001") && s.err.contains("of memory, more than the 2.0 GiB"), "\(s.err)")
            #expect((f.last ?? .max) < 400, "\(command) used \(f.last ?? -1) MB before refusing")
            let o = try runPython(script, [citytwinBinary, command, dir + "/often.yaml"] + extra)
            let g = o.out.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            #expect(g.first == 64, "\(command): \(o.out) \(o.err)")
            #expect(o.err.contains("E-RES-002") && o.err.contains("to its output folder, which has"), "\(o.err)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/probe.h5"))
        let est = try citytwin([
            "validate", SafetyTests.root + "/Jobs/monaco-storm.yaml", "--estimate", "--workers", "2",
        ])
        #expect(est.status == 0, "\(est.err)")
        for key in ["peak memory", "disk (peak)", "result", "checkpoints", "run time", "16125 steps"] {
            #expect(est.out.contains(key), "\(key) missing in:\n\(est.out)")
        }
        let bad = try citytwin(["validate", dir + "/scale.yaml", "--max-memory", "lots"])
        #expect(bad.status == 64 && bad.err.contains("--max-memory must be a size"), "\(bad.err)")
    }

    /// Devices, FIFOs and files outside the job's folders are refused before anything is read (no hang).
    @Test func devicesFifosAndOutsideFilesAreRefused() throws {
        let dir = try Self.monaco("dev")
        #expect(mkfifo(dir + "/rain.asc", 0o644) == 0)
        func job(_ file: String) -> String {
            Self.flood.replacingOccurrences(
                of: "design_storm: {idf: {a: 2200, b: 12, c: 0.8}, duration: 10min, step: 5min}",
                with: "gridded: [{time: 0s, file: \(file)}]")
        }
        try Self.write(job("rain.asc"), dir + "/fifo.yaml")
        try Self.write(job("/dev/zero"), dir + "/zero.yaml")
        let t0 = Date()
        let fifo = try citytwin(["validate", dir + "/fifo.yaml"])
        #expect(fifo.status == 64 && fifo.err.contains("rain grid 'rain.asc' is not a regular file"), "\(fifo.err)")
        let zero = try citytwin(["validate", dir + "/zero.yaml"])
        #expect(zero.status == 64 && zero.err.contains("resolves outside the job's and the model's folders"))
        let allowed = try citytwin(["validate", dir + "/zero.yaml", "--allow-path", "/dev"])
        #expect(allowed.status == 64 && allowed.err.contains("'/dev/zero' is not a regular file"), "\(allowed.err)")
        #expect(Date().timeIntervalSince(t0) < 30)
    }

    /// An error about a file that is not ours never prints its content.
    @Test func errorsDoNotEchoForeignFiles() throws {
        let dir = try Self.monaco("echo")
        let secret = "root:x:0:0:root:/root:/bin/bash secret-token-4711\nsecond line\n"
        try Self.write(secret, dir + "/rain.asc")
        try Self.write(
            Self.flood.replacingOccurrences(
                of: "design_storm: {idf: {a: 2200, b: 12, c: 0.8}, duration: 10min, step: 5min}",
                with: "gridded: [{time: 0s, file: rain.asc}]"), dir + "/job.yaml")
        let r = try citytwin(["validate", dir + "/job.yaml"])
        #expect(r.status == 64)
        #expect(r.err.contains("line 1 is not an ESRI ASCII grid header"), "\(r.err)")
        #expect(!r.err.contains("root:") && !r.err.contains("secret") && !r.err.contains("second line"), "\(r.err)")
        // the same for a table of the model
        try Self.write(secret, dir + "/m/network/links.csv")
        try Self.write(Self.traffic, dir + "/t.yaml")
        let t = try citytwin(["validate", dir + "/t.yaml"])
        #expect(t.status == 64 && !t.err.contains("root:") && !t.err.contains("secret"), "\(t.err)")
    }

    /// `--allow-path` opens a folder outside the model's own for its files.
    @Test func allowPathOpensAFolder() throws {
        let dir = try Self.monaco("allow")
        try FileManager.default.createDirectory(atPath: dir + "/shared", withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: dir + "/m/terrain.asc", toPath: dir + "/shared/terrain.asc")
        let p = dir + "/m/model.yaml"
        try Self.write(
            try String(contentsOfFile: p, encoding: .utf8).replacingOccurrences(
                of: "terrain: terrain.asc", with: "terrain: ../shared/terrain.asc"), p)
        try Self.write(Self.flood, dir + "/job.yaml")
        let refused = try citytwin(["validate", dir + "/job.yaml"])
        #expect(refused.status == 64 && refused.err.contains("resolves outside the model folder"))
        let ok = try citytwin(["validate", dir + "/job.yaml", "--allow-path", dir + "/shared"])
        #expect(ok.status == 0, "\(ok.err)")
    }
}
