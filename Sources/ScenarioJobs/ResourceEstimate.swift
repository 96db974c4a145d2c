import EnergyModel
import FloodModel
import Foundation
import SimCore
import TrafficModel

/// What a job will need — peak memory, disk in its output folder, result and checkpoint sizes, run time — from
/// the sizes of its model (headers, row counts; nothing proportional to the job's multipliers is read or built)
/// and the job's settings. `run` refuses a job whose estimate exceeds `--max-memory` or the output folder's free
/// space before it allocates; `validate --estimate` prints it. Each domain counts its own arrays
/// (`Footprint`); this adds the engine's part: output buffers between checkpoints (flushed at 512 MiB),
/// segment files, checkpoints kept, the result being assembled, and the process itself.
public struct ResourceEstimate: Sendable {
    public var memory = 0.0
    public var disk = 0.0
    /// The result file before compression (an upper bound; deflate typically halves it or better).
    public var result = 0.0
    /// The checkpoints kept at once (`checkpoint.keep` of them, or every one with `keep: all`).
    public var checkpoints = 0.0
    public var seconds = 0.0
    public var ticks = 0.0
    public var outputs = 0.0
    public var domains: [(name: String, footprint: Footprint)] = []

    /// Resident size of the process before any model is read (Swift runtime, Foundation, libhdf5; measured).
    static let processBytes = 40.0 * 1_048_576
    /// Results are flushed to a segment when the buffer passes this (RunStore.flushBytes).
    static let flushBytes = 512.0 * 1_048_576
    /// The share of the raw result that the compressed result is assumed to take on disk (conservative).
    static let compressedShare = 0.5

    /// The estimate for `job` on `model` with `workers` workers. The model needs no rasters loaded (their
    /// header is read); with them, the flood step is computed from the deepest fixed-level water.
    public static func of(job: Job, model: CityModel, workers: Int) throws -> ResourceEstimate {
        var e = ResourceEstimate()
        if let f = job.flood {
            let g: GridGeometry
            var depth = 1.0
            if let t = model.terrain {
                g = t.geometry
                depth = max(depth, seaDepth(model: model, seaLevel: f.seaLevel ?? model.seaLevel))
            } else if let p = model.terrainFile {
                g = try AsciiGrid.readHeader(path: p, epsg: model.epsg).geometry
            } else {
                throw InputError(
                    SourceLocation(file: model.directory + "/model.yaml"), code: "E-JOB-029",
                    message: "model '\(model.name)' has no terrain, which the flood section needs")
            }
            var p = FloodParameters()
            p.theta = f.theta
            p.alpha = f.alpha
            p.maxStep = f.maxStep
            p.advection = f.advection
            var grids = 0
            if case .gridded(_, let files) = f.rainfall { grids = files.count }
            e.domains.append(
                (
                    "flood",
                    FloodSetup.footprint(
                        nx: g.nx, ny: g.ny, cellSize: g.cellSize, precision: f.precision, parameters: p,
                        rainGrids: grids, depth: depth, duration: job.duration, outputInterval: job.outputInterval)
                ))
        }
        if let t = job.traffic, let files = model.traffic {
            let nodes = try TableCount.of(files.nodes).rows
            let links = try TableCount.of(files.links).rows
            var vehicles = 0
            var entries = 0
            var gaps = 0
            if let vp = t.vehicles ?? files.vehicles {
                let c = try TableCount.of(vp)
                vehicles = c.rows
                // explicit links, and for each `a > b` gap half the square root of the link count (Monaco's
                // fastest paths average 32 links of 4,032)
                let gap = Int((0.5 * Double(links).squareRoot()).rounded())
                entries = c.tokens - 2 * c.rows - c.gaps + c.gaps * gap
                gaps = c.gaps
            }
            // bounded by the largest factor any vehicle gets (a district's scale applies to its trips only)
            let scale = t.demandScale * max(1, t.demandZones.map(\.scale).max() ?? 1)
            e.domains.append(
                (
                    "traffic",
                    TrafficDomain.footprint(
                        nodes: nodes, links: links, vehicles: Int((Double(vehicles) * scale).rounded(.up)),
                        routeEntries: Int((Double(max(0, entries)) * scale).rounded(.up)), gaps: gaps,
                        duration: job.duration,
                        tick: t.tick, iterations: t.iterations, rerouteShare: t.rerouteShare)
                ))
        }
        if let en = job.energy, let files = model.energy {
            let b = try TableCount.of(files.buildings, sum: "dwellings")
            let grid = try TableCount.occurrences(files.grid, of: ["\"vn_kv\"", "\"from_bus\"", "\"hv_bus\""])
            let size = (try? FileManager.default.attributesOfItem(atPath: files.grid)[.size] as? Int) ?? 0
            e.domains.append(
                (
                    "energy",
                    EnergyDomain.footprint(
                        buildings: b.rows, dwellings: Int(b.sum), buses: grid[0], branches: grid[1] + grid[2],
                        trafos: grid[2],
                        gridBytes: size, evShare: en.evShare, duration: job.duration, step: en.step)
                ))
        }
        e.combine(job: job, workers: workers)
        return e
    }

    /// The deepest water on the fixed-level (sea) cells at the start.
    static func seaDepth(model: CityModel, seaLevel: Double) -> Double {
        guard let t = model.terrain, let lc = model.landcover else { return 0 }
        let sea = Set(model.classes.filter(\.sea).map(\.code))
        var d = 0.0
        for k in 0..<t.values.count where sea.contains(lc.values[k]) { d = max(d, seaLevel - t.values[k]) }
        return d
    }

    mutating func combine(job: Job, workers: Int) {
        let fs = domains.map(\.footprint)
        ticks = fs.map(\.ticks).max() ?? 0
        outputs = Double(job.duration.milliseconds / job.outputInterval.milliseconds) + 1
        let snapshot = fs.reduce(0) { $0 + $1.snapshot }
        let diagnostics = ticks * Double(fs.reduce(0) { $0 + $1.diagnostics } + 1) * 8
        let finals = fs.reduce(0) { $0 + $1.finals }
        let raw = outputs * snapshot + diagnostics
        result = raw + finals
        // kept states (`keep: all`) hold one checkpoint per interval before the end
        let kept =
            job.checkpointInterval.map {
                job.keepStates ? Double((job.duration.milliseconds - 1) / $0.milliseconds) : Double(job.checkpointKeep)
            } ?? 0
        checkpoints = kept * fs.reduce(4096) { $0 + $1.checkpoint }
        // the planning days keep their newest two checkpoints (a traffic state each) until the run completes
        if let t = job.traffic, t.iterations > 1, let k = domains.firstIndex(where: { $0.name == "traffic" }) {
            checkpoints += 2 * (fs[k].checkpoint + 4096)
        }
        // what is buffered between two checkpoints (or flushes), and what one segment holds
        let share =
            job.checkpointInterval.map { min(1, Double($0.milliseconds) / Double(job.duration.milliseconds)) } ?? 1
        let buffer = min(Self.flushBytes, raw * share)
        let state = fs.reduce(0) { $0 + $1.state }
        let building = fs.reduce(0) { $0 + $1.building }
        // flushing concatenates one variable's values; assembling reads one variable of a segment and its
        // compressed chunks, and every diagnostic column twice
        let assembly = 2 * buffer / Double(max(1, fs.count)) + 2 * diagnostics
        memory = Self.processBytes + state + max(building, 1.5 * buffer + 4 * snapshot, assembly)
        disk = raw + checkpoints + Self.compressedShare * result
        seconds = 0.3 + fs.reduce(0) { $0 + $1.seconds(workers: workers) } + raw / 200e6 + building / 500e6
    }

    /// The lines `validate --estimate` prints.
    public func report(workers: Int) -> [String] {
        var lines = [
            "peak memory      \(Self.size(memory))",
            "disk (peak)      \(Self.size(disk)) in the output folder: segments, checkpoints, the result",
            "result           \(Self.size(result)) before compression (\(Int(outputs)) outputs, \(Int(ticks)) steps)",
            "checkpoints      \(Self.size(checkpoints)) kept at once",
            "run time         \(Self.duration(seconds)) on \(workers) worker\(workers == 1 ? "" : "s")",
        ]
        for (name, f) in domains {
            lines.append(
                "  \(name): state \(Self.size(f.state)), set-up \(Self.size(f.building)), \(Int(f.ticks)) steps, "
                    + "\(Self.duration(f.seconds(workers: workers)))")
        }
        return lines
    }

    public static func size(_ bytes: Double) -> String {
        if bytes >= 1_073_741_824 { return String(format: "%.1f GiB", bytes / 1_073_741_824) }
        if bytes >= 1_048_576 { return String(format: "%.0f MiB", bytes / 1_048_576) }
        return String(format: "%.0f KiB", bytes / 1024)
    }

    static func duration(_ s: Double) -> String {
        if s >= 7200 { return String(format: "%.1f h", s / 3600) }
        if s >= 120 { return String(format: "%.0f min", s / 60) }
        return String(format: "%.1f s", s)
    }

    /// Refuses (exit 64) a job that needs more memory than `maxMemory` or more disk than `freeDisk`.
    public func check(maxMemory: Double, freeDisk: Double, job: Job) throws {
        var problems: [Diagnostic] = []
        let at = SourceLocation(file: job.file)
        if memory > maxMemory {
            problems.append(
                Diagnostic(
                    at, code: "E-RES-001",
                    message:
                        "the job needs about \(Self.size(memory)) of memory, more than the \(Self.size(maxMemory)) "
                        + "it may use",
                    hint:
                        "see 'citytwin validate --estimate'; reduce demand_scale, the grid or the outputs, or pass "
                        + "--max-memory SIZE if the machine has more"))
        }
        if disk > freeDisk {
            problems.append(
                Diagnostic(
                    at, code: "E-RES-002",
                    message:
                        "the job writes about \(Self.size(disk)) to its output folder, which has \(Self.size(freeDisk)) "
                        + "free",
                    hint: "lengthen output_interval, shorten the run, or pass --output DIR on a larger disk"))
        }
        if !problems.isEmpty { throw InputError(problems) }
    }

    /// The memory this process may use by default: what the kernel says is available.
    public static func availableMemory() -> Double {
        guard let text = try? InputFile.text("/proc/meminfo", limit: 1 << 16, what: "/proc/meminfo") else {
            return Double(ProcessInfo.processInfo.physicalMemory)
        }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kb * 1024
        }
        return Double(ProcessInfo.processInfo.physicalMemory)
    }

    /// Free bytes on the file system of `path` (or its nearest existing parent).
    public static func freeDisk(_ path: String) -> Double {
        var p = path
        while !SafeFile.exists(p) {
            guard let slash = p.lastIndex(of: "/") else {
                p = "."
                break
            }
            p = slash == p.startIndex ? "/" : String(p[..<slash])
        }
        var s = statvfs()
        guard statvfs(p, &s) == 0 else { return .infinity }
        return Double(s.f_bavail) * Double(s.f_frsize)
    }

    /// `8G`, `512M`, `1.5GiB`, `300000000`: bytes.
    public static func parseSize(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let g = 1_073_741_824.0
        let m = 1_048_576.0
        let units: [(String, Double)] = [
            ("GIB", g), ("MIB", m), ("KIB", 1024), ("GB", g), ("MB", m), ("KB", 1024), ("G", g), ("M", m), ("K", 1024),
            ("B", 1),
        ]
        for (u, f) in units where t.hasSuffix(u) {
            guard let v = Double(t.dropLast(u.count).trimmingCharacters(in: .whitespaces)), v > 0, v.isFinite else {
                return nil
            }
            return v * f
        }
        guard let v = Double(t), v > 0, v.isFinite else { return nil }
        return v
    }
}

/// Row counts of a model table without reading it into memory (64 KiB blocks).
enum TableCount {
    struct Counts {
        var rows = 0
        /// Space-separated tokens in the route column's lines (for vehicles tables), and `>` gaps.
        var tokens = 0
        var gaps = 0
        var sum = 0.0
    }

    /// Data rows (lines after the header that are not empty); tokens and gaps of a `id,depart_s,route` table;
    /// with `sum`, the total of that numeric column.
    static func of(_ path: String, sum column: String? = nil) throws -> Counts {
        var c = Counts()
        var lineStart = true
        var nonEmpty = false
        var header = true
        var headerText: [UInt8] = []
        var columnIndex = -1
        var field = 0
        var value: [UInt8] = []
        try InputFile.scan(path, what: "the table") { block in
            for b in block {
                if header {
                    if b == 10 {
                        header = false
                        if let column {
                            let names = String(decoding: headerText, as: UTF8.self).trimmingCharacters(
                                in: .whitespacesAndNewlines
                            ).split(separator: ",").map(String.init)
                            columnIndex = names.firstIndex(of: column) ?? -1
                        }
                    } else if column != nil {
                        headerText.append(b)
                    }
                    continue
                }
                if b == 10 {
                    if nonEmpty {
                        c.rows += 1
                        c.tokens += 1
                    }
                    if columnIndex >= 0, field == columnIndex {
                        c.sum += Self.count(value)
                    }
                    lineStart = true
                    nonEmpty = false
                    field = 0
                    value.removeAll(keepingCapacity: true)
                    continue
                }
                if b != 13 && b != 32 { nonEmpty = true }
                if b == 32 { c.tokens += 1 }
                if b == 62 { c.gaps += 1 }
                if b == 44 {
                    if columnIndex >= 0, field == columnIndex {
                        c.sum += Self.count(value)
                    }
                    field += 1
                    c.tokens += 1
                    value.removeAll(keepingCapacity: true)
                } else if field == columnIndex && value.count < 32 {
                    value.append(b)
                }
                lineStart = false
            }
        }
        if nonEmpty {
            c.rows += 1
            c.tokens += 1
            if columnIndex >= 0, field == columnIndex { c.sum += Self.count(value) }
        }
        _ = lineStart
        return c
    }

    /// A count read from a table cell: finite, non-negative and bounded (the table's own reader reports the
    /// rest), so no estimate can overflow.
    static func count(_ bytes: [UInt8]) -> Double {
        guard let v = Double(String(decoding: bytes, as: UTF8.self)), v.isFinite, v > 0 else { return 0 }
        return min(v, 1e9)
    }

    /// How often each pattern occurs in the file (patterns shorter than a block).
    static func occurrences(_ path: String, of patterns: [String]) throws -> [Int] {
        let ps = patterns.map { Array($0.utf8) }
        var counts = [Int](repeating: 0, count: ps.count)
        var carry: [UInt8] = []
        let keep = (ps.map(\.count).max() ?? 1) - 1
        try InputFile.scan(path, what: "the grid file") { block in
            let buf = carry + block
            for (k, p) in ps.enumerated() where buf.count >= p.count {
                var i = 0
                let last = buf.count - p.count
                while i <= last {
                    if buf[i] == p[0] && buf[i..<(i + p.count)].elementsEqual(p) {
                        // count matches that end inside the new block only (the carry was counted before)
                        if i + p.count > carry.count { counts[k] += 1 }
                        i += p.count
                    } else {
                        i += 1
                    }
                }
            }
            carry = Array(buf.suffix(keep))
        }
        return counts
    }
}
