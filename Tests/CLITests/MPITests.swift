import Foundation
import SimCore
import Testing

/// One scenario over several processes with Open MPI (`mpirun`, installed by scripts/test): the results are the
/// threaded run's bits for 2 and 3 ranks, a run stopped on 2 ranks resumes on 3, and an error on rank 0 ends every
/// rank with one clear message.
@Suite(.serialized) struct MPITests {
    static var mpiUp: Bool { (try? runTool("mpirun", ["--version"]).status) == 0 }

    /// `mpirun -np R citytwin ARGS` as CI runs it (as root, more ranks than cores).
    static func mpirun(_ ranks: Int, _ args: [String]) throws -> ProcResult {
        try runTool("mpirun", ["--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)", citytwinBinary] + args)
    }

    static func rankAttribute(_ path: String) throws -> String {
        try runPython("import sys, h5py; print(int(h5py.File(sys.argv[1], 'r').attrs['ranks']))", [path]).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The shipped storm (flood in row bands over the ranks) and traffic (vehicles crossing between the ranks'
    /// METIS partitions) jobs on 2 and 3 ranks.
    @Test func shippedJobsOverTwoAndThreeRanksEqualTheThreadedRun() throws {
        #expect(Self.mpiUp, "no mpirun on this machine: scripts/test installs openmpi-bin")
        guard Self.mpiUp else { return }
        let dir = tempDir("mpi-shipped")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (job, rankCounts) in [("monaco-storm", [2, 3]), ("monaco-traffic", [2])] {
            let path = SafetyTests.root + "/Jobs/\(job).yaml"
            let t = try citytwin(["run", path, "--output", dir + "/threads", "--quiet", "--workers", "2"])
            #expect(t.status == 0, "\(t.err)")
            for r in rankCounts {
                let m = try Self.mpirun(r, ["run", path, "--output", dir + "/ranks\(r)", "--quiet", "--workers", "1"])
                #expect(m.status == 0, "\(job) on \(r) ranks: \(m.err)")
                let out = dir + "/ranks\(r)/\(job).h5"
                let same = try SlurmTests.sameDatasets(dir + "/threads/\(job).h5", out)
                #expect(same.status == 0, "\(job) on \(r) ranks differs: \(same.err)")
                #expect(try Self.rankAttribute(out) == "\(r)")
                // only rank 0 reports
                #expect(m.out.components(separatedBy: "result: ").count == 2, "\(m.out)")
            }
        }
    }

    /// Flood, traffic and the grid coupled through the engine: the same bits on 1 process and on 2 and 3 ranks.
    @Test func coupledCityOverRanksEqualsTheThreadedRun() throws {
        guard Self.mpiUp else { return }
        let dir = tempDir("mpi-coupled")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CoupledCityTests.writeValleyCity(dir)
        try CoupledCityTests.job("city").write(toFile: dir + "/city.yaml", atomically: true, encoding: .utf8)
        let t = try citytwin(["run", dir + "/city.yaml", "--output", dir + "/threads", "--quiet", "--workers", "2"])
        #expect(t.status == 0, "\(t.err)")
        for r in [2, 3] {
            let m = try Self.mpirun(r, ["run", dir + "/city.yaml", "--output", dir + "/r\(r)", "--quiet"])
            #expect(m.status == 0, "\(m.err)")
            let same = try SlurmTests.sameDatasets(dir + "/threads/city.h5", dir + "/r\(r)/city.h5")
            #expect(same.status == 0, "coupled on \(r) ranks differs: \(same.err)")
            let events = ["threads", "r\(r)"].map { try? String(contentsOfFile: dir + "/\($0)/city-energy-events.csv") }
            #expect(events[0] != nil && events[0] == events[1], "energy events on \(r) ranks")
        }
    }

    /// Starts `job` on 2 ranks of which rank 1 alone is asked to stop at `until` (`--until`, as a node's scheduler
    /// might ask one process: MPMD, rank 0 without it); every rank stops after the same tick, exit 130.
    static func stopOneRankOfTwo(job path: String, output: String, until: String) throws {
        let run = [citytwinBinary, "run", path, "--output", output, "--quiet", "--workers", "1"]
        let r = try runTool(
            "mpirun",
            ["--allow-run-as-root", "--oversubscribe", "-np", "1"] + run + [":", "-np", "1"] + run
                + ["--until", until])
        #expect(r.status != 0, "the run stopped before its end")
        #expect(r.err.components(separatedBy: "interrupted: checkpoint written").count == 2, "rank 0 says it: \(r.err)")
    }

    /// A stop asked of one rank: every rank stops after the same tick and rank 0 writes a checkpoint; resumed on 3
    /// ranks, the result is the uninterrupted threaded run's — for the storm (flood bands) and for a SUMO grid's
    /// traffic (vehicles crossing between the ranks' METIS partitions, queues gathered into the checkpoint).
    @Test func stoppedOnTwoRanksResumesOnThree() throws {
        guard Self.mpiUp else { return }
        let dir = tempDir("mpi-resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let imp = try TrafficCLITests.writeG20(dir)
        #expect(imp.status == 0, "\(imp.err)")
        // checkpoints every 20 min: two before the stop at 50 min
        try TrafficCLITests.g20Job.replacingOccurrences(of: "interval: 30min", with: "interval: 20min").write(
            toFile: dir + "/g20.yaml", atomically: true, encoding: .utf8)
        let jobs = [
            (SafetyTests.root + "/Jobs/monaco-storm.yaml", "monaco-storm", "105min"),
            (dir + "/g20.yaml", "g20", "50min"),
        ]
        for (path, name, until) in jobs {
            let t = try citytwin(["run", path, "--output", dir + "/threads", "--quiet", "--workers", "2"])
            #expect(t.status == 0, "\(t.err)")
            try Self.stopOneRankOfTwo(job: path, output: dir + "/ranks", until: until)
            // every checkpoint is rank 0's file and rank 1's part beside it
            let ckDir = dir + "/ranks/\(name).work/checkpoints"
            let files = try FileManager.default.contentsOfDirectory(atPath: ckDir).filter { $0.hasSuffix(".h5") }
            let mains = files.filter { !$0.contains(".rank") }.sorted()
            #expect(!mains.isEmpty && mains.allSatisfy { files.contains($0.dropLast(3) + ".rank1.h5") }, "\(files)")
            if name == "monaco-storm" {
                #expect(mains.count > 1, "the storm keeps 3 checkpoints: \(mains)")
            }
            if name == "monaco-storm", mains.count > 1, let newest = mains.last {
                // a part gone: that checkpoint is not one (HDF5 would not say); the run resumes from the one before
                try FileManager.default.removeItem(atPath: ckDir + "/" + newest.dropLast(3) + ".rank1.h5")
            }
            let r = try Self.mpirun(3, ["run", path, "--output", dir + "/ranks", "--resume", "--workers", "1"])
            #expect(r.status == 0, "\(r.err)")
            #expect(r.out.contains("resumed from"), "\(name): \(r.out)")
            if name == "monaco-storm" && mains.count > 1 {
                #expect(r.err.contains("rank 1's part") && r.out.contains(mains[mains.count - 2]), "\(r.out)\n\(r.err)")
            }
            let same = try SlurmTests.sameDatasets(dir + "/threads/\(name).h5", dir + "/ranks/\(name).h5")
            #expect(same.status == 0, "\(name) resumed on 3 ranks differs: \(same.err)")
        }
    }

    /// An existing result: rank 0 refuses, every rank ends without an abort, the message is said once and the
    /// result is left as it was. A bad job file is reported once too.
    @Test func refusalOnRankZeroEndsEveryRankWithOneMessage() throws {
        guard Self.mpiUp else { return }
        let dir = tempDir("mpi-refuse")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeModel(dir + "/model")
        try jobText(name: "lake", model: "model", duration: "20min").write(
            toFile: dir + "/lake.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
        try "not a result".write(toFile: dir + "/out/lake.h5", atomically: true, encoding: .utf8)
        let r = try Self.mpirun(2, ["run", dir + "/lake.yaml", "--output", dir + "/out", "--quiet"])
        #expect(r.status != 0)
        #expect(r.err.components(separatedBy: "already exists").count == 2, "\(r.err)")
        #expect(!r.err.contains("MPI_ABORT"), "\(r.err)")
        #expect(try String(contentsOfFile: dir + "/out/lake.h5", encoding: .utf8) == "not a result")
        try jobText(name: "lake", model: "model", duration: "2min").write(
            toFile: dir + "/short.yaml", atomically: true, encoding: .utf8)
        let bad = try Self.mpirun(2, ["run", dir + "/short.yaml", "--output", dir + "/out2", "--quiet"])
        #expect(bad.status != 0)
        #expect(bad.err.components(separatedBy: "E-JOB-027").count == 2, "\(bad.err)")
    }

    /// The coupled valley city keeps its states over 2 ranks (rank parts beside each checkpoint); forks of the state
    /// at 30 min without changes, on one process and on 3 ranks, equal the run.
    @Test func statesKeptOverTwoRanksForkOnAnyRankCount() throws {
        guard Self.mpiUp else { return }
        let dir = tempDir("mpi-fork")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CoupledCityTests.writeValleyCity(dir)
        let job = CoupledCityTests.job("city")
        try job.write(toFile: dir + "/city.yaml", atomically: true, encoding: .utf8)
        try job.replacingOccurrences(of: "name: city", with: "name: same").write(
            toFile: dir + "/same.yaml", atomically: true, encoding: .utf8)
        let m = try Self.mpirun(2, ["run", dir + "/city.yaml", "-o", dir + "/day", "--quiet", "--keep-checkpoints"])
        #expect(m.status == 0, "\(m.err)")
        let states = dir + "/day/city.states"
        #expect(SafeFile.exists(states + "/checkpoints/ckpt-000001800000.rank1.h5"), "rank 1's part is kept")
        let fork = ["fork", states, "--from", "30min", "--job", dir + "/same.yaml", "--quiet"]
        let one = try citytwin(fork + ["-o", dir + "/one"])
        #expect(one.status == 0, "\(one.err)")
        let three = try Self.mpirun(3, fork + ["-o", dir + "/three", "--workers", "1"])
        #expect(three.status == 0, "\(three.err)")
        for out in ["one", "three"] {
            #expect(try ForkTests.differences(dir + "/day/city.h5", dir + "/\(out)/same.h5") == [], "\(out)")
        }
    }
}
