import Foundation
import SimCore
import SimEngine

/// Where a forked run's state came from (written as root attributes of its result).
public struct ForkOrigin: Sendable, Equatable {
    /// The checkpoint file of the saved state.
    public var path: String
    public var clock: SimTime
    /// The job hash of the run that saved it.
    public var jobHash: String
    public init(path: String, clock: SimTime, jobHash: String) {
        self.path = path
        self.clock = clock
        self.jobHash = jobHash
    }
}

/// Kept states: a run asked to keep them (`--keep-checkpoints`, `checkpoint: {keep: all}`) prunes no checkpoint
/// and, once its result is in place, renames its run folder to `<name>.states` (checkpoints, their rank parts and
/// the result segments they refer to). A fork starts from one of them: its own run folder gets hard links to the
/// segments before the state, so its result holds the whole run, the part before the state byte for byte the
/// original's.
extension RunStore {
    /// The kept states of the result at `resultPath`: `<name>.states` beside it.
    public static func statesPath(for resultPath: String) -> String {
        (resultPath.hasSuffix(".h5") ? String(resultPath.dropLast(3)) : resultPath) + ".states"
    }

    public var statesPath: String { Self.statesPath(for: resultPath) }

    /// Renames the run folder to the states folder (an earlier one, ours, replaced only with `overwrite`); the
    /// planning days' checkpoints are not states and are removed first.
    func keepStatesFolder(overwrite: Bool) throws {
        let fm = FileManager.default
        try? fm.removeItem(atPath: workDir + "/planning")
        if SafeFile.exists(statesPath) {
            guard overwrite, Self.isRunFolder(statesPath) else {
                throw RunError(
                    "the result is written, but '\(statesPath)' already exists: the states were left in '\(workDir)'",
                    hint: "move one of them away; forks can start from '\(workDir)' as it is")
            }
            try? fm.removeItem(atPath: statesPath)
        }
        guard rename(workDir, statesPath) == 0 else {
            throw RunError(
                "the result is written, but the states could not be moved to '\(statesPath)': "
                    + String(cString: strerror(errno)),
                hint: "forks can start from '\(workDir)' as it is")
        }
    }

    /// A saved state as a fork sees it before reading it: a complete checkpoint's identity.
    public struct StateInfo: Sendable {
        public var path: String
        public var clock: SimTime
        public var jobName: String
        public var jobHash: String
        public var forkInvariants: String
        /// The folder of the result segments it refers to.
        public var segmentsDir: String
    }

    /// The checkpoint files of a states folder, a run folder or their `checkpoints` folder, oldest first.
    public static func stateFiles(in folder: String) -> [String] {
        let dir = InputFile.isDirectory(folder + "/checkpoints") ? folder + "/checkpoints" : folder
        return checkpointFiles(in: dir).map { dir + "/" + $0 }
    }

    /// The identity of the checkpoint at `path` (nil: not a complete CityTwin checkpoint). Throws when it cannot
    /// be read at all.
    public static func stateInfo(at path: String) throws -> StateInfo? {
        let f = try H5File.open(path)
        let root = try f.root
        guard try root.stringAttribute("format") == "citytwin-checkpoint", try root.intAttribute("complete") == 1
        else { return nil }
        let dir = (path as NSString).deletingLastPathComponent
        return StateInfo(
            path: path, clock: SimTime(milliseconds: try root.intAttribute("clock_ms") ?? 0),
            jobName: try root.stringAttribute("job_name") ?? "", jobHash: try root.stringAttribute("job_hash") ?? "",
            forkInvariants: try root.stringAttribute("fork_invariants") ?? "",
            segmentsDir: (dir as NSString).deletingLastPathComponent + "/segments")
    }

    /// Starts this run's results from a saved state of another run: the segments before it are linked (copied
    /// where a link cannot be made) from `segmentsDir` into this run folder, then the run goes on as after a
    /// resume. The state's segments must hold what this run's domains write.
    public func adoptFork(_ state: Checkpoint, segmentsDir: String) throws {
        let fm = FileManager.default
        for n in stride(from: 1, through: state.segments, by: 1) {
            let from = segmentsDir + "/" + Self.segmentName(n)
            let to = segmentsDir == self.segmentsDir ? from : self.segmentsDir + "/" + Self.segmentName(n)
            guard InputFile.isRegularFile(from) else {
                throw RunError(
                    "the saved state '\(state.path)' refers to results segment '\(from)', which is missing",
                    hint: "fork from a states folder as the run left it (citytwin run --keep-checkpoints)")
            }
            if from == to { continue }
            try? fm.removeItem(atPath: to)
            if link(from, to) != 0 {
                do { try fm.copyItem(atPath: from, toPath: to) } catch {
                    throw RunError("cannot copy results segment '\(from)' to '\(to)': \(error.localizedDescription)")
                }
            }
        }
        if state.segments > 0 { try checkSegment(self.segmentsDir + "/" + Self.segmentName(1), of: state) }
        try adopt(state)
    }

    /// The state's results must have every variable this run writes, with the same shapes.
    func checkSegment(_ path: String, of state: Checkpoint) throws {
        let root = try H5File.open(path).root
        for schema in schemas {
            guard try root.memberNames().contains(schema.group), try root.isGroup(schema.group) else {
                throw RunError(
                    "the saved state '\(state.path)' has no \(schema.group) results",
                    hint: "a fork runs the domains of the run it starts from")
            }
            let g = try root.group(schema.group)
            let names = Set(try g.memberNames())
            for v in schema.snapshots {
                let per = schema.shape(of: v).reduce(1, *)
                guard names.contains("snap_" + v.name), try g.dataset("snap_" + v.name).shape.last == per else {
                    throw RunError(
                        "the saved state '\(state.path)' has no \(schema.group) output '\(v.name)' of \(per) values",
                        hint: "the fork's job writes other outputs than the run it starts from; fork with the same "
                            + "domains and couplings")
                }
            }
            guard try g.dataset("diag").shape.last == schema.diagnostics.count else {
                throw RunError(
                    "the saved state '\(state.path)' has other \(schema.group) diagnostics than the fork writes",
                    hint: "fork with the same domains and couplings")
            }
        }
    }
}
