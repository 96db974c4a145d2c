import Foundation
import SimCore

/// A checkpoint of a run's planning days (the traffic equilibrium iterations before the recorded day):
/// `<work>/planning/plan-<days done>-<clock ms>.h5`, written through a temporary file and renamed, the newest two
/// kept. Between days it holds the plans the next day starts from; inside a day also the day's clock and state.
public struct PlanningCheckpoint: Sendable {
    /// Planning days completed.
    public var daysDone: Int
    /// Inside day `daysDone + 1`: its clock, tick and domain state; nil between days.
    public var day: (clock: SimTime, tick: Int64, state: [NamedArray])?
    /// The plans and the results of the days done, as named arrays.
    public var arrays: [NamedArray]
    public var path = ""
    public init(daysDone: Int, day: (clock: SimTime, tick: Int64, state: [NamedArray])?, arrays: [NamedArray]) {
        self.daysDone = daysDone
        self.day = day
        self.arrays = arrays
    }
}

extension RunStore {
    static let planningFormat = "citytwin-planning"

    /// Creates the run folder with its marker (the run store and the planning days both write into it).
    public static func makeRunFolder(_ workDir: String, jobName: String, jobHash: String) throws {
        do { try FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true) } catch {
            throw RunError(
                "cannot create the run folder '\(workDir)': \(error.localizedDescription)",
                hint: "check that the output folder exists and is writable, or pass --output DIR")
        }
        let marker = workDir + "/" + markerName
        if !SafeFile.exists(marker) {
            try SafeFile.write(
                marker, Array("{\"job_name\": \"\(jobName)\", \"job_hash\": \"\(jobHash)\"}\n".utf8), overwrite: false)
        }
    }

    /// Writes a planning checkpoint; returns its path.
    @discardableResult
    public static func writePlanning(_ p: PlanningCheckpoint, workDir: String, jobHash: String) throws -> String {
        let dir = workDir + "/planning"
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw RunError("cannot create '\(dir)': \(error.localizedDescription)")
        }
        let clock = p.day?.clock.milliseconds ?? 0
        let name = String(format: "plan-%03d-%d%012lld.h5", p.daysDone, p.day == nil ? 0 : 1, clock)
        let path = dir + "/" + name
        let tmp = SafeFile.temporaryPath(for: path)
        do {
            let f = try H5File.create(tmp, overwrite: false)
            let root = try f.root
            try root.setAttribute("format", planningFormat)
            try root.setAttribute("job_hash", jobHash)
            try root.setAttribute("days_done", Int64(p.daysDone))
            try root.setAttribute("in_day", Int64(p.day == nil ? 0 : 1))
            try root.setAttribute("clock_ms", clock)
            try root.setAttribute("tick", p.day?.tick ?? 0)
            let plans = try root.createGroup("plans")
            for a in p.arrays { try plans.write(a.name, a.data, shape: a.shape) }
            if let day = p.day {
                let g = try root.createGroup("day")
                for a in day.state { try g.write(a.name, a.data, shape: a.shape) }
            }
            try root.setAttribute("complete", Int64(1))
            try f.flush()
        } catch {
            unlink(tmp)
            throw RunError(
                "cannot write planning checkpoint '\(path)': \(error)",
                hint: "is the disk full? Earlier checkpoints are kept; free space and rerun with --resume")
        }
        try SafeFile.commit(tmp, to: path, overwrite: true)
        let all = planningFiles(in: dir)
        for old in all.dropLast(2) { try? FileManager.default.removeItem(atPath: dir + "/" + old) }
        return path
    }

    static func planningFiles(in dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasPrefix("plan-") && $0.hasSuffix(".h5") }.sorted()
    }

    /// The newest readable, complete planning checkpoint of this job (nil: none); another job's is refused.
    public static func newestPlanning(
        workDir: String, jobHash: String, warn: (String) -> Void
    ) throws -> PlanningCheckpoint? {
        let dir = workDir + "/planning"
        for name in planningFiles(in: dir).reversed() {
            let path = dir + "/" + name
            do {
                let f = try H5File.open(path)
                let root = try f.root
                guard try root.stringAttribute("format") == planningFormat, try root.intAttribute("complete") == 1
                else {
                    warn("skipping planning checkpoint '\(path)': incomplete")
                    continue
                }
                let hash = try root.stringAttribute("job_hash") ?? ""
                guard hash == jobHash else {
                    throw RunError(
                        "planning checkpoint '\(path)' was written by a different job",
                        hint: "resume with the unchanged job file, or start afresh with --overwrite")
                }
                func arrays(_ g: String) throws -> [NamedArray] {
                    let grp = try root.group(g)
                    return try grp.memberNames().map {
                        NamedArray($0, shape: try grp.dataset($0).shape, try grp.dataset($0).read())
                    }
                }
                var p = PlanningCheckpoint(
                    daysDone: Int(try root.intAttribute("days_done") ?? 0), day: nil, arrays: try arrays("plans"))
                if try root.intAttribute("in_day") == 1 {
                    p.day = (
                        SimTime(milliseconds: try root.intAttribute("clock_ms") ?? 0),
                        try root.intAttribute("tick") ?? 0,
                        try arrays("day")
                    )
                }
                p.path = path
                return p
            } catch let e as RunError {
                throw e
            } catch {
                warn("skipping unreadable planning checkpoint '\(path)': \(error)")
            }
        }
        return nil
    }
}
