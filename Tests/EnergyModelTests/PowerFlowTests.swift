import Testing
import Foundation
import SimCore
import EnergyModel
import CityImport

let energyData: String = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.deletingLastPathComponent().appendingPathComponent("shared/data/energy").path
}()

/// Newton-Raphson against the pandapower references of ../shared/data/energy (REFERENCE-NUMBERS.md).
@Suite struct PowerFlowTests {
    @Test(arguments: [("case33bw", 202.677, 135.141, 0.913090, 17), ("case69", 224.992, 102.158, 0.909188, 64)])
    func radialFeederMatchesReference(_ c: (name: String, lossKW: Double, lossKvar: Double, vmin: Double, vminBus: Int)) throws {
        let dir = energyData + "/" + c.name
        let net = try EnergyImport.readSolverTables(dir)
        let r = try NewtonRaphson.solve(net)
        #expect(r.converged && r.iterations <= 10, "\(r.iterations) iterations, mismatch \(r.mismatch)")
        let ref = String(decoding: FileManager.default.contents(atPath: dir + "/res_bus.csv")!, as: UTF8.self)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",").compactMap { Double($0) } }
        #expect(ref.count == net.busCount)
        var dv = 0.0, da = 0.0
        for (i, row) in ref.enumerated() { dv = max(dv, abs(r.vm[i] - row[1])); da = max(da, abs(r.vaDeg[i] - row[2])) }
        #expect(dv <= 1e-9, "\(c.name): largest |ΔV| \(dv) pu")
        #expect(da <= 1e-7, "\(c.name): largest |Δθ| \(da)°")
        #expect(abs(r.lossP * 1000 - c.lossKW) / c.lossKW <= 1e-4 && abs(r.lossQ * 1000 - c.lossKvar) / c.lossKvar <= 1e-4,
                "\(c.name): losses \(r.lossP * 1000) kW, \(r.lossQ * 1000) kvar")
        let (i, v) = r.vm.enumerated().min { $0.element < $1.element }!
        #expect(i == c.vminBus && abs(v - c.vmin) < 5e-7)
        // energy balance: slack supply = demand + losses
        #expect(abs(r.slackP - (net.pd.reduce(0, +) + r.lossP)) < 1e-9)
    }
}

@Suite struct GridInputTests {
    /// Broken reference-format grids: every problem located, never a crash.
    @Test func brokenGridsAreRefused() throws {
        let dir = NSTemporaryDirectory() + "grid-bad-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "{\"sn_mva\": 1.0}".write(toFile: dir + "/network.json", atomically: true, encoding: .utf8)
        let bh = "solver_bus,pandapower_buses,type,pd_mw,qd_mvar,gs_mw,bs_mvar,base_kv,vm_set_pu,va_set_deg\n"
        let rh = "element,f_bus,t_bus,r_pu,x_pu,b_pu,g_pu,r_asym_pu,x_asym_pu,g_asym_pu,b_asym_pu,tap,shift_deg,status\n"
        let cases: [(String, String, String)] = [
            (bh + "0,0,1,0,0,0,0,10,1,0\n1,1,1,0.1,0.05,0,0,10,1,0\n", rh + "line:0,0,1,0.01,0.02,0,0,0,0,0,0,1,0,1\n", "no slack bus"),
            (bh + "0,0,3,0,0,0,0,10,1,0\n1,1,1,0.1,0.05,0,0,10,1,0\n", rh + "line:0,0,1,0,0,0,0,0,0,0,0,1,0,1\n", "zero impedance"),
            (bh + "0,0,3,0,0,0,0,10,1,0\n1,1,1,0.1,0.05,0,0,10,1,0\n", rh + "line:0,0,7,0.01,0.02,0,0,0,0,0,0,1,0,1\n", "solver_branch.csv:2: error[E-GRID-009]"),
            (bh + "0,0,3,0,0,0,0,10,1,0\n1,1,1,x,0.05,0,0,10,1,0\n", rh, "solver_bus.csv:3: error[E-GRID-007]: 'pd_mw' = 'x' is not a number"),
        ]
        for (b, r, expected) in cases {
            try b.write(toFile: dir + "/solver_bus.csv", atomically: true, encoding: .utf8)
            try r.write(toFile: dir + "/solver_branch.csv", atomically: true, encoding: .utf8)
            do { _ = try EnergyImport.readSolverTables(dir); Issue.record("accepted: \(expected)") } catch let e as InputError {
                #expect(e.description.contains(expected), "\(e.description)")
            }
        }
    }
}
