import Foundation
import Testing

/// The bad-input corpus: each broken job or model gives its expected message and exit code 64, never a crash.
@Suite struct BadInputTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var job: String
        var expect: [String]
        var description: String { name }
    }
    static let good = jobText(name: "bad", model: "model")
    static let cases: [Case] = [
        Case(
            name: "typo top-level key", job: good.replacingOccurrences(of: "output_interval:", with: "ouput_interval:"),
            expect: ["unknown key 'ouput_interval'", "did you mean 'output_interval'?", "bad.yaml:6:1"]),
        Case(
            name: "typo flood key", job: good.replacingOccurrences(of: "  drainage:", with: "  drainge:"),
            expect: ["flood.drainge", "did you mean 'drainage'?"]),
        Case(
            name: "negative rain", job: good.replacingOccurrences(of: "[10min, 150]", with: "[10min, -150]"),
            expect: ["rain intensity must be >= 0"]),
        Case(
            name: "bad duration",
            job: good.replacingOccurrences(of: "duration: 40min", with: "duration: 40 fortnights"),
            expect: ["'40 fortnights' is not a duration", "hint: write a number with a unit"]),
        Case(
            name: "missing model dir", job: good.replacingOccurrences(of: "model: model", with: "model: nowhere"),
            expect: ["model directory 'nowhere' does not exist"]),
        Case(
            name: "yaml syntax", job: good.replacingOccurrences(of: "seed: 7", with: "seed: [7"),
            expect: ["YAML syntax error"]),
        Case(
            name: "precision choice",
            job: good.replacingOccurrences(of: "precision: double", with: "precision: dubble"),
            expect: ["did you mean 'double'?"]),
        Case(
            name: "times not increasing", job: good.replacingOccurrences(of: "[20min, 0]", with: "[5min, 0]"),
            expect: ["times must increase"]),
        Case(
            name: "inflow outside",
            job: good.replacingOccurrences(of: "at: {x: 1205, y: 2285}", with: "at: {x: 99999, y: 2285}"),
            expect: ["inflow 'creek' lies outside the grid"]),
        Case(
            name: "wrong amount key", job: good.replacingOccurrences(of: "height: 1.0", with: "depth: 1.0"),
            expect: ["'depth' does not apply to raise_terrain", "raise_terrain needs 'height'"]),
        Case(
            name: "alpha too large",
            job: good.replacingOccurrences(of: "precision: double", with: "precision: double\n  alpha: 0.9"),
            expect: ["must be <= 0.7071"]),
        Case(
            name: "several problems at once",
            job: good.replacingOccurrences(of: "seed: 7", with: "seed: -1\nworkers: 0"),
            expect: ["seed must be a whole number", "workers: must be >= 1", "2 problems found"]),
        Case(
            name: "unknown manning class",
            job: good.replacingOccurrences(of: "  drainage:", with: "  manning: {classes: {raod: 0.02}}\n  drainage:"),
            expect: ["has no land-cover class 'raod'", "did you mean 'road'?"]),
        Case(name: "empty file", job: "", expect: ["the file is empty"]),
    ]

    @Test(arguments: cases)
    func badJob(_ c: Case) throws {
        let dir = tempDir("bad")
        try writeModel(dir + "/model")
        try c.job.write(toFile: dir + "/bad.yaml", atomically: true, encoding: .utf8)
        let r = try citytwin(["validate", dir + "/bad.yaml"])
        #expect(r.status == 64, "\(c.name): exit \(r.status), stderr \(r.err)")
        for e in c.expect { #expect(r.err.contains(e), "\(c.name): expected '\(e)' in:\n\(r.err)") }
    }

    @Test(arguments: [
        ("NaN in DEM", "nan", ["not finite"]),
        ("wrong size", "short", ["expected ncols x nrows"]),
        ("missing DEM", "missing", ["model.yaml:4:10", "'terrain.asc' does not exist in the model directory"]),
        ("NODATA in DEM", "nodata", ["NODATA cell at column 3, row 0"]),
        ("land cover size", "lcsize", ["land cover is 40 x 30 cells, terrain 40 x 31"]),
    ])
    func badDEM(name: String, kind: String, expect: [String]) throws {
        let dir = tempDir("dem")
        try writeModel(dir + "/model")
        let t = dir + "/model/terrain.asc"
        switch kind {
        case "nan": try writeModel(dir + "/model", terrain: { i, j in i == 5 && j == 5 ? "nan" : "1.0" })
        case "short": try writeModel(dir + "/model", rows: 31)
        case "missing": try FileManager.default.removeItem(atPath: t)
        case "nodata":
            try writeModel(dir + "/model", terrain: { i, j in i == 3 && j == 0 ? "-9999" : "1.0" })
            let s = try String(contentsOfFile: t, encoding: .utf8).replacingOccurrences(
                of: "cellsize 10\n", with: "cellsize 10\nNODATA_value -9999\n")
            try s.write(toFile: t, atomically: true, encoding: .utf8)
        default:
            try writeModel(dir + "/model", ny: 31)
            try writeModel(dir + "/model2")
            try FileManager.default.removeItem(atPath: dir + "/model/landcover.asc")
            try FileManager.default.copyItem(
                atPath: dir + "/model2/landcover.asc", toPath: dir + "/model/landcover.asc")
        }
        try jobText(name: "dem", model: "model").write(toFile: dir + "/dem.yaml", atomically: true, encoding: .utf8)
        let r = try citytwin(["validate", dir + "/dem.yaml"])
        #expect(r.status != 0 && r.status < 128, "\(name): exit \(r.status)")
        for e in expect { #expect(r.err.contains(e), "\(name): expected '\(e)' in:\n\(r.err)") }
    }

    @Test func shippedJobsValidate() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        for j in ((try? FileManager.default.contentsOfDirectory(atPath: root + "/Jobs")) ?? [])
        where j.hasSuffix(".yaml") {
            let r = try citytwin(["validate", root + "/Jobs/" + j])
            #expect(r.status == 0, "\(j): \(r.err)")
        }
    }
}
