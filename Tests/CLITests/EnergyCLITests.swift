import Testing
import Foundation
import SimCore

let sharedEnergy: String = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.deletingLastPathComponent().appendingPathComponent("shared/data/energy").path
}()

/// `citytwin powerflow` end to end: the LV feeder's reference day to HDF5 (read back with h5py) and CSV; a second
/// run refuses to overwrite; a broken grid fails with located messages and leaves the earlier result untouched.
@Suite struct EnergyCLITests {
    @Test func powerflowWritesResultsAndKeepsThemOnFailure() throws {
        let dir = tempDir("pf")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/lv.h5"
        let r = try citytwin(["powerflow", sharedEnergy + "/simbench_lv_urban6", "--steps", "96", "--workers", "2", "-o", out])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("96 steps") && r.out.contains("result: \(out)"))
        let py = """
        import h5py, csv, sys
        f = h5py.File(sys.argv[1])
        vm = f['bus/vm_pu'][:]
        ref = list(csv.DictReader(open(sys.argv[2])))
        ids = [int(b) for b in f['bus/bus'][:]]
        d = max(abs(vm[t, k] - float(ref[t]['bus_%d' % b])) for t in range(96) for k, b in enumerate(ids))
        assert vm.shape == (96, 59), vm.shape
        assert f['bus/vm_pu'].dims[0][0].name == '/step'
        print('maxdiff', d, f['summary/losses_p_mw'].attrs['units'].decode() if isinstance(f['summary/losses_p_mw'].attrs['units'], bytes) else f['summary/losses_p_mw'].attrs['units'])
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", py, out, sharedEnergy + "/simbench_lv_urban6/ts_ref_vm_pu_96.csv"]
        let pipe = Pipe(); p.standardOutput = pipe; p.standardError = pipe
        try p.run(); p.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 0, "\(text)")
        if let v = text.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) { #expect(v <= 1e-9, "\(text)") } else { Issue.record("\(text)") }
        #expect(text.contains("MW"))
        let csv = try String(contentsOfFile: dir + "/lv-csv/summary.csv", encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 97)
        // no silent overwrite
        let again = try citytwin(["powerflow", sharedEnergy + "/simbench_lv_urban6", "--steps", "4", "-o", out])
        #expect(again.status != 0 && again.err.contains("already exists"))
        // a broken grid: located errors, the earlier result untouched
        let before = try Data(contentsOf: URL(fileURLWithPath: out))
        let bad = dir + "/bad"
        try FileManager.default.createDirectory(atPath: bad, withIntermediateDirectories: true)
        var json = try String(contentsOfFile: sharedEnergy + "/case33bw/network.json", encoding: .utf8)
        json = json.replacingOccurrences(of: "\"to_bus\": 1,", with: "\"to_bus\": 99,")
        try json.write(toFile: bad + "/network.json", atomically: true, encoding: .utf8)
        let broken = try citytwin(["powerflow", bad, "-o", out, "--overwrite"])
        #expect(broken.status == 64, "\(broken.err)")
        #expect(broken.err.contains("network.json: error[E-GRID-020]: line[0].to_bus: bus 99 does not exist"), "\(broken.err)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == before)
        // more steps than the profiles have
        let tooMany = try citytwin(["powerflow", sharedEnergy + "/case33bw", "--steps", "2", "-o", dir + "/c33.h5"])
        #expect(tooMany.status != 0 && tooMany.err.contains("no profiles"))
    }
}
