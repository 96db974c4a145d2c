import Foundation
import SimCore
import SimEngine

/// Identity of a run, written as root attributes of the result file.
public struct RunMetadata: Sendable {
    public var jobName: String
    public var jobYAML: String
    /// Hash of everything that determines the results (not the worker count or output paths).
    public var jobHash: String
    public var seed: UInt64
    public var engineVersion: String
    public var gitCommit: String
    public var workers: Int
    public var partitions: Int
    /// ISO 8601 start of simulated time (for CF time units).
    public var startISO: String
    /// The city model's CRS (0: none), written as each group's `spatial_ref`.
    public var epsg: Int
    /// Wall-clock seconds of the simulation (of the last session when resumed), set before the result is written.
    public var wallSeconds: Double?
    /// Processes of the run (MPI ranks; 1: one process), like `workers` not part of the results.
    public var ranks: Int
    /// What a fork from this run's states must share with it (`key=value` lines), written into every checkpoint.
    public var forkInvariants = ""
    /// The saved state this run was forked from (nil: it ran from the start).
    public var forkedFrom: ForkOrigin?
    public init(
        jobName: String, jobYAML: String, jobHash: String, seed: UInt64, engineVersion: String, gitCommit: String,
        workers: Int, partitions: Int, startISO: String, epsg: Int = 0, ranks: Int = 1
    ) {
        self.epsg = epsg
        self.ranks = ranks
        self.jobName = jobName
        self.jobYAML = jobYAML
        self.jobHash = jobHash
        self.seed = seed
        self.engineVersion = engineVersion
        self.gitCommit = gitCommit
        self.workers = workers
        self.partitions = partitions
        self.startISO = startISO
    }
}

/// Writes a run's results and checkpoints and makes them survive a kill at any moment.
///
/// - Outputs are buffered and written as immutable *segments* (`<work>/segments/seg-NNNNNN.h5`, temporary file +
///   rename) at every checkpoint; the checkpoint records how many segments belong to it.
/// - A checkpoint (`<work>/checkpoints/ckpt-<ms>.h5`) holds the complete state; written to a temporary file and
///   renamed, the last `keep` kept.
/// - At the end the segments are joined into the result file (`.tmp` + rename), so an earlier result is only
///   replaced by a complete one, and the work folder is removed.
public final class RunStore: SimulationObserver {
    public let resultPath: String
    public let workDir: String
    public var metadata: RunMetadata
    public let keep: Int
    /// Keep every checkpoint and, at the end, the run folder's checkpoints and segments as `<name>.states`: the
    /// saved states other runs fork from (`citytwin fork`).
    public var keepStates = false
    let schemas: [OutputSchema]
    var snapTimes: [Int64] = []
    var snaps: [[[ArrayData]]]  // [domain][snapshot][variable]
    var diagTimes: [Int64] = []
    var diags: [[Double]]  // [domain] flattened rows
    public private(set) var segmentCount = 0
    var snapshotTotal = 0
    var stepTotal = 0
    var bufferedBytes = 0
    /// Flush outputs to a segment when the buffer passes this many bytes even between checkpoints.
    public var flushBytes = 512 << 20
    /// Compresses result chunks in parallel (the run's worker count) while this thread writes them.
    let compressor: ParallelExecutor
    /// Called after each checkpoint with its path (for progress display).
    public var onCheckpoint: ((String) -> Void)?

    var segmentsDir: String { workDir + "/segments" }
    var checkpointsDir: String { workDir + "/checkpoints" }

    public init(resultPath: String, workDir: String, metadata: RunMetadata, schemas: [OutputSchema], keep: Int) throws {
        self.resultPath = resultPath
        self.workDir = workDir
        self.metadata = metadata
        self.schemas = schemas
        self.keep = max(1, keep)
        compressor = ParallelExecutor(workers: metadata.workers)
        snaps = schemas.map { _ in [] }
        diags = schemas.map { _ in [] }
        try Self.makeRunFolder(workDir, jobName: metadata.jobName, jobHash: metadata.jobHash)
        for d in [segmentsDir, checkpointsDir] {
            do { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) } catch {
                throw RunError(
                    "cannot create the run folder '\(d)': \(error.localizedDescription)",
                    hint: "check that the output folder exists and is writable, or pass --output DIR")
            }
        }
    }

    /// The checkpoint group of the engine's exchange buffers (one array per coupling).
    public static let exchangeGroup = "exchange"

    /// The file that marks a folder as a CityTwin run folder: `--overwrite` removes only folders that have it.
    public static let markerName = ".citytwin-run"

    /// True if `dir` is a run folder made by this engine (it carries the marker).
    public static func isRunFolder(_ dir: String) -> Bool { InputFile.isRegularFile(dir + "/" + markerName) }

    // MARK: SimulationObserver

    public func didTick(_ sim: Simulation, diagnostics: [[Double]]) throws {
        diagTimes.append(sim.clock.milliseconds)
        for (k, d) in diagnostics.enumerated() { diags[k].append(contentsOf: d) }
        bufferedBytes += 8 * (1 + diagnostics.reduce(0) { $0 + $1.count })
        if bufferedBytes > flushBytes { try flushSegment() }
    }

    public func didReachOutput(_ sim: Simulation, snapshots: [[ArrayData]]) throws {
        snapTimes.append(sim.clock.milliseconds)
        for (k, s) in snapshots.enumerated() { snaps[k].append(s) }
        bufferedBytes += snapshots.reduce(0) { $0 + $1.reduce(0) { $0 + 4 * $1.count } }
        if bufferedBytes > flushBytes { try flushSegment() }
    }

    public func didReachCheckpoint(_ sim: Simulation) throws {
        try flushSegment()
        let path = try writeCheckpoint(sim)
        onCheckpoint?(path)
    }

    // MARK: segments

    func flushSegment() throws {
        if snapTimes.isEmpty && diagTimes.isEmpty { return }
        let n = segmentCount + 1
        let path = segmentsDir + "/" + Self.segmentName(n)
        let tmp = SafeFile.temporaryPath(for: path)
        do {
            let f = try H5File.create(tmp, overwrite: false)
            let root = try f.root
            try root.setAttribute("snapshots", Int64(snapTimes.count))
            try root.setAttribute("steps", Int64(diagTimes.count))
            try root.write("snap_time", .int64(snapTimes))
            try root.write("diag_time", .int64(diagTimes))
            for (k, schema) in schemas.enumerated() {
                let g = try root.createGroup(schema.group)
                for (v, variable) in schema.snapshots.enumerated() {
                    let per = schema.shape(of: variable).reduce(1, *)
                    var all = [Float]()
                    all.reserveCapacity(per * snapTimes.count)
                    for s in snaps[k] { all.append(contentsOf: s[v].floats) }
                    try g.write(
                        "snap_" + variable.name, .float32(all), shape: [snapTimes.count, per], compress: keepStates)
                }
                try g.write(
                    "diag", .float64(diags[k]), shape: [diagTimes.count, schema.diagnostics.count], compress: keepStates
                )
            }
            try f.flush()
        } catch {
            unlink(tmp)
            throw RunError(
                "cannot write results segment '\(path)': \(error)", hint: "is the disk full or the folder read-only?")
        }
        try SafeFile.commit(tmp, to: path, overwrite: true)
        segmentCount = n
        snapshotTotal += snapTimes.count
        stepTotal += diagTimes.count
        snapTimes.removeAll()
        diagTimes.removeAll()
        for k in snaps.indices {
            snaps[k].removeAll()
            diags[k].removeAll()
        }
        bufferedBytes = 0
    }

    static func segmentName(_ n: Int) -> String { "seg-" + pad(n, 6) + ".h5" }
    static func checkpointName(_ ms: Int64) -> String { "ckpt-" + pad(Int(ms), 12) + ".h5" }

    // MARK: checkpoints

    func writeCheckpoint(_ sim: Simulation) throws -> String {
        let path = checkpointsDir + "/" + Self.checkpointName(sim.clock.milliseconds)
        let tmp = SafeFile.temporaryPath(for: path)
        do {
            let f = try H5File.create(tmp, overwrite: false)
            let root = try f.root
            try root.setAttribute("format", "citytwin-checkpoint")
            try root.setAttribute("format_version", Int64(1))
            try root.setAttribute("job_name", metadata.jobName)
            try root.setAttribute("job_hash", metadata.jobHash)
            try root.setAttribute("engine_version", metadata.engineVersion)
            try root.setAttribute("clock_ms", sim.clock.milliseconds)
            try root.setAttribute("tick", sim.tick)
            try root.setAttribute("segments", Int64(segmentCount))
            try root.setAttribute("snapshots", Int64(snapshotTotal))
            try root.setAttribute("steps", Int64(stepTotal))
            try root.setAttribute("created", ISO8601DateFormatter().string(from: Date()))
            try root.setAttribute("fork_invariants", metadata.forkInvariants)
            // a distributed domain's group holds rank 0's part; the other ranks' are in their files beside it
            let ranks = sim.ranks?.size ?? 1
            try root.setAttribute("ranks", Int64(ranks))
            for (k, d) in sim.domains.enumerated() {
                let g = try root.createGroup(d.name)
                let part = ranks > 1 && sim.isDistributed(k)
                try g.setAttribute("part", Int64(part ? 1 : 0))
                // kept states stay on disk: compressed (shuffle + deflate); a passing checkpoint is written as fast as
                // it can be
                for a in part ? d.checkpointPart() : d.checkpointState() {
                    try g.write(a.name, a.data, shape: a.shape, compress: keepStates)
                }
            }
            let exchange = sim.exchangeState()
            if !exchange.isEmpty {
                let g = try root.createGroup(Self.exchangeGroup)
                for a in exchange { try g.write(a.name, a.data, shape: a.shape) }
            }
            // written last: a checkpoint without it is incomplete
            try root.setAttribute("complete", Int64(1))
            try f.flush()
        } catch {
            unlink(tmp)
            throw RunError(
                "cannot write checkpoint '\(path)': \(error)",
                hint: "is the disk full or the folder read-only? Earlier checkpoints are kept; free space and rerun "
                    + "with --resume")
        }
        try SafeFile.commit(tmp, to: path, overwrite: true)
        if !keepStates { Self.prune(checkpointsDir, keep: keep) }
        return path
    }

    /// The complete-or-not checkpoint files (rank 0's; the other ranks' parts are `ckpt-<ms>.rank<r>.h5`).
    static func checkpointFiles(in dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasPrefix("ckpt-") && $0.hasSuffix(".h5") && !$0.contains(".rank") }.sorted()
    }

    /// The file of rank r's part of the checkpoint at `path`.
    public static func partPath(_ path: String, rank r: Int) -> String { String(path.dropLast(3)) + ".rank\(r).h5" }

    /// Keeps the newest `keep` checkpoints with their parts; removes older files and parts left by a checkpoint
    /// that was never completed.
    static func prune(_ dir: String, keep: Int) {
        let kept = Set(checkpointFiles(in: dir).suffix(keep).map { String($0.prefix(17)) })
        guard let newest = kept.max() else { return }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        where name.hasPrefix("ckpt-") && !kept.contains(String(name.prefix(17))) && String(name.prefix(17)) < newest {
            try? FileManager.default.removeItem(atPath: dir + "/" + name)
        }
    }

    /// What a valid checkpoint holds.
    public struct Checkpoint {
        public var path: String
        public var clock: SimTime
        public var tick: Int64
        public var segments: Int
        public var snapshots: Int
        public var steps: Int
        public var state: [String: [NamedArray]]
        /// Distributed domains: every rank's part, in rank order (the first is rank 0's, also in `state`).
        public var parts: [String: [[NamedArray]]] = [:]
    }

    /// The newest checkpoint in `workDir` that is readable, complete and made by this job. Corrupt ones are
    /// skipped (reported through `warn`); a checkpoint of another job is refused.
    public static func newestCheckpoint(workDir: String, jobHash: String, warn: (String) -> Void) throws -> Checkpoint?
    {
        let dir = workDir + "/checkpoints"
        for name in checkpointFiles(in: dir).reversed() {
            let path = dir + "/" + name
            do {
                guard let ck = try checkpoint(at: path, jobHash: jobHash) else {
                    warn("skipping checkpoint '\(path)': incomplete or not a CityTwin checkpoint")
                    continue
                }
                return ck
            } catch let e as RunError {
                throw e
            } catch {
                warn("skipping unreadable checkpoint '\(path)': \(error)")
            }
        }
        return nil
    }

    /// The checkpoint at `path` (nil: incomplete or not a checkpoint; a RunError: another job's; other errors:
    /// unreadable). The other ranks of a distributed run read the one rank 0 chose.
    public static func checkpoint(at path: String, jobHash: String) throws -> Checkpoint? {
        let f = try H5File.open(path)
        let root = try f.root
        guard try root.stringAttribute("format") == "citytwin-checkpoint", try root.intAttribute("complete") == 1
        else { return nil }
        let hash = try root.stringAttribute("job_hash") ?? ""
        if hash != jobHash {
            throw RunError(
                "checkpoint '\(path)' was written by a different job (job hash \(hash.prefix(12))"
                    + ", this job \(jobHash.prefix(12)))",
                hint:
                    "resume with the unchanged job file (only --workers may differ)"
                    + ", or run without --resume and with --overwrite to start afresh"
            )
        }
        var state: [String: [NamedArray]] = [:]
        var partGroups: [String] = []
        for g in try root.memberNames() where try root.isGroup(g) {
            let grp = try root.group(g)
            state[g] = try readGroup(grp)
            if try grp.intAttribute("part") == 1 { partGroups.append(g) }
        }
        let clock = try root.intAttribute("clock_ms") ?? 0
        var ck = Checkpoint(
            path: path, clock: SimTime(milliseconds: clock),
            tick: try root.intAttribute("tick") ?? 0, segments: Int(try root.intAttribute("segments") ?? 0),
            snapshots: Int(try root.intAttribute("snapshots") ?? 0),
            steps: Int(try root.intAttribute("steps") ?? 0),
            state: state)
        let ranks = Int(try root.intAttribute("ranks") ?? 1)
        guard ranks > 1, !partGroups.isEmpty else { return ck }
        for g in partGroups { ck.parts[g] = [state[g] ?? []] }
        for r in 1..<ranks {
            // HDF5 would read a missing part as nothing at all: a checkpoint with a part missing is not one
            let pp = partPath(path, rank: r)
            guard InputFile.isRegularFile(pp) else { throw CheckpointPartMissing(path: pp, rank: r) }
            let pf = try H5File.open(pp)
            let pr = try pf.root
            guard try pr.stringAttribute("format") == "citytwin-checkpoint-part", try pr.intAttribute("complete") == 1,
                try pr.stringAttribute("job_hash") == jobHash, try pr.intAttribute("clock_ms") == clock
            else { throw CheckpointPartMissing(path: pp, rank: r) }
            for g in partGroups { ck.parts[g]?.append(try readGroup(try pr.group(g))) }
        }
        return ck
    }

    /// A part of a distributed checkpoint is missing or not this checkpoint's (the checkpoint is skipped).
    struct CheckpointPartMissing: Error, CustomStringConvertible {
        let path: String
        let rank: Int
        var description: String { "rank \(rank)'s part '\(path)' is missing or incomplete" }
    }

    static func readGroup(_ grp: H5Group) throws -> [NamedArray] {
        var arrays: [NamedArray] = []
        for ds in try grp.memberNames() {
            let d = try grp.dataset(ds)
            arrays.append(NamedArray(ds, shape: try d.shape, try d.read()))
        }
        return arrays
    }

    /// The job hash a finished result file was written for (nil if it is not a readable CityTwin result).
    /// The FNV-1a (64-bit) digest of a list of ids (each id's UTF-8 bytes and a 0 byte): stored beside an id
    /// dataset, so a reader that only needs to know whether two results list the same ids in the same order
    /// (`compare`) need not read them.
    public static func digest(_ ids: [String]) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for id in ids {
            for b in id.utf8 {
                h ^= UInt64(b)
                h = h &* 0x0000_0100_0000_01B3
            }
            h = h &* 0x0000_0100_0000_01B3
        }
        return "fnv1a64:" + String(h, radix: 16)
    }

    public static func resultHash(_ path: String) -> String? {
        guard let f = try? H5File.open(path), let root = try? f.root else { return nil }
        return (try? root.stringAttribute("job_hash")) ?? nil
    }

    /// Continues after `checkpoint`: segments written after it are discarded.
    public func adopt(_ checkpoint: Checkpoint) throws {
        let fm = FileManager.default
        for n in stride(from: 1, through: checkpoint.segments, by: 1) {
            let p = segmentsDir + "/" + Self.segmentName(n)
            guard fm.fileExists(atPath: p) else {
                throw RunError(
                    "results segment '\(p)' of checkpoint '\(checkpoint.path)' is missing",
                    hint: "the run folder was changed by hand; start the run afresh with --overwrite")
            }
        }
        for name in (try? fm.contentsOfDirectory(atPath: segmentsDir)) ?? [] {
            let num = Int(name.dropFirst(4).prefix(6)) ?? Int.max
            if num > checkpoint.segments || name.hasSuffix(".tmp") || name.hasPrefix(".") {
                try? fm.removeItem(atPath: segmentsDir + "/" + name)
            }
        }
        segmentCount = checkpoint.segments
        snapshotTotal = checkpoint.snapshots
        stepTotal = checkpoint.steps
    }

    // MARK: final result

    /// Joins all segments into the result file, atomically, then removes the work folder. Without `overwrite`, an
    /// existing result is never replaced (the check and the move are one step: a hard link).
    public func finish(_ sim: Simulation, overwrite: Bool, beforeCommit: () throws -> Void = {}) throws {
        try flushSegment()
        if SafeFile.exists(resultPath) && !overwrite {
            throw RunError(
                "result '\(resultPath)' already exists",
                hint: "pass --overwrite to replace it, or --output DIR to write elsewhere")
        }
        let tmp = SafeFile.temporaryPath(for: resultPath)
        do {
            try assemble(into: tmp, sim: sim)
        } catch {
            unlink(tmp)
            throw RunError(
                "cannot write result '\(resultPath)': \(error)",
                hint:
                    "is the disk full or the folder read-only? The run folder '\(workDir)' is kept; rerun with --resume"
            )
        }
        do {
            try beforeCommit()
            try SafeFile.commit(tmp, to: resultPath, overwrite: overwrite)
        } catch {
            unlink(tmp)
            throw error
        }
        if keepStates { return try keepStatesFolder(overwrite: overwrite) }
        try? FileManager.default.removeItem(atPath: workDir)
    }

    func assemble(into path: String, sim: Simulation) throws {
        let f = try H5File.create(path, overwrite: false)
        let root = try f.root
        let m = metadata
        try root.setAttribute("title", "CityTwin results: \(m.jobName)")
        try root.setAttribute("Conventions", "CF-1.8")
        try root.setAttribute("job_name", m.jobName)
        try root.setAttribute("job_yaml", m.jobYAML)
        try root.setAttribute("job_hash", m.jobHash)
        try root.setAttribute("seed", Int64(bitPattern: m.seed))
        try root.setAttribute("engine_version", m.engineVersion)
        try root.setAttribute("git_commit", m.gitCommit)
        try root.setAttribute("workers", Int64(m.workers))
        try root.setAttribute("ranks", Int64(m.ranks))
        try root.setAttribute("partitions", Int64(m.partitions))
        try root.setAttribute("start_time", m.startISO)
        try root.setAttribute("created", ISO8601DateFormatter().string(from: Date()))
        if let w = m.wallSeconds { try root.setAttribute("wall_time_s", w) }
        if let o = m.forkedFrom {
            try root.setAttribute("forked_from", o.path)
            try root.setAttribute("forked_from_job_hash", o.jobHash)
            try root.setAttribute("fork_time_s", Double(o.clock.milliseconds) / 1000)
        }
        if keepStates { try root.setAttribute("states", (statesPath as NSString).lastPathComponent) }
        let srs = m.epsg > 0 ? try SpatialReference(epsg: m.epsg) : nil

        // gather segment times
        var snapTimes: [Int64] = []
        var diagTimes: [Int64] = []
        var segs: [H5File] = []
        for n in 0..<segmentCount {
            let s = try H5File.open(segmentsDir + "/" + Self.segmentName(n + 1))
            let r = try s.root
            if case .int64(let t) = try r.dataset("snap_time").read() { snapTimes += t }
            if case .int64(let t) = try r.dataset("diag_time").read() { diagTimes += t }
            segs.append(s)
        }
        for (k, schema) in schemas.enumerated() {
            let g = try root.createGroup(schema.group)
            for (key, value) in schema.attributes.sorted(by: { $0.key < $1.key }) { try g.setAttribute(key, value) }
            var scales: [String: H5Dataset] = [:]
            for c in schema.coordinates {
                let d = try g.write(c.name, .float64(c.values))
                try d.makeScale(c.name)
                try d.setAttribute("units", c.units)
                try d.setAttribute("long_name", c.longName)
                for (a, v) in c.attributes.sorted(by: { $0.key < $1.key }) { try d.setAttribute(a, v) }
                scales[c.name] = d
                if let labels = c.labels {
                    let ld = try g.writeStrings(c.name + "_id", labels)
                    try ld.setAttribute("digest", Self.digest(labels))
                    try ld.setAttribute("long_name", "id of each \(c.name)")
                    try ld.attach(scale: d, dim: 0)
                }
            }
            let time = try g.createDataset(
                "time", type: .float64, shape: [snapTimes.count], maxShape: [nil], chunk: [1024])
            try time.write(.float64(snapTimes.map { Double($0) / 1000 }))
            try time.makeScale("time")
            try time.setAttribute("units", "seconds since \(m.startISO)")
            try time.setAttribute("long_name", "output time")
            try time.setAttribute("calendar", "proleptic_gregorian")
            scales["time"] = time
            let step = try g.createDataset(
                "step", type: .float64, shape: [diagTimes.count], maxShape: [nil], chunk: [4096])
            try step.write(.float64(diagTimes.map { Double($0) / 1000 }))
            try step.makeScale("step")
            try step.setAttribute("units", "s")
            try step.setAttribute("long_name", "simulated time at the end of each solver step, since start")
            scales["step"] = step

            let raster = scales["x"] != nil && scales["y"] != nil
            let mapped = srs != nil && (raster || !schema.geometries.isEmpty)
            if let srs, mapped {
                let gt =
                    raster
                    ? GeoReference.geoTransform(
                        x: schema.coordinates.first { $0.name == "x" }!.values,
                        y: schema.coordinates.first { $0.name == "y" }!.values) : nil
                try GeoReference.writeGridMapping(in: g, srs: srs, geoTransform: gt)
            }
            let coordinateNames = Set(schema.geometries.flatMap { [$0.x, $0.y] + ($0.nodeCount.map { [$0] } ?? []) })
            func decorate(_ d: H5Dataset, _ v: Variable, dims: [String]) throws {
                try d.setAttribute("units", v.units)
                try d.setAttribute("long_name", v.longName)
                // dimension names in order (the dimension scales say the same through references)
                try d.setAttribute("dimensions", dims.joined(separator: " "))
                if let fv = v.fillValue { try d.setAttribute("_FillValue", [fv]) }
                let geometry = schema.geometries.first { dims.contains($0.dimension) }
                if mapped, raster && dims.contains("x") || geometry != nil && !coordinateNames.contains(v.name) {
                    try d.setAttribute("grid_mapping", GeoReference.variable)
                    // xarray decodes `coordinates` by default (rioxarray then finds the CRS without options)
                    let points = geometry.map { $0.kind == .point ? "\($0.x) \($0.y) " : "" } ?? ""
                    try d.setAttribute("coordinates", points + GeoReference.variable)
                }
                if let geometry, !coordinateNames.contains(v.name) { try d.setAttribute("geometry", geometry.name) }
                for (i, dn) in dims.enumerated() { if let s = scales[dn] { try d.attach(scale: s, dim: i) } }
            }
            // snapshots: (time, ...)
            for variable in schema.snapshots {
                let shp = schema.shape(of: variable)
                let d = try g.createDataset(
                    variable.name, type: .float32, shape: [snapTimes.count] + shp,
                    maxShape: [nil] + shp.map { Optional($0) }, chunk: [1] + shp, compress: true)
                // One chunk per snapshot, compressed on the workers, stored by this (the writer) thread.
                var row = 0
                let per = shp.reduce(1, *)
                for s in segs {
                    let sd = try s.root.group(schema.group).dataset("snap_" + variable.name)
                    let n = try sd.shape[0]
                    if n == 0 { continue }
                    let values = try sd.read().floats
                    let chunks = compressor.map(n) { t in
                        Result {
                            try values.withUnsafeBytes { all in
                                try ChunkCodec.shuffleDeflate(
                                    UnsafeRawBufferPointer(rebasing: all[(t * per * 4)..<((t + 1) * per * 4)]),
                                    elementSize: 4)
                            }
                        }
                    }
                    for (t, c) in chunks.enumerated() {
                        try d.writeChunk(try c.get(), offset: [row + t] + shp.map { _ in 0 }, count: [1] + shp)
                    }
                    row += n
                }
                try decorate(d, variable, dims: ["time"] + variable.dims)
            }
            // diagnostics: (step)
            var columns = [[Double]](repeating: [], count: schema.diagnostics.count)
            for s in segs {
                let sd = try s.root.group(schema.group).dataset("diag")
                let flat = try sd.read().doubles
                let w = schema.diagnostics.count
                for r in 0..<(flat.count / max(w, 1)) { for c in 0..<w { columns[c].append(flat[r * w + c]) } }
            }
            for (c, variable) in schema.diagnostics.enumerated() {
                let d = try g.createDataset(
                    variable.name, type: .float64, shape: [diagTimes.count], maxShape: [nil], chunk: [4096],
                    compress: true)
                try d.write(.float64(columns[c]))
                try decorate(d, variable, dims: variable.dims)
            }
            // finals
            let dom = sim.domains[k]
            for (variable, data) in zip(schema.finals, dom.finals()) {
                let shp = schema.shape(of: variable)
                let d = try g.createDataset(
                    variable.name, type: ElementType(data), shape: shp, chunk: shp, compress: true,
                    fillValue: variable.fillValue)
                try d.write(data)
                try decorate(d, variable, dims: variable.dims)
            }
            for geometry in schema.geometries {
                try GeoReference.writeGeometry(in: g, geometry, gridMapped: mapped)
            }
            // the domain's side tables (also written beside the result) travel with it
            for name in dom.sideFiles { try g.setAttribute("table_" + name, dom.sideFile(name)) }
            for kpi in dom.kpis() {
                try g.setAttribute("kpi_" + kpi.name, kpi.value)
                try g.setAttribute("kpi_" + kpi.name + "_units", kpi.units)
            }
        }
        try f.flush()
    }
}

func pad(_ n: Int, _ w: Int) -> String {
    let s = String(n)
    return String(repeating: "0", count: max(0, w - s.count)) + s
}

extension ArrayData {
    var floats: [Float] {
        switch self {
        case .float32(let a): a
        default: doubles.map { Float($0) }
        }
    }
}
