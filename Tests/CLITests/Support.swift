import Foundation
import SimCore
import SimIO

/// The release binary scripts/test builds (CITYTWIN_BIN), else the package's build folders.
let citytwinBinary: String = {
    if let b = ProcessInfo.processInfo.environment["CITYTWIN_BIN"], FileManager.default.isExecutableFile(atPath: b) {
        return b
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    for c in ["/.build/release/citytwin", "/.build/debug/citytwin"]
    where FileManager.default.isExecutableFile(atPath: root + c) { return root + c }
    return root + "/.build/release/citytwin"
}()

struct ProcResult {
    var status: Int32
    var out: String
    var err: String
}

@discardableResult
func citytwin(_ args: [String], cwd: String? = nil) throws -> ProcResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: citytwinBinary)
    p.arguments = args
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let o = Pipe()
    let e = Pipe()
    p.standardOutput = o
    p.standardError = e
    try p.run()
    let od = o.fileHandleForReading.readDataToEndOfFile()
    let ed = e.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return ProcResult(
        status: p.terminationStatus, out: String(decoding: od, as: UTF8.self), err: String(decoding: ed, as: UTF8.self))
}

func tempDir(_ name: String) -> String {
    let d = NSTemporaryDirectory() + "citytwin-\(name)-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

/// A small synthetic city model: a tilted valley with a sea strip along the south edge.
func writeModel(_ dir: String, nx: Int = 40, ny: Int = 30, terrain: ((Int, Int) -> String)? = nil, rows: Int? = nil)
    throws
{
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    var t = "ncols \(nx)\nnrows \(rows ?? ny)\nxllcorner 1000\nyllcorner 2000\ncellsize 10\n"
    var l = "ncols \(nx)\nnrows \(ny)\nxllcorner 1000\nyllcorner 2000\ncellsize 10\n"
    for j in 0..<ny {
        var tr: [String] = []
        var lr: [String] = []
        for i in 0..<nx {
            let z =
                0.05 * Double(ny - 1 - j) * 10 * 0.1 + 0.02 * abs(Double(i) - Double(nx) / 2) * 10 * 0.1 + 0.3
                * sin(Double(i * j) * 0.1)
            tr.append(terrain?(i, j) ?? String(format: "%.3f", j >= ny - 3 ? -2.0 : z + 0.5))
            lr.append(j >= ny - 3 ? "9" : (i % 7 == 0 ? "1" : "0"))
        }
        t += tr.joined(separator: " ") + "\n"
        l += lr.joined(separator: " ") + "\n"
    }
    try t.write(toFile: dir + "/terrain.asc", atomically: true, encoding: .utf8)
    try l.write(toFile: dir + "/landcover.asc", atomically: true, encoding: .utf8)
    try """
    schema: 1
    name: testvalley
    crs: EPSG:32632
    terrain: terrain.asc
    landcover: landcover.asc
    sea_level: 0.0
    boundaries: {north: closed, south: free, east: free, west: closed}
    classes:
      - {code: 0, name: urban, manning: 0.035, pervious: true, drained: true}
      - {code: 1, name: road, manning: 0.015, pervious: false, drained: true}
      - {code: 9, name: sea, manning: 0.025, sea: true}

    """.write(toFile: dir + "/model.yaml", atomically: true, encoding: .utf8)
}

/// A job on that model with rain, an inflow, infiltration and drainage: every code path of the flood step.
func jobText(
    name: String, model: String, duration: String = "40min", checkpoint: String = "5min", precision: String = "double"
) -> String {
    """
    schema: 1
    name: \(name)
    model: \(model)
    start: 2026-01-01T00:00:00Z
    duration: \(duration)
    output_interval: 5min
    checkpoint: {interval: \(checkpoint), keep: 2}
    seed: 7
    flood:
      precision: \(precision)
      rainfall:
        series: [[0min, 80], [10min, 150], [20min, 0]]
      inflows:
        - name: creek
          at: {x: 1205, y: 2285}
          hydrograph: [[0min, 0], [10min, 4], [30min, 0]]
      infiltration: {model: green_ampt, ks: 5, psi: 110, delta_theta: 0.3}
      drainage: {capacity: 10}
    changes:
      - type: raise_terrain
        name: wall
        line: [{x: 1050, y: 2150}, {x: 1300, y: 2150}]
        height: 1.0

    """
}

func readDataset(_ path: String, _ group: String, _ name: String) throws -> ArrayData {
    let f = try H5File.open(path)
    return try f.root.group(group).dataset(name).read()
}

/// Bit-for-bit equality (NaN fill values compare equal to themselves).
func sameBits(_ a: ArrayData, _ b: ArrayData) -> Bool {
    switch (a, b) {
    case (.float32(let x), .float32(let y)): x.map(\.bitPattern) == y.map(\.bitPattern)
    case (.float64(let x), .float64(let y)): x.map(\.bitPattern) == y.map(\.bitPattern)
    default: a == b
    }
}

/// Runs a Python snippet with arguments (the analyst's view of our results); status, stdout, stderr.
func runPython(_ script: String, _ args: [String]) throws -> ProcResult {
    try runTool("python3", ["-c", script] + args)
}

/// Runs a program found on PATH (gdalinfo, sbatch, chromium, ...); status, stdout, stderr.
func runTool(_ name: String, _ args: [String]) throws -> ProcResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [name] + args
    let o = Pipe()
    let e = Pipe()
    p.standardOutput = o
    p.standardError = e
    try p.run()
    let out = String(decoding: o.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let err = String(decoding: e.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return ProcResult(status: p.terminationStatus, out: out, err: err)
}

/// Starts `executable ARGS` with its output discarded.
func startQuietly(_ executable: String, _ args: [String]) throws -> Process {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = args
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    return p
}

/// Waits (at most a minute) while `p` runs until the checkpoint folder's `.h5` files satisfy `enough`.
func waitForCheckpoints(_ p: Process, in ckDir: String, _ enough: ([String]) -> Bool) {
    let t0 = Date()
    while p.isRunning && Date().timeIntervalSince(t0) < 60 {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: ckDir)) ?? []).filter { $0.hasSuffix(".h5") }
        if enough(files) { return }
        usleep(1000)
    }
}

/// Starts `citytwin run JOB`, waits until `checkpoints` checkpoints exist, then SIGKILLs it at a random moment;
/// retries with --resume if the run finished first. True if a kill happened.
func runAndKill(job jobPath: String, output: String, name: String, checkpoints: Int = 2, workers: Int = 2) throws
    -> Bool
{
    for attempt in 0..<3 {
        let p = try startQuietly(
            citytwinBinary,
            ["run", jobPath, "--output", output, "--quiet", "--workers", "\(workers)"]
                + (attempt > 0 ? ["--resume"] : []))
        waitForCheckpoints(p, in: output + "/\(name).work/checkpoints") { $0.count >= checkpoints }
        if p.isRunning {
            usleep(UInt32.random(in: 0...20_000))  // kill at an arbitrary moment after a checkpoint
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            if p.terminationReason == .uncaughtSignal { return true }
        } else {
            p.waitUntilExit()
        }
    }
    return false
}
