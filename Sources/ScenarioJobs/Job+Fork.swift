import Foundation
import SimCore
import SimIO
import Yams

/// A saved state a job starts from (`citytwin fork`, a study's `from:`): a complete checkpoint of another run
/// (kept with `--keep-checkpoints` or `checkpoint: {keep: all}`), the result segments before it, and what that run
/// was built with.
public struct ForkPoint: Sendable, Equatable {
    /// The checkpoint file (its rank parts, if any, beside it).
    public var checkpoint: String
    /// The folder of the result segments the state refers to.
    public var segmentsDir: String
    public var clock: SimTime
    /// The job hash and name of the run that saved it.
    public var stateHash: String
    public var stateJob: String
    /// `Job.forkInvariants` of that run, one `key=value` a line.
    public var invariants: String

    /// The saved state in `source` — a checkpoint file, or a states or run folder (`<name>.states`,
    /// `<name>.work`) — at `time` (a duration since the start such as `7h`, or an ISO 8601 instant): the first
    /// kept state at or after it. A file is taken as it is (`time`, if given, must be its time).
    public static func locate(_ given: String, at time: String?) throws -> ForkPoint {
        // absolute, so the fork's result says where it came from wherever it is read
        let source =
            ((given.hasPrefix("/") ? given : FileManager.default.currentDirectoryPath + "/" + given)
            as NSString).standardizingPath
        let folder = InputFile.isDirectory(source)
        guard folder || InputFile.isRegularFile(source) else {
            throw RunError(
                "no saved state at '\(source)'",
                hint: "give a states folder (<output>/<name>.states, kept by citytwin run --keep-checkpoints) or a "
                    + "checkpoint file in it")
        }
        var states: [RunStore.StateInfo] = []
        for path in folder ? RunStore.stateFiles(in: source) : [source] {
            do {
                if let s = try RunStore.stateInfo(at: path) { states.append(s) }
            } catch {
                if !folder { throw RunError("cannot read the saved state '\(path)': \(error)") }
            }
        }
        guard let first = states.first else {
            throw RunError(
                folder
                    ? "'\(source)' holds no complete saved state" : "'\(source)' is not a complete CityTwin checkpoint",
                hint: "run the job with --keep-checkpoints (or checkpoint: {interval: …, keep: all}) to keep its states"
            )
        }
        var chosen = first
        if let time {
            let start = invariant(first.forkInvariants, "start") ?? ""
            guard let ms = Self.milliseconds(time, start: start) else {
                throw RunError(
                    "'\(time)' is not a time",
                    hint: "give a duration since the run's start (7h, 25200s) or an ISO 8601 instant")
            }
            let times = states.map { $0.clock.description }.joined(separator: ", ")
            guard let s = states.first(where: { $0.clock.milliseconds >= ms }) else {
                throw RunError(
                    "no saved state at or after \(SimTime(milliseconds: ms)) in '\(source)'",
                    hint: "its states are at \(times)")
            }
            if !folder && s.clock.milliseconds != ms {
                throw RunError(
                    "'\(source)' holds the state at \(s.clock), not at \(SimTime(milliseconds: ms))",
                    hint: "give its folder to choose a state by time")
            }
            chosen = s
        } else if folder && states.count > 1 {
            let times = states.map { $0.clock.description }.joined(separator: ", ")
            throw RunError(
                "'\(source)' holds \(states.count) saved states: say which with --from TIME",
                hint: "its states are at \(times)")
        }
        return ForkPoint(
            checkpoint: chosen.path, segmentsDir: chosen.segmentsDir, clock: chosen.clock, stateHash: chosen.jobHash,
            stateJob: chosen.jobName, invariants: chosen.forkInvariants)
    }

    /// Milliseconds since `start` of a duration (`7h`) or an ISO 8601 instant (nil: neither, or before the start).
    public static func milliseconds(_ s: String, start: String) -> Int64? {
        if let d = SimDuration(parsing: s) { return d.milliseconds }
        guard let t = parseISO(s), let t0 = parseISO(start) else { return nil }
        let ms = (t.timeIntervalSince(t0) * 1000).rounded()
        return ms >= 0 ? Int64(ms) : nil
    }

    static func invariant(_ text: String, _ key: String) -> String? {
        for line in text.split(separator: "\n") where line.hasPrefix(key + "=") {
            return String(line.dropFirst(key.count + 1))
        }
        return nil
    }
}

extension Job {
    /// What a fork must share with the run whose state it starts from, as (key path, value): the state's layout
    /// (model, domains, couplings on, flood precision, the traffic tick, the vehicles and their planned routes, the
    /// energy agents and grid), the seed (random draws after the state continue its streams), the start and the
    /// output times (the result goes on from the state's segments). Everything else — forcing, parameters, outages,
    /// repair times, link capacities and speeds, closures — may differ and takes effect from the state on.
    /// Network changes are listed one each: the state's must begin the fork's.
    public var forkInvariants: [(key: String, value: String)] {
        var out: [(String, String)] = [
            ("model", Self.digest(modelDirectory + "/model.yaml")), ("start", startISO),
            ("output_interval", "\(outputInterval)"), ("seed", "\(seed)"),
            (
                "domains",
                [flood.map { _ in "flood" }, traffic.map { _ in "traffic" }, energy.map { _ in "energy" }]
                    .compactMap { $0 }.joined(separator: ",")
            ),
        ]
        let present = Set(
            ["flood", "traffic", "energy"].filter { d in
                d == "flood" ? flood != nil : d == "traffic" ? traffic != nil : energy != nil
            })
        for (name, ends) in [
            ("flood_energy", ["flood", "energy"]), ("flood_traffic", ["flood", "traffic"]),
            ("traffic_energy", ["traffic", "energy"]), ("energy_traffic", ["energy", "traffic"]),
        ] where ends.allSatisfy(present.contains) {
            out.append(("couplings.\(name)", couplings[name]?.enabled ?? true ? "on" : "off"))
        }
        if let f = flood {
            out.append(("flood.precision", f.precision.rawValue))
            out.append(("flood.advection", "\(f.advection)"))
        }
        if let t = traffic {
            out.append(("traffic.tick", "\(t.tick)"))
            out.append(("traffic.demand_scale", "\(t.demandScale)"))
            for z in t.demandZones { out.append(("traffic.demand_zones.\(z.name)", "\(z.scale)@\(z.polygon)")) }
            out.append(("traffic.departure_jitter", "\(t.departureJitter)"))
            out.append(("traffic.vehicles", t.vehicles.map(Self.digest) ?? "the model's"))
            out.append(("traffic.iterations", "\(t.iterations)"))
            out.append(("traffic.reroute_share", "\(t.rerouteShare)"))
        }
        if let e = energy {
            out.append(("energy.step", "\(e.step)"))
            out.append(("energy.ev_share", "\(e.evShare)"))
            out.append(("energy.pv_share", "\(e.pvShare)"))
            out.append(("energy.heat_pump_share", "\(e.heatPumpShare)"))
            out.append(
                ("energy.reinforce", e.reinforce.map { "\($0.asset)+\($0.transformers)" }.joined(separator: ",")))
            out.append(("energy.add_cables", e.addCables.map { "\($0.from)~\($0.to)" }.joined(separator: ",")))
        }
        for c in networkChanges { out.append(("network_change", Self.identity(c))) }
        return out
    }

    /// `forkInvariants` as text, one `key=value` a line (written into every checkpoint).
    public var forkInvariantText: String { forkInvariants.map { "\($0.key)=\($0.value)" }.joined(separator: "\n") }

    /// This job, started from the saved state `point`: checked against what the state's run was built with (every
    /// difference a located error), and the network changes it adds to the state's taking effect at the state's
    /// time (or later, where they say so).
    public func forked(from point: ForkPoint, locate: ((String) -> SourceLocation)? = nil) throws -> Job {
        var problems: [Diagnostic] = []
        func problem(_ key: String, _ code: Int, _ message: String, hint: String) {
            problems.append(
                Diagnostic(
                    locate?(key) ?? location(ofKey: key), code: "E-FORK-\(pad3(code))", keyPath: key,
                    message: message, hint: hint))
        }
        if point.invariants.isEmpty {
            throw RunError(
                "the saved state '\(point.checkpoint)' was written without what a fork needs to know of its run",
                hint: "run the job again with this CityTwin and --keep-checkpoints")
        }
        var theirs: [String: String] = [:]
        var theirChanges: [String] = []
        for line in point.invariants.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<eq])
            let value = String(line[line.index(after: eq)...])
            if key == "network_change" { theirChanges.append(value) } else { theirs[key] = value }
        }
        let mine = forkInvariants
        let hint = "a fork continues the saved run's state: change this from the start, in a run of its own"
        for (key, value) in mine where key != "network_change" && theirs[key] != value {
            if let t = theirs[key] {
                problem(key, 1, "is '\(value)' here but '\(t)' in the run that saved the state", hint: hint)
            } else {
                problem(key, 2, "is '\(value)' here but not part of the run that saved the state", hint: hint)
            }
        }
        for (key, t) in theirs.sorted(by: { $0.key < $1.key }) where !mine.contains(where: { $0.key == key }) {
            problem(key, 2, "is '\(t)' in the run that saved the state but not part of this job", hint: hint)
        }
        let changes = networkChanges.map(Self.identity)
        if changes.count < theirChanges.count || Array(changes.prefix(theirChanges.count)) != theirChanges {
            problem(
                "changes", 3,
                "the network changes of the run that saved the state (\(theirChanges.count)) must begin this job's",
                hint: "keep that run's changes, in order, and add the new ones after them")
        }
        for c in networkChanges.dropFirst(theirChanges.count) where c.kind == .addLink {
            problems.append(
                Diagnostic(
                    c.location, code: "E-FORK-004", keyPath: "changes.\(c.name)",
                    message: "add_link cannot take effect from a saved state",
                    hint: "a new road changes the network the state was saved on: run the alternative from the start"))
        }
        if duration.milliseconds <= point.clock.milliseconds {
            problem(
                "duration", 5, "the run ends at \(duration), not after the saved state (\(point.clock))",
                hint: "make the job run past the state's time")
        }
        if !problems.isEmpty { throw InputError(problems) }
        var job = self
        job.fork = point
        for k in theirChanges.count..<job.networkChanges.count {
            let at = job.networkChanges[k].at?.milliseconds ?? 0
            job.networkChanges[k].at = SimDuration(milliseconds: max(at, point.clock.milliseconds))
        }
        return job
    }

    /// Where a key path is written in the job's text (its nearest written parent; else the file).
    func location(ofKey path: String) -> SourceLocation {
        guard let root = try? Yams.compose(yaml: text) else { return SourceLocation(file: file) }
        return YNode(node: root, path: "", file: file).located(path).location
    }
}
