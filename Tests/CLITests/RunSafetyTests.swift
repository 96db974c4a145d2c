import Foundation
import SimCore
import SimIO
import Testing

/// Runs on a shared node cannot corrupt each other or lose data (issue 9, parts 1, 3 and 5): a lock per run,
/// exclusive temporary files, the overwrite rule for every file, clean failures on a full disk, and resume that
/// matches the job's meaning.
@Suite struct RunSafetyTests {
    static func job(_ name: String, duration: String = "40min", checkpoint: String = "5min") -> String {
        jobText(name: name, model: "model", duration: duration, checkpoint: checkpoint)
    }

    static func setUp(_ tag: String, nx: Int = 40, ny: Int = 30) throws -> String {
        let dir = tempDir(tag)
        try writeModel(dir + "/model", nx: nx, ny: ny)
        return dir
    }

    static func start(_ args: [String]) throws -> (Process, Pipe) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: citytwinBinary)
        p.arguments = args
        let e = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = e
        try p.run()
        return (p, e)
    }

    /// Waits until the run folder's checkpoint folder `ck` holds a checkpoint (or the run ends).
    static func waitForCheckpoint(in ck: String, while p: Process) {
        let t0 = Date()
        while p.isRunning && Date().timeIntervalSince(t0) < 60 {
            if (((try? FileManager.default.contentsOfDirectory(atPath: ck)) ?? []).contains { $0.hasPrefix("ckpt-") }) {
                return
            }
            usleep(2000)
        }
    }

    static func waitFor(_ path: String, while p: Process, seconds: Double = 60) {
        let t0 = Date()
        while p.isRunning && !SafeFile.exists(path) && Date().timeIntervalSince(t0) < seconds { usleep(2000) }
    }

    /// A second run on the same output refuses, naming the holder, whatever its flags; the first completes.
    @Test func secondRunOnTheSameOutputIsRefused() throws {
        let dir = try Self.setUp("lock", nx: 160, ny: 120)
        try Self.job("lk", duration: "2h", checkpoint: "10min").write(
            toFile: dir + "/lk.yaml", atomically: true, encoding: .utf8)
        let (first, _) = try Self.start(["run", dir + "/lk.yaml", "--output", dir + "/out", "--quiet"])
        Self.waitFor(dir + "/out/lk.work", while: first)
        #expect(first.isRunning, "the first run ended before the second could start; make the case longer")
        for flags in [[], ["--overwrite"], ["--resume"]] {
            let r = try citytwin(["run", dir + "/lk.yaml", "--output", dir + "/out", "--quiet"] + flags)
            #expect(r.status == 1, "\(flags): \(r.err)")
            #expect(
                r.err.contains("another run of 'lk' is writing to") && r.err.contains("pid \(first.processIdentifier)"),
                "\(flags): \(r.err)")
        }
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        let ins = try citytwin(["inspect", dir + "/out/lk.h5"])
        #expect(ins.status == 0 && ins.out.contains("job_name: lk"))
    }

    /// `--overwrite` removes only run folders the engine made; a user's folder of that name is left alone.
    @Test func overwriteKeepsAForeignFolder() throws {
        let dir = try Self.setUp("foreign")
        try Self.job("fw").write(toFile: dir + "/fw.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/out/fw.work", withIntermediateDirectories: true)
        try "precious".write(toFile: dir + "/out/fw.work/notes.txt", atomically: true, encoding: .utf8)
        let r = try citytwin(["run", dir + "/fw.yaml", "--output", dir + "/out", "--quiet", "--overwrite"])
        #expect(r.status == 1 && r.err.contains("is not a CityTwin run folder"), "\(r.err)")
        #expect(try String(contentsOfFile: dir + "/out/fw.work/notes.txt", encoding: .utf8) == "precious")
    }

    /// Planted symlinks at the old temporary name and at the result make the engine overwrite nothing else.
    @Test func plantedSymlinksAreNotFollowed() throws {
        let dir = try Self.setUp("symlink")
        try Self.job("sl", duration: "10min").write(toFile: dir + "/sl.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
        let victim = dir + "/victim.txt"
        try "do not touch".write(toFile: victim, atomically: true, encoding: .utf8)
        #expect(symlink(victim, dir + "/out/sl.h5.tmp") == 0)
        #expect(symlink(victim, dir + "/out/sl.h5") == 0)
        var r = try citytwin(["run", dir + "/sl.yaml", "--output", dir + "/out", "--quiet"])
        #expect(r.status == 1 && r.err.contains("already exists"), "a dangling or planted result is kept: \(r.err)")
        r = try citytwin(["run", dir + "/sl.yaml", "--output", dir + "/out", "--quiet", "--overwrite"])
        #expect(r.status == 0, "\(r.err)")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "do not touch")
        var st = stat()
        #expect(lstat(dir + "/out/sl.h5", &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG, "the link was replaced")
        // a planted lock symlink: refused, nothing written through it
        #expect(unlink(dir + "/out/.sl.lock") == 0)
        #expect(symlink(victim, dir + "/out/.sl.lock") == 0)
        r = try citytwin(["run", dir + "/sl.yaml", "--output", dir + "/out", "--quiet", "--overwrite"])
        #expect(r.status == 1 && r.err.contains("run lock"), "\(r.err)")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "do not touch")
    }

    /// Every file a run writes obeys the result's overwrite rule: the energy event table too.
    @Test func energyEventTableIsNotOverwritten() throws {
        let dir = tempDir("events")
        try FileManager.default.copyItem(atPath: SafetyTests.root + "/Data/monaco", toPath: dir + "/m")
        try SafetyTests.energy.write(toFile: dir + "/e.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
        let events = dir + "/out/probe-energy-events.csv"
        try "an analyst's edited table".write(toFile: events, atomically: true, encoding: .utf8)
        var r = try citytwin(["run", dir + "/e.yaml", "--output", dir + "/out", "--quiet"])
        #expect(r.status == 1 && r.err.contains("probe-energy-events.csv' already exists"), "\(r.err)")
        #expect(try String(contentsOfFile: events, encoding: .utf8) == "an analyst's edited table")
        r = try citytwin(["run", dir + "/e.yaml", "--output", dir + "/out", "--quiet", "--overwrite"])
        #expect(r.status == 0, "\(r.err)")
        #expect(try String(contentsOfFile: events, encoding: .utf8).hasPrefix("time_s,asset,kind,event"))
    }

    /// A write beyond the file-size limit (the kernel's EFBIG, as on a full disk): exit 1 with a clear message,
    /// no signal; the earlier result is intact; the run folder is kept and `--resume` completes the run with the
    /// same bits as an uninterrupted one.
    @Test func fileSizeLimitFailsCleanlyAndResumes() throws {
        let dir = try Self.setUp("efbig", nx: 160, ny: 120)
        let text = Self.job("fb", duration: "1h", checkpoint: "10min").replacingOccurrences(
            of: "output_interval: 5min", with: "output_interval: 1min")
        try text.write(toFile: dir + "/fb.yaml", atomically: true, encoding: .utf8)
        try text.replacingOccurrences(of: "name: fb", with: "name: ref").write(
            toFile: dir + "/ref.yaml", atomically: true, encoding: .utf8)
        var r = try citytwin(["run", dir + "/ref.yaml", "--output", dir + "/ref", "--quiet"])
        #expect(r.status == 0, "\(r.err)")
        let refSize = (try FileManager.default.attributesOfItem(atPath: dir + "/ref/ref.h5")[.size] as? Int) ?? 0
        // an earlier result in the output folder, then a run whose result cannot be written
        try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir + "/ref/ref.h5", toPath: dir + "/out/fb.h5")
        let before = try Data(contentsOf: URL(fileURLWithPath: dir + "/out/fb.h5"))
        let limitKB = refSize / 1024 / 2
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [
            "-c", "ulimit -f \(limitKB); exec \"$0\" run \"$1\" --output \"$2\" --quiet --overwrite", citytwinBinary,
            dir + "/fb.yaml", dir + "/out",
        ]
        let e = Pipe()
        p.standardError = e
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let err = String(decoding: e.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit && p.terminationStatus == 1, "status \(p.terminationStatus): \(err)")
        #expect(err.contains("cannot write result") && err.contains("File too large"), "\(err)")
        #expect(!err.contains("Signal") && !err.contains("crashed"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/out/fb.h5")) == before, "the earlier result changed")
        #expect(
            RunStoreProbe.leftovers(dir + "/out").isEmpty,
            "temporary files left: \(RunStoreProbe.leftovers(dir + "/out"))")
        r = try citytwin(["run", dir + "/fb.yaml", "--output", dir + "/out", "--quiet", "--resume"])
        #expect(r.status == 0, "\(r.err)")
        for name in RunTests.datasets {
            #expect(
                sameBits(
                    try readDataset(dir + "/out/fb.h5", "flood", name),
                    try readDataset(dir + "/ref/ref.h5", "flood", name)),
                "\(name) differs after the failed write and --resume")
        }
    }

    /// A disk that fills while the run writes checkpoints (another user's file takes the space left, on a small
    /// tmpfs where the machine lets us mount one): exit 1, no signal, every checkpoint left is complete, and the
    /// run resumes elsewhere to the uninterrupted bits.
    @Test(.enabled(if: TmpFS.available)) func diskFillingDuringTheRunFailsCleanly() throws {
        let dir = try Self.setUp("enospc", nx: 160, ny: 120)
        let text = Self.job("df", duration: "2h", checkpoint: "10min")
        try text.write(toFile: dir + "/df.yaml", atomically: true, encoding: .utf8)
        try text.replacingOccurrences(of: "name: df", with: "name: ref").write(
            toFile: dir + "/ref.yaml", atomically: true, encoding: .utf8)
        var r = try citytwin(["run", dir + "/ref.yaml", "--output", dir + "/ref", "--quiet"])
        #expect(r.status == 0, "\(r.err)")
        let small = dir + "/small"
        try TmpFS.mount(small, kilobytes: 16_000)
        defer { TmpFS.unmount(small) }
        let (p, e) = try Self.start(["run", dir + "/df.yaml", "--output", small + "/out", "--quiet", "--workers", "1"])
        let ck = small + "/out/df.work/checkpoints"
        Self.waitForCheckpoint(in: ck, while: p)
        #expect(p.isRunning, "the run ended before the disk could be filled")
        TmpFS.fill(small + "/filler")
        let err = String(decoding: e.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit && p.terminationStatus == 1, "status \(p.terminationStatus): \(err)")
        #expect(err.contains("No space left on device"), "\(err)")
        #expect(!err.contains("Signal") && !err.contains("crashed"), "\(err)")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: ck)) ?? []).sorted()
        #expect(!names.isEmpty, "no checkpoint was written before the disk filled")
        for n in names {
            #expect(n.hasPrefix("ckpt-") && n.hasSuffix(".h5"), "left over: \(n)")
            #expect(try H5File.open(ck + "/" + n).root.intAttribute("complete") == 1, "\(n) is incomplete")
        }
        // continue on a disk with room
        try FileManager.default.copyItem(atPath: small + "/out", toPath: dir + "/big")
        r = try citytwin(["run", dir + "/df.yaml", "--output", dir + "/big", "--quiet", "--resume"])
        #expect(r.status == 0 && r.err.isEmpty, "\(r.err)")
        for name in RunTests.datasets {
            #expect(
                sameBits(
                    try readDataset(dir + "/big/df.h5", "flood", name),
                    try readDataset(dir + "/ref/ref.h5", "flood", name)),
                "\(name) differs after the full disk and --resume")
        }
    }

    /// The checkpoint's job hash is the job's meaning: a moved job file with another relative model path and an
    /// extra comment resumes; SIGINT before the first step and --resume give one t = 0; the hint names --output.
    @Test func resumeMatchesMeaningNotLocation() throws {
        let dir = try Self.setUp("hash", nx: 160, ny: 120)
        let text = Self.job("hs", duration: "2h", checkpoint: "10min")
        try text.write(toFile: dir + "/hs.yaml", atomically: true, encoding: .utf8)
        let (p, e) = try Self.start(["run", dir + "/hs.yaml", "--output", dir + "/out", "--workers", "1"])
        let ck = dir + "/out/hs.work/checkpoints"
        Self.waitForCheckpoint(in: ck, while: p)
        kill(p.processIdentifier, SIGINT)
        let err = String(decoding: e.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 130, "\(err)")
        #expect(err.contains("continue with: citytwin run \(dir)/hs.yaml --resume --output \(dir)/out"), "\(err)")
        // the same job, moved into a subfolder, reaching the model by another path, with a comment
        try FileManager.default.createDirectory(atPath: dir + "/jobs", withIntermediateDirectories: true)
        try ("# moved here\n" + text.replacingOccurrences(of: "model: model", with: "model: ../model")).write(
            toFile: dir + "/jobs/hs.yaml", atomically: true, encoding: .utf8)
        let r = try citytwin(["run", dir + "/jobs/hs.yaml", "--output", dir + "/out", "--resume"])
        #expect(r.status == 0 && r.err.contains("resuming from"), "\(r.err)")
        let times = try readDataset(dir + "/out/hs.h5", "flood", "time").doubles
        #expect(times == (0...24).map { Double($0) * 300 }, "\(times)")
    }

    /// Interrupted before its first step (SIGINT during set-up), then --resume: the time axis holds t = 0 once.
    @Test func interruptBeforeTheFirstStepResumesCleanly() throws {
        let dir = tempDir("early")
        try FileManager.default.copyItem(atPath: SafetyTests.root + "/Data/monaco", toPath: dir + "/m")
        try SafetyTests.energy.write(toFile: dir + "/e.yaml", atomically: true, encoding: .utf8)
        var interrupted = false
        for _ in 0..<5 where !interrupted {
            try? FileManager.default.removeItem(atPath: dir + "/out")
            let (p, e) = try Self.start(["run", dir + "/e.yaml", "--output", dir + "/out", "--quiet"])
            usleep(150_000)  // the Monaco grid takes longer than this to set up
            kill(p.processIdentifier, SIGINT)
            _ = e.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            interrupted = p.terminationReason == .exit && p.terminationStatus == 130
        }
        #expect(interrupted, "could not interrupt the run during set-up")
        let r = try citytwin(["run", dir + "/e.yaml", "--output", dir + "/out", "--quiet", "--resume"])
        #expect(r.status == 0, "\(r.err)")
        let times = try readDataset(dir + "/out/probe.h5", "energy", "time").doubles
        #expect(times == [0, 3600, 7200], "\(times)")
    }
}

/// Files a run must not leave behind in its output folder (temporary names of ours).
enum RunStoreProbe {
    static func leftovers(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".tmp") }
    }
}

/// A small tmpfs for full-disk tests, where this machine allows mounting one (root in a container that permits
/// it); otherwise the test that needs it is disabled and the file-size-limit test covers the same paths.
enum TmpFS {
    static let available: Bool = {
        guard getuid() == 0 else { return false }
        let probe = NSTemporaryDirectory() + "citytwin-tmpfs-probe-\(getpid())"
        guard (try? mount(probe, kilobytes: 64)) != nil else { return false }
        unmount(probe)
        return true
    }()

    static func mount(_ dir: String, kilobytes: Int) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/mount")
        p.arguments = ["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", dir]
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        if p.terminationStatus != 0 { throw RunError("mount failed") }
    }

    /// Writes `path` until the file system is full (another user taking the space).
    static func fill(_ path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return }
        let block = [UInt8](repeating: 0, count: 1 << 16)
        while block.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        close(fd)
    }

    static func unmount(_ dir: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/umount")
        p.arguments = [dir]
        try? p.run()
        p.waitUntilExit()
    }
}
