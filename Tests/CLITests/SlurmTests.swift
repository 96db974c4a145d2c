import Foundation
import SimCore
import SimIO
import Testing

/// Studies on a real single-node Slurm (slurm-wlm + munge, configured and started by scripts/test through
/// `ensure_slurm`): the array job's results and compare equal the local runner's bit for bit, and a task cancelled
/// mid-run and submitted again resumes from its checkpoint.
@Suite(.serialized) struct SlurmTests {
    static func slurmUp() -> Bool {
        guard let r = try? ExportTests.tool("sinfo", ["-h", "-o", "%t"]), r.status == 0 else { return false }
        return ["idle", "mix", "alloc"].contains { r.out.contains($0) }
    }

    /// Waits until Slurm no longer lists job `id` (finished, failed or cancelled), at most `seconds`.
    static func waitGone(_ id: String, seconds: Double = 300) throws -> Bool {
        let t0 = Date()
        while Date().timeIntervalSince(t0) < seconds {
            let q = try ExportTests.tool("squeue", ["-h", "-j", id, "-o", "%i"])
            if q.status != 0 || q.out.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return true }
            usleep(500_000)
        }
        return false
    }

    /// Every dataset of two HDF5 files equal bit for bit (h5py, NaN included), and the same dataset names.
    static func sameDatasets(_ a: String, _ b: String) throws -> ProcResult {
        try runPython(
            """
            import sys, h5py, numpy as np
            def walk(f):
                out = {}
                f.visititems(lambda n, o: out.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
                return out
            a, b = walk(h5py.File(sys.argv[1], "r")), walk(h5py.File(sys.argv[2], "r"))
            assert sorted(a) == sorted(b), set(a) ^ set(b)
            for k in a:
                x, y = np.asarray(a[k]), np.asarray(b[k])
                if x.dtype.kind in "fc":
                    assert x.shape == y.shape and x.tobytes() == y.tobytes(), k
                else:
                    assert np.array_equal(x, y), k
            print("ok", len(a))
            """, [a, b])
    }

    /// Four runs (two alternatives × two seeds) through `study slurm --submit`: every task done, the compare job
    /// has written compare.h5 and the report, and both equal what the local runner and compare give.
    @Test func studyOnSlurmEqualsTheLocalRunner() throws {
        #expect(Self.slurmUp(), "no Slurm on this machine: scripts/test starts one (ensure_slurm)")
        guard Self.slurmUp() else { return }
        let dir = tempDir("slurm-study")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try StudyTests.writeStudy(
            dir, alternatives: "  - name: base\n  - name: growth\n    set: {energy.demand_growth: 1.3}\n",
            duration: "40min")
        let study = dir + "/valley.study.yaml"
        let s = try citytwin(["study", "slurm", study, "-o", dir + "/slurm", "--max-parallel", "2", "--submit"])
        #expect(s.status == 0, "\(s.err)")
        let ids = s.out.split(separator: " ").map(String.init)
        guard let k = ids.firstIndex(of: "compare"), k + 2 < ids.count else {
            Issue.record("no job ids in: \(s.out)")
            return
        }
        let compareJob = ids[k + 2]
        #expect(try Self.waitGone(compareJob), "the compare job ends")
        let folder = dir + "/slurm/valley"
        let script = try String(contentsOfFile: folder + "/slurm/runs.sbatch", encoding: .utf8)
        #expect(script.contains("#SBATCH --array=0-3%2") && script.contains("--cpus-per-task=1"), "\(script)")
        #expect(script.contains("#SBATCH --mem=") && script.contains("study task"), "\(script)")
        let table = try citytwin(["study", "status", folder])
        #expect(table.out.contains("4 runs: 4 done"), "\(table.out)")
        #expect(SafeFile.exists(folder + "/report.html"), "the compare job wrote the report")
        // the same study on this node
        let local = try citytwin(["study", "run", study, "-o", dir + "/local", "--jobs", "2"])
        #expect(local.status == 0, "\(local.err)")
        let c = try citytwin(["compare", dir + "/local/valley"])
        #expect(c.status == 0, "\(c.err)")
        for run in ["base/seed-1", "growth/seed-2"] {
            let name = run.hasPrefix("base") ? "base" : "growth"
            let same = try Self.sameDatasets(
                "\(folder)/\(run)/\(name).h5", "\(dir)/local/valley/\(run)/\(name).h5")
            #expect(same.status == 0, "\(run): \(same.err)")
        }
        let same = try Self.sameDatasets(folder + "/compare.h5", dir + "/local/valley/compare.h5")
        #expect(same.status == 0, "compare.h5: \(same.err)")
        let a = try String(contentsOfFile: folder + "/compare.csv", encoding: .utf8)
        let b = try String(contentsOfFile: dir + "/local/valley/compare.csv", encoding: .utf8)
        #expect(a == b, "compare.csv")
    }

    /// A task cancelled (scancel: SIGTERM) after its run has written checkpoints keeps them; submitted again, it
    /// resumes (a second attempt, noted in status.json) and ends with the result of an uninterrupted run.
    @Test func cancelledTaskResumesFromItsCheckpoint() throws {
        guard Self.slurmUp() else {
            Issue.record("no Slurm on this machine: scripts/test starts one (ensure_slurm)")
            return
        }
        let dir = tempDir("slurm-cancel")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try StudyTests.writeStudy(dir, seeds: "[1]", alternatives: "  - name: base\n", duration: "12h")
        let study = dir + "/valley.study.yaml"
        let s = try citytwin(["study", "slurm", study, "-o", dir + "/slurm"])
        #expect(s.status == 0, "\(s.err)")
        let folder = dir + "/slurm/valley"
        let script = folder + "/slurm/runs.sbatch"
        let run = folder + "/base/seed-1"
        var cancelled = false
        for _ in 0..<3 where !cancelled {
            let id = try ExportTests.tool("sbatch", ["--parsable", script]).out
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!id.isEmpty)
            let t0 = Date()
            var checkpoints = 0
            while Date().timeIntervalSince(t0) < 120 {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: run + "/base.work/checkpoints")) ?? []
                checkpoints = names.filter { $0.hasSuffix(".h5") }.count
                if checkpoints >= 2 || SafeFile.exists(run + "/base.h5") { break }
                usleep(20_000)
            }
            if !SafeFile.exists(run + "/base.h5") {
                _ = try ExportTests.tool("scancel", [id])
                cancelled = true
            }
            #expect(try Self.waitGone(id))
        }
        #expect(cancelled, "the task was cancelled mid-run")
        let after = try String(contentsOfFile: run + "/status.json", encoding: .utf8)
        #expect(!SafeFile.exists(run + "/base.h5"), "no result from the cancelled task")
        #expect(after.contains("\"state\" : \"pending\"") && after.contains("interrupted"), "\(after)")
        let again = try ExportTests.tool("sbatch", ["--parsable", script]).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try Self.waitGone(again))
        let done = try String(contentsOfFile: run + "/status.json", encoding: .utf8)
        #expect(done.contains("\"state\" : \"done\"") && done.contains("resumed from its newest checkpoint"), "\(done)")
        #expect(done.contains("\"attempts\" : 2"), "\(done)")
        // an uninterrupted run of the same job: the same result, bit for bit
        let ref = try citytwin([
            "run", study, "--alternative", "base", "--seed", "1", "--output", dir + "/ref", "--quiet",
        ])
        #expect(ref.status == 0, "\(ref.err)")
        let same = try Self.sameDatasets(run + "/base.h5", dir + "/ref/base.h5")
        #expect(same.status == 0, "\(same.err)")
    }

    /// A calibration whose batches run as Slurm arrays (`calibrate --slurm`: sbatch --wait per batch) ends with the
    /// same history and best parameters as the same calibration on this node.
    @Test func calibrationOnSlurmEqualsTheLocalOne() throws {
        guard Self.slurmUp() else {
            Issue.record("no Slurm on this machine: scripts/test starts one (ensure_slurm)")
            return
        }
        let dir = tempDir("slurm-calibrate")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TwinTests.writeTruth(dir)
        try TwinTests.calibration("nm", method: "nelder_mead", runs: 6).write(
            toFile: dir + "/nm.calibration.yaml", atomically: true, encoding: .utf8)
        let local = try citytwin(["calibrate", dir + "/nm.calibration.yaml", "-o", dir + "/local"])
        #expect(local.status == 0, "\(local.err)")
        let slurm = try citytwin(["calibrate", dir + "/nm.calibration.yaml", "-o", dir + "/slurm", "--slurm"])
        #expect(slurm.status == 0, "\(slurm.out)\n\(slurm.err)")
        #expect(slurm.out.contains("as a Slurm array (sbatch --wait"), "\(slurm.out)")
        #expect(SafeFile.exists(dir + "/slurm/nm/batches/b0001/slurm/runs.sbatch"))
        for file in ["calibration.csv", "best.yaml"] {
            let a = try String(contentsOfFile: dir + "/local/nm/" + file, encoding: .utf8)
            let b = try String(contentsOfFile: dir + "/slurm/nm/" + file, encoding: .utf8)
            #expect(a == b, "\(file) differs on Slurm")
        }
    }
}
