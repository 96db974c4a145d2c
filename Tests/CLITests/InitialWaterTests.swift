import Foundation
import SimCore
import Testing

/// `flood.initial` (issue 10, part 3): a depth grid, a level grid and a level within a polygon set the water at
/// t = 0 (the first depth snapshot); mistakes are located errors.
@Suite struct InitialWaterTests {
    static let nx = 40
    static let ny = 30

    /// The valley's terrain (row-major, north first) as written by `writeModel`.
    static func terrain(_ dir: String) throws -> [Double] {
        let t = try String(contentsOfFile: dir + "/model/terrain.asc", encoding: .utf8).split(separator: "\n")
        return t.dropFirst(5).flatMap { $0.split(separator: " ").map { Double($0)! } }
    }

    static func grid(_ values: (Int, Int) -> String, header: String? = nil) -> String {
        var s = header ?? "ncols \(nx)\nnrows \(ny)\nxllcorner 1000\nyllcorner 2000\ncellsize 10\nNODATA_value -9999\n"
        for j in 0..<ny { s += (0..<nx).map { values($0, j) }.joined(separator: " ") + "\n" }
        return s
    }

    static func job(_ initial: String) -> String {
        """
        schema: 1
        name: wet
        model: model
        start: 2026-01-01T00:00:00Z
        duration: 2min
        output_interval: 1min
        flood:
          initial: \(initial)

        """
    }

    func firstDepth(_ dir: String, _ initial: String) throws -> [Float] {
        try Self.job(initial).write(toFile: dir + "/wet.yaml", atomically: true, encoding: .utf8)
        let r = try citytwin(["run", dir + "/wet.yaml", "--output", dir + "/out", "--quiet", "--overwrite"])
        #expect(r.status == 0, "\(r.err)")
        let all = try readDataset(dir + "/out/wet.h5", "flood", "depth").doubles.map { Float($0) }
        return Array(all[0..<(Self.nx * Self.ny)])
    }

    @Test func eachFormSetsTheWaterAtTheStart() throws {
        let dir = tempDir("initial")
        try writeModel(dir + "/model")
        let z = try Self.terrain(dir)
        let land = (0..<(Self.nx * Self.ny)).filter { $0 / Self.nx < Self.ny - 3 }  // the sea rows hold the sea level
        // a depth grid: a pond in a block, NODATA elsewhere (dry)
        try Self.grid { i, j in (5..<15).contains(i) && (4..<9).contains(j) ? "0.75" : "-9999" }.write(
            toFile: dir + "/pond.asc", atomically: true, encoding: .utf8)
        let d = try firstDepth(dir, "{depth: pond.asc}")
        for k in land {
            let inBlock = (5..<15).contains(k % Self.nx) && (4..<9).contains(k / Self.nx)
            #expect(d[k] == (inBlock ? 0.75 : 0), "cell \(k): \(d[k])")
        }
        // a level grid: the water surface at 1.5 m everywhere
        try Self.grid { _, _ in "1.5" }.write(toFile: dir + "/level.asc", atomically: true, encoding: .utf8)
        let l = try firstDepth(dir, "{level: level.asc}")
        for k in land { #expect(l[k] == Float(max(1.5 - z[k], 0)), "cell \(k)") }
        #expect(land.contains { l[$0] == 0 } && land.contains { l[$0] > 0 }, "the level wets part of the valley")
        // a reservoir: level 2.5 m within a square (cell centres 1105..1195 x 2205..2285)
        let p = try firstDepth(
            dir,
            "{level: 2.5, within: [{x: 1100, y: 2200}, {x: 1200, y: 2200}, {x: 1200, y: 2290}, {x: 1100, y: 2290}]}")
        for k in land {
            let (i, j) = (k % Self.nx, k / Self.nx)
            let inside = (10..<20).contains(i) && (1..<10).contains(j)
            #expect(p[k] == (inside ? Float(max(2.5 - z[k], 0)) : 0), "cell \(i),\(j): \(p[k])")
        }
    }

    @Test(arguments: [
        ("size", "{depth: small.asc}", ["small.asc", "the grid is 20 x 30 cells", "the terrain 40 x 30"]),
        ("origin", "{depth: moved.asc}", ["moved.asc", "at (1500.0, 2000.0)"]),
        (
            "negative", "{depth: negative.asc}",
            ["negative.asc", "depth -0.5 m at column 2, row 1 is outside 0.0...1000.0"]
        ),
        ("nan", "{depth: nan.asc}", ["nan.asc", "not finite"]),
        (
            "two points", "{level: 2, within: [{x: 1100, y: 2200}, {x: 1200, y: 2200}]}",
            ["a polygon needs at least three points"]
        ),
        (
            "outside", "{level: 2, within: [{x: 0, y: 0}, {x: 10, y: 0}, {x: 10, y: 10}]}",
            ["the polygon contains no cell centre"]
        ),
        ("both", "{depth: pond.asc, level: 3}", ["give either 'depth'"]),
        ("within alone", "{depth: pond.asc, within: [{x: 0, y: 0}]}", ["'within' goes with a 'level' value"]),
        ("missing file", "{level: nowhere.asc}", ["initial level grid 'nowhere.asc' does not exist"]),
        ("typo", "{dept: pond.asc}", ["unknown key 'dept'", "did you mean 'depth'?"]),
    ])
    func mistakesAreLocated(name: String, initial: String, expect: [String]) throws {
        let dir = tempDir("initial-bad")
        try writeModel(dir + "/model")
        try Self.grid { _, _ in "0.2" }.write(toFile: dir + "/pond.asc", atomically: true, encoding: .utf8)
        let small = "ncols 20\nnrows 30\nxllcorner 1000\nyllcorner 2000\ncellsize 10\n"
        try Self.grid({ i, _ in i < 20 ? "0.1" : "" }, header: small).replacingOccurrences(of: "  ", with: " ")
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n")
            .write(toFile: dir + "/small.asc", atomically: true, encoding: .utf8)
        try Self.grid({ _, _ in "0.1" }, header: "ncols 40\nnrows 30\nxllcorner 1500\nyllcorner 2000\ncellsize 10\n")
            .write(toFile: dir + "/moved.asc", atomically: true, encoding: .utf8)
        try Self.grid { i, j in i == 2 && j == 1 ? "-0.5" : "0" }.write(
            toFile: dir + "/negative.asc", atomically: true, encoding: .utf8)
        try Self.grid { i, j in i == 2 && j == 1 ? "nan" : "0" }.write(
            toFile: dir + "/nan.asc", atomically: true, encoding: .utf8)
        try Self.job(initial).write(toFile: dir + "/bad.yaml", atomically: true, encoding: .utf8)
        let r = try citytwin(["validate", dir + "/bad.yaml"])
        #expect(r.status == 64, "\(name): \(r.err)")
        for e in expect { #expect(r.err.contains(e), "\(name): expected '\(e)' in:\n\(r.err)") }
    }
}
