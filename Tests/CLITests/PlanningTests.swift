import Foundation
import SimCore
import SimIO
import Testing

/// The planning days (`traffic.iterations`) under the engine's control: checkpointed, interruptible, resumed in
/// the day they were in, never planned again once the recorded day has started.
@Suite struct PlanningTests {
    /// A corridor with a bottleneck and a wide detour; 6,000 vehicles on the bottleneck route over 3 h.
    static func writeCorridor(_ dir: String) throws {
        let m = dir + "/m"
        for sub in ["network", "population"] {
            try FileManager.default.createDirectory(atPath: m + "/" + sub, withIntermediateDirectories: true)
        }
        try "schema: 1\nname: corridor\ntraffic:\n  nodes: network/nodes.csv\n  links: network/links.csv\n"
            .appending("  vehicles: population/vehicles.csv\n")
            .write(toFile: m + "/model.yaml", atomically: true, encoding: .utf8)
        try "id,x,y,zone\nO,0,0,0\nA,500,0,0\nB,1500,0,0\nC,1000,800,0\nD,2000,0,0\n".write(
            toFile: m + "/network/nodes.csv", atomically: true, encoding: .utf8)
        try
            ("id,from,to,length_m,lanes,free_speed_mps,capacity_vph,free_flow_time_s,bpr_alpha,bpr_beta,fixed_cost_s\n"
            + "in,O,A,500,2,15,4000,33.3,0.15,4,0\nshort,A,B,1000,1,15,600,66.7,0.15,4,0\n"
            + "up,A,C,950,2,15,3600,63.3,0.15,4,0\ndown,C,B,950,2,15,3600,63.3,0.15,4,0\n"
            + "out,B,D,500,2,15,4000,33.3,0.15,4,0\n").write(
                toFile: m + "/network/links.csv", atomically: true, encoding: .utf8)
        var v = "id,depart_s,route\n"
        for k in 0..<6000 { v += "v\(k),\(Double(k) * 1.8),in short out\n" }
        try v.write(toFile: m + "/population/vehicles.csv", atomically: true, encoding: .utf8)
    }

    static func job(_ name: String) -> String {
        """
        schema: 1
        name: \(name)
        model: m
        start: 2026-01-01T00:00:00Z
        duration: 4h
        output_interval: 30min
        checkpoint: {interval: 20min, keep: 2}
        seed: 5
        traffic:
          iterations: 12
          reroute_share: 0.3

        """
    }

    static let datasets = [
        "entries", "exits", "mean_travel_time", "arrival", "start", "iteration_relative_gap",
        "iteration_mean_travel_time",
    ]

    /// Waits until a planning checkpoint of at least `days` finished days exists, then sends `signal`.
    static func interrupt(_ p: Process, workDir: String, days: Int, signal: Int32) -> Bool {
        let dir = workDir + "/planning"
        let t0 = Date()
        while p.isRunning && Date().timeIntervalSince(t0) < 120 {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            if files.contains(where: { f in f.hasPrefix("plan-") && Int(f.dropFirst(5).prefix(3)) ?? 0 >= days }) {
                break
            }
            usleep(500)
        }
        guard p.isRunning else { return false }
        kill(p.processIdentifier, signal)
        p.waitUntilExit()
        return true
    }

    static func start(_ job: String, output: String, workers: Int) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: citytwinBinary)
        p.arguments = ["run", job, "--output", output, "--quiet", "--workers", "\(workers)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// SIGKILL inside a planning day and SIGINT (exit 130, a checkpoint written) each resume to the bits of an
    /// uninterrupted run on another worker count; the resumed runs report where planning continued.
    @Test func planningDaysCheckpointAndResume() throws {
        let dir = tempDir("planning")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.writeCorridor(dir)
        for name in ["ref", "killed", "stopped"] {
            try Self.job(name).write(toFile: dir + "/\(name).yaml", atomically: true, encoding: .utf8)
        }
        let ref = try citytwin(["run", dir + "/ref.yaml", "--output", dir + "/out", "--quiet", "--workers", "2"])
        #expect(ref.status == 0, "\(ref.err)")
        // killed in the middle of the planning days
        let k = try Self.start(dir + "/killed.yaml", output: dir + "/out", workers: 2)
        #expect(Self.interrupt(k, workDir: dir + "/out/killed.work", days: 3, signal: SIGKILL), "finished too soon")
        #expect(k.terminationReason == .uncaughtSignal)
        let rk = try citytwin(["run", dir + "/killed.yaml", "--output", dir + "/out", "--workers", "1", "--resume"])
        #expect(rk.status == 0, "\(rk.err)")
        #expect(rk.err.contains("planning: ") && rk.err.contains("days done") || rk.err.contains("resuming day"))
        #expect(!rk.err.contains("iteration 1:"), "days before the checkpoint are not planned again: \(rk.err)")
        // SIGINT: the run stops at the next tick of the planning day, with a checkpoint
        let s = try Self.start(dir + "/stopped.yaml", output: dir + "/out", workers: 2)
        #expect(Self.interrupt(s, workDir: dir + "/out/stopped.work", days: 2, signal: SIGINT), "finished too soon")
        #expect(s.terminationStatus == 130, "exit \(s.terminationStatus)")
        let rs = try citytwin(["run", dir + "/stopped.yaml", "--output", dir + "/out", "--workers", "3", "--resume"])
        #expect(rs.status == 0 && rs.err.contains("planning: "), "\(rs.err)")
        for name in Self.datasets {
            let a = try readDataset(dir + "/out/ref.h5", "traffic", name)
            #expect(sameBits(try readDataset(dir + "/out/killed.h5", "traffic", name), a), "\(name) after SIGKILL")
            #expect(sameBits(try readDataset(dir + "/out/stopped.h5", "traffic", name), a), "\(name) after SIGINT")
        }
        #expect(try readDataset(dir + "/out/ref.h5", "traffic", "iteration_relative_gap").count == 11)
    }

    /// Once the recorded day has a checkpoint, a resume takes the final plans from the planning checkpoint: no
    /// planning day runs again.
    @Test func recordedDayResumeDoesNotPlanAgain() throws {
        let dir = tempDir("planning-rec")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.writeCorridor(dir)
        try Self.job("ref").write(toFile: dir + "/ref.yaml", atomically: true, encoding: .utf8)
        try Self.job("rec").write(toFile: dir + "/rec.yaml", atomically: true, encoding: .utf8)
        #expect(try citytwin(["run", dir + "/ref.yaml", "--output", dir + "/out", "--quiet"]).status == 0)
        let killed = try runAndKill(job: dir + "/rec.yaml", output: dir + "/out", name: "rec", checkpoints: 1)
        #expect(killed, "the run finished before it could be killed")
        let r = try citytwin(["run", dir + "/rec.yaml", "--output", dir + "/out", "--workers", "3", "--resume"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.err.contains("planning: 11 of 11 days done") && !r.err.contains("iteration "), "\(r.err)")
        for name in Self.datasets {
            #expect(
                sameBits(
                    try readDataset(dir + "/out/rec.h5", "traffic", name),
                    try readDataset(dir + "/out/ref.h5", "traffic", name)),
                "\(name)")
        }
    }
}
