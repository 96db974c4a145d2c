import Foundation
import SimCore
import SimIO
import Testing

@Suite(.serialized) struct RunTests {
    static let datasets = [
        "depth", "max_depth", "max_speed", "arrival_time", "dt", "volume", "outflow", "mass_error", "time", "step",
    ]

    func run(job: String, in dir: String, name: String, _ extra: [String] = []) throws -> String {
        let jobPath = dir + "/\(name).yaml"
        try job.write(toFile: jobPath, atomically: true, encoding: .utf8)
        let r = try citytwin(["run", jobPath, "--output", dir + "/out", "--quiet"] + extra)
        #expect(r.status == 0, "run failed: \(r.err)")
        return dir + "/out/\(name).h5"
    }

    /// Same job and seed: bit-identical result datasets for 1, 2, 3 and 8 workers and other partition counts.
    @Test func bitIdenticalAcrossWorkersAndPartitions() throws {
        let dir = tempDir("det")
        try writeModel(dir + "/model")
        var results: [String] = []
        for (k, opts) in [
            ["--workers", "1"], ["--workers", "2"], ["--workers", "3"], ["--workers", "8"],
            ["--workers", "2", "--partitions", "1"], ["--workers", "3", "--partitions", "29"],
        ].enumerated() {
            results.append(try run(job: jobText(name: "det\(k)", model: "model"), in: dir, name: "det\(k)", opts))
        }
        for name in Self.datasets {
            let ref = try readDataset(results[0], "flood", name)
            for r in results.dropFirst() {
                #expect(sameBits(try readDataset(r, "flood", name), ref), "\(name) differs in \(r)")
            }
        }
        // single precision too
        let a = try run(
            job: jobText(name: "s1", model: "model", precision: "single"), in: dir, name: "s1", ["--workers", "1"])
        let b = try run(
            job: jobText(name: "s2", model: "model", precision: "single"), in: dir, name: "s2",
            ["--workers", "8", "--partitions", "7"])
        #expect(try readDataset(a, "flood", "depth") == readDataset(b, "flood", "depth"))
        let md = try readDataset(results[0], "flood", "max_depth").doubles
        #expect(md.contains { $0 > 0.1 }, "the case floods something")
    }

    /// A real SIGKILL of a running citytwin, at a moment after a checkpoint, then --resume with another worker
    /// count: the result datasets equal an uninterrupted run's, bit for bit.
    @Test func killAndResumeIsBitIdentical() throws {
        let dir = tempDir("kill")
        try writeModel(dir + "/model", nx: 160, ny: 120)
        let text = jobText(name: "kr", model: "model", duration: "2h", checkpoint: "10min")
        let reference = try run(
            job: text.replacingOccurrences(of: "name: kr", with: "name: ref"), in: dir, name: "ref", ["--workers", "2"])
        let jobPath = dir + "/kr.yaml"
        try text.write(toFile: jobPath, atomically: true, encoding: .utf8)
        let killed = try runAndKill(job: jobPath, output: dir + "/out", name: "kr")
        #expect(killed, "the run finished before it could be killed; make the case longer")
        let r = try citytwin(["run", jobPath, "--output", dir + "/out", "--quiet", "--workers", "3", "--resume"])
        #expect(r.status == 0, "resume failed: \(r.err)")
        let resumed = dir + "/out/kr.h5"
        for name in Self.datasets {
            #expect(
                sameBits(try readDataset(resumed, "flood", name), try readDataset(reference, "flood", name)),
                "\(name) differs after kill + resume")
        }
    }

    /// Analysts open the result with h5py and xarray (h5netcdf engine) without our code.
    @Test func resultReadsInH5pyAndXarray() throws {
        let dir = tempDir("h5py")
        try writeModel(dir + "/model")
        let path = try run(job: jobText(name: "py", model: "model"), in: dir, name: "py")
        let ours = try readDataset(path, "flood", "max_depth").doubles.reduce(0, +)
        let script = """
            import h5py, xarray as xr, numpy as np, sys
            f = h5py.File(sys.argv[1], "r")
            assert f.attrs["job_name"] == "py", f.attrs["job_name"]
            assert f["flood/depth"].attrs["units"] == "m"
            ds = xr.open_dataset(sys.argv[1], group="flood", engine="h5netcdf")
            assert ds["depth"].dims == ("time", "y", "x"), ds["depth"].dims
            assert ds.sizes["time"] == 9, ds.sizes
            assert np.issubdtype(ds["time"].dtype, np.datetime64)
            assert str(ds["time"].values[0]).startswith("2026-01-01T00:00")
            print(repr(float(np.asarray(f["flood/max_depth"], dtype=np.float64).sum())), float(ds["max_depth"].sum()))
            """
        let py = try runPython(script, [path])
        let out = py.out
        #expect(py.status == 0, "python: \(py.err)")
        let v = out.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(v.count == 2 && v[0] == ours)
        let ins = try citytwin(["inspect", path])
        #expect(
            ins.status == 0 && ins.out.contains("flooded_area") && ins.out.contains("depth")
                && ins.out.contains("[9 x 30 x 40]"))
    }

    /// A failed or refused run never replaces an earlier result; bad output folders give clear errors.
    @Test func earlierResultsAreNeverLost() throws {
        let dir = tempDir("keep")
        try writeModel(dir + "/model")
        let path = try run(job: jobText(name: "keep", model: "model", duration: "10min"), in: dir, name: "keep")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        // again without --overwrite: refused before simulating
        var r = try citytwin(["run", dir + "/keep.yaml", "--output", dir + "/out", "--quiet"])
        #expect(r.status == 1 && r.err.contains("already exists") && r.err.contains("--overwrite"))
        // a model that breaks: the old result stays
        try "ncols 2\nnrows 2\ncellsize 10\n1 2 3\n".write(
            toFile: dir + "/model/terrain.asc", atomically: true, encoding: .utf8)
        r = try citytwin(["run", dir + "/keep.yaml", "--output", dir + "/out", "--quiet", "--overwrite"])
        #expect(r.status == 64)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        // output folder that is a file / not writable
        try "x".write(toFile: dir + "/afile", atomically: true, encoding: .utf8)
        r = try citytwin(["run", dir + "/keep.yaml", "--output", dir + "/afile", "--quiet"])
        #expect(r.status == 1 && r.err.contains("is not a folder"))
        r = try citytwin(["run", dir + "/keep.yaml", "--output", "/proc/citytwin-results", "--quiet"])
        #expect(r.status == 1 && r.err.contains("cannot create results folder"))
        // resume with nothing to resume: a re-queued task starts from the beginning, and says so
        try writeModel(dir + "/model")
        r = try citytwin(["run", dir + "/keep.yaml", "--output", dir + "/empty", "--resume"])
        #expect(r.status == 0 && r.err.contains("no checkpoint to resume from: starting"), "\(r.err)")
        // and once complete, --resume again has nothing to do
        r = try citytwin(["run", dir + "/keep.yaml", "--output", dir + "/empty", "--resume"])
        #expect(r.status == 0 && r.err.contains("already complete"), "\(r.err)")
    }

    /// A checkpoint of a different job is refused with a clear message; a corrupt one is skipped.
    @Test func mismatchedAndCorruptCheckpoints() throws {
        let dir = tempDir("ck")
        try writeModel(dir + "/model", nx: 160, ny: 120)
        let jobPath = dir + "/ck.yaml"
        let job = jobText(name: "ck", model: "model", duration: "2h", checkpoint: "10min")
        try job.write(toFile: jobPath, atomically: true, encoding: .utf8)
        // a run folder with checkpoints: kill a run as soon as its first checkpoint exists
        let p = Process()
        p.executableURL = URL(fileURLWithPath: citytwinBinary)
        p.arguments = ["run", jobPath, "--output", dir + "/out", "--quiet", "--workers", "1"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let ckDir = dir + "/out/ck.work/checkpoints"
        while p.isRunning {
            if (((try? FileManager.default.contentsOfDirectory(atPath: ckDir)) ?? []).filter { $0.hasSuffix(".h5") }
                .count) >= 1
            {
                kill(p.processIdentifier, SIGKILL)
            }
            usleep(1000)
        }
        p.waitUntilExit()
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: ckDir)) ?? []).filter { $0.hasSuffix(".h5") }
            .sorted()
        #expect(!files.isEmpty, "the run finished before a checkpoint could be caught; make the case longer")
        // change the job: refused
        try job.replacingOccurrences(of: "[0min, 80]", with: "[0min, 81]").write(
            toFile: jobPath, atomically: true, encoding: .utf8)
        var r = try citytwin(["run", jobPath, "--output", dir + "/out", "--quiet", "--resume"])
        #expect(r.status == 1 && r.err.contains("different job"))
        // corrupt the newest checkpoint of the unchanged job: skipped with a warning, or refused if none is left
        try job.write(toFile: jobPath, atomically: true, encoding: .utf8)
        try Data("not hdf5".utf8).write(to: URL(fileURLWithPath: ckDir + "/ckpt-999999999999.h5"))
        r = try citytwin(["run", jobPath, "--output", dir + "/out", "--resume"])
        #expect(r.err.contains("skipping unreadable checkpoint"))
        #expect(r.status == 0, "\(r.err)")
    }
}
