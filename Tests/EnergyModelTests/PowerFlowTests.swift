import CityImport
import EnergyModel
import Foundation
import SimCore
import Testing

let energyData: String = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    return root.deletingLastPathComponent().appendingPathComponent("shared/data/energy").path
}()

/// CSV rows of a reference file as column → value (numbers only).
func referenceRows(_ path: String) -> [[String: Double]] {
    let lines = String(decoding: FileManager.default.contents(atPath: path)!, as: UTF8.self).split(separator: "\n")
    let head = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    return lines.dropFirst().map { l in
        var row: [String: Double] = [:]
        for (k, f) in l.split(separator: ",", omittingEmptySubsequences: false).enumerated() where k < head.count {
            if let v = Double(f) { row[head[k]] = v }
        }
        return row
    }
}
func referenceSummary(_ dir: String) -> [String: Any] {
    try! JSONSerialization.jsonObject(with: FileManager.default.contents(atPath: dir + "/summary.json")!)
        as! [String: Any]
}

/// AC power flow against the pandapower references of ../shared/data/energy (README there): every bus voltage within
/// 1e-9 pu and 1e-7°, total losses within 0.01 % (and 1e-8 MW), for both solution methods.
@Suite struct PowerFlowTests {
    static let grids = ["case33bw", "case69", "simbench_lv_urban6", "simbench_mv_urban", "simbench_mvlv_urban_all"]

    @Test(arguments: grids, PowerFlow.Method.allCases)
    func referenceGridMatchesPandapower(_ name: String, _ method: PowerFlow.Method) throws {
        let dir = energyData + "/" + name
        let grid = try GridReader.readReference(dir)
        let (net, map) = try grid.busBranchModel(origin: dir + "/network.json")
        let pf = try PowerFlow(net)
        let s = try pf.solve(pd: net.pd, qd: net.qd, options: .init(method: method))
        #expect(
            s.converged && s.iterations <= (method == .newton ? 8 : 60),
            "\(name): \(s.iterations) iterations, mismatch \(s.mismatchMVA)")
        if method == .currentInjection { #expect(s.method == .currentInjection, "\(name): fell back to Newton") }
        var index: [Int: Int] = [:]
        for (k, b) in grid.buses.enumerated() { index[b.id] = k }
        var dv = 0.0
        var da = 0.0
        var n = 0
        for row in referenceRows(dir + "/res_bus.csv") {
            guard let vm = row["vm_pu"], let va = row["va_degree"], let k = index[Int(row["bus"]!)] else { continue }
            let sb = Int(map.solverBus[k])
            dv = max(dv, abs(s.vm[sb] - vm))
            da = max(da, abs(s.vaDeg[sb] - va))
            n += 1
        }
        #expect(n == grid.buses.count)
        #expect(dv <= 1e-9, "\(name): largest |ΔV| \(dv) pu")
        #expect(da <= 1e-7, "\(name): largest |Δθ| \(da)°")
        let sum = referenceSummary(dir)
        let refLoss = (sum["total_losses_p_mw"] as? Double) ?? ((sum["losses_p_mw"] as? Double) ?? .nan)
        #expect(
            abs(s.lossP - refLoss) <= max(1e-4 * refLoss, 0) && abs(s.lossP - refLoss) < 1e-8,
            "\(name): losses \(s.lossP) MW vs \(refLoss)")
        // energy balance: supply from the slack = net demand + losses
        #expect(abs(s.slackP - (net.pd.reduce(0, +) + s.lossP)) < 1e-9)
    }

    /// The published figures for the two Baran & Wu feeders (losses, weakest bus; buses numbered from 1 there).
    @Test(arguments: [("case33bw", 202.677, 135.141, 0.913090, 17), ("case69", 224.992, 102.158, 0.909188, 64)])
    func publishedFeederValues(_ c: (name: String, lossKW: Double, lossKvar: Double, vmin: Double, vminBus: Int)) throws
    {
        let grid = try GridReader.readReference(energyData + "/" + c.name)
        let (net, map) = try grid.busBranchModel()
        let s = try PowerFlow(net).solve(pd: net.pd, qd: net.qd)
        #expect(
            abs(s.lossP * 1000 - c.lossKW) < 5e-4 && abs(s.lossQ * 1000 - c.lossKvar) < 5e-4,
            "\(c.name): \(s.lossP * 1000) kW, \(s.lossQ * 1000) kvar")
        let weakest = (0..<grid.buses.count).min { s.vm[Int(map.solverBus[$0])] < s.vm[Int(map.solverBus[$1])] }!
        #expect(weakest == c.vminBus && abs(s.vm[Int(map.solverBus[weakest])] - c.vmin) < 5e-7)
    }

    /// The bus-branch model built from the assets (lines, T-model transformers, switches) is the one pandapower
    /// solved: every branch of solver_branch.csv to 1e-11 (relative, rounding of the 15-digit tables).
    @Test(arguments: grids)
    func busBranchModelMatchesReferenceBranches(_ name: String) throws {
        let dir = energyData + "/" + name
        let (net, _) = try GridReader.readReference(dir).busBranchModel()
        var byName: [String: Int] = [:]
        for (k, n) in net.branchNames.enumerated() { byName[n] = k }
        let text = String(decoding: FileManager.default.contents(atPath: dir + "/solver_branch.csv")!, as: UTF8.self)
        var worst = 0.0
        var count = 0
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f[13] != "0" else { continue }
            guard let k = byName[f[0]] else {
                Issue.record("\(name): \(f[0]) missing")
                continue
            }
            let ref = [
                Double(f[3])!, Double(f[4])!, Double(f[5])!, Double(f[6])!, Double(f[11])! == 0 ? 1 : Double(f[11])!,
                Double(f[12])!,
            ]
            let ours = [net.r[k], net.x[k], net.b[k], net.g[k], net.tap[k], net.shiftDeg[k]]
            for (a, b) in zip(ours, ref) { worst = max(worst, abs(a - b) / max(abs(b), 1e-12)) }
            count += 1
        }
        #expect(count == net.branchCount)
        #expect(worst < 1e-11, "\(name): largest relative difference \(worst)")
    }

    /// Line and transformer results (flows, currents, loading) against res_line.csv / res_trafo.csv.
    @Test(arguments: ["simbench_lv_urban6", "simbench_mv_urban"])
    func branchResultsMatchPandapower(_ name: String) throws {
        let dir = energyData + "/" + name
        let grid = try GridReader.readReference(dir)
        let (net, map) = try grid.busBranchModel()
        let s = try PowerFlow(net).solve(pd: net.pd, qd: net.qd)
        let flows = net.branchFlows(s)
        for (file, branch) in [("res_line.csv", map.lineBranch), ("res_trafo.csv", map.trafoBranch)] {
            let rows = referenceRows(dir + "/" + file)
            var worst = 0.0
            for (k, row) in rows.enumerated() where branch[k] >= 0 {
                let b = Int(branch[k])
                let pf = row["p_from_mw"] ?? row["p_hv_mw"]!
                let load = row["loading_percent"]!
                worst = max(worst, abs(flows.pFromMW[b] - pf), abs(flows.loadingPercent[b] - load) * 1e-2)
            }
            #expect(worst < 1e-9, "\(name) \(file): largest difference \(worst)")
        }
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
        let rh =
            "element,f_bus,t_bus,r_pu,x_pu,b_pu,g_pu,r_asym_pu,x_asym_pu,g_asym_pu,b_asym_pu,tap,shift_deg,status\n"
        let cases: [(String, String, String)] = [
            (
                bh + "0,0,1,0,0,0,0,10,1,0\n1,1,1,0.1,0.05,0,0,10,1,0\n",
                rh + "line:0,0,1,0.01,0.02,0,0,0,0,0,0,1,0,1\n", "no slack bus"
            ),
            (
                bh + "0,0,3,0,0,0,0,10,1,0\n1,1,1,0.1,0.05,0,0,10,1,0\n", rh + "line:0,0,1,0,0,0,0,0,0,0,0,1,0,1\n",
                "zero impedance"
            ),
            (
                bh + "0,0,3,0,0,0,0,10,1,0\n1,1,1,0.1,0.05,0,0,10,1,0\n",
                rh + "line:0,0,7,0.01,0.02,0,0,0,0,0,0,1,0,1\n", "solver_branch.csv:2: error[E-GRID-009]"
            ),
            (
                bh + "0,0,3,0,0,0,0,10,1,0\n1,1,1,x,0.05,0,0,10,1,0\n", rh,
                "solver_bus.csv:3: error[E-GRID-007]: 'pd_mw' = 'x' is not a finite number"
            ),
        ]
        for (b, r, expected) in cases {
            try b.write(toFile: dir + "/solver_bus.csv", atomically: true, encoding: .utf8)
            try r.write(toFile: dir + "/solver_branch.csv", atomically: true, encoding: .utf8)
            do {
                _ = try EnergyImport.readSolverTables(dir)
                Issue.record("accepted: \(expected)")
            } catch let e as InputError {
                #expect(e.description.contains(expected), "\(e.description)")
            }
        }
    }
}

/// SimBench LV urban6 with its profiles: all 96 steps of the reference day (ts_ref_*_96.csv), each bus within
/// 1e-9 pu / 1e-7°, losses and slack power per step within 1e-9 MW; identical results for 1 and 2 workers.
@Suite struct TimeSeriesTests {
    @Test(arguments: PowerFlow.Method.allCases)
    func lvFeederDayMatchesReference(_ method: PowerFlow.Method) throws {
        let dir = energyData + "/simbench_lv_urban6"
        let grid = try GridReader.readReference(dir)
        let (net, map) = try grid.busBranchModel()
        let series = try PowerFlowSeries(
            grid: grid, network: net, mapping: map,
            loadProfiles: try ProfileReader.read(dir + "/profiles_load_relative.csv"),
            sgenProfiles: try ProfileReader.read(dir + "/profiles_sgen_relative.csv"))
        #expect(series.availableSteps == 35_136)
        let r = try series.run(steps: 96, options: .init(method: method), workers: 1, chunkSteps: 24)
        let vmRef = referenceRows(dir + "/ts_ref_vm_pu_96.csv")
        let vaRef = referenceRows(dir + "/ts_ref_va_degree_96.csv")
        let sumRef = referenceRows(dir + "/ts_ref_summary_96.csv")
        #expect(vmRef.count == 96 && r.steps == 96)
        var dv = 0.0
        var da = 0.0
        var dl = 0.0
        var dp = 0.0
        for t in 0..<96 {
            for (k, b) in grid.buses.enumerated() {
                dv = max(dv, abs(r.vm[t * grid.buses.count + k] - vmRef[t]["bus_\(b.id)"]!))
                da = max(da, abs(r.vaDeg[t * grid.buses.count + k] - vaRef[t]["bus_\(b.id)"]!))
            }
            dl = max(dl, abs(r.summary.lossP[t] - sumRef[t]["losses_p_mw"]!))
            dp = max(
                dp, abs(r.summary.slackP[t] - sumRef[t]["slack_p_mw"]!),
                abs(r.summary.loadP[t] - sumRef[t]["load_p_mw"]!),
                abs(r.summary.sgenP[t] - sumRef[t]["sgen_p_mw"]!))
            #expect(abs(r.summary.maxLineLoading[t] - sumRef[t]["max_line_loading_percent"]!) < 1e-6)
            #expect(abs(r.summary.maxTrafoLoading[t] - sumRef[t]["trafo_loading_percent"]!) < 1e-6)
            // energy balance per step: supply = load − generation + losses (to the solver tolerance summed over buses)
            #expect(abs(r.summary.slackP[t] - (r.summary.loadP[t] - r.summary.sgenP[t] + r.summary.lossP[t])) < 1e-9)
        }
        #expect(r.summary.converged.allSatisfy { $0 == 1 })
        #expect(dv <= 1e-9 && da <= 1e-7, "largest |ΔV| \(dv) pu, |Δθ| \(da)°")
        #expect(dl <= 1e-9 && dp <= 1e-9, "losses \(dl) MW, powers \(dp) MW")
        // workers change nothing (chunks are fixed)
        let r2 = try series.run(steps: 96, options: .init(method: method), workers: 2, chunkSteps: 24)
        #expect(r2.vm == r.vm && r2.vaDeg == r.vaDeg && r2.summary.lossP == r.summary.lossP)
    }
}

/// Broken grids in the reference format: each problem named with its key path and a fix, never a crash.
@Suite struct GridReaderBadInputTests {
    static func mutate(_ edit: (inout [String: Any]) -> Void) throws -> String {
        let src = energyData + "/case33bw/network.json"
        var obj = try JSONSerialization.jsonObject(with: FileManager.default.contents(atPath: src)!) as! [String: Any]
        edit(&obj)
        let dir = NSTemporaryDirectory() + "grid-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: obj).write(to: URL(fileURLWithPath: dir + "/network.json"))
        return dir
    }
    static func setRow(_ o: inout [String: Any], _ table: String, _ k: Int, _ key: String, _ v: Any) {
        var rows = o[table] as! [[String: Any]]
        rows[k][key] = v
        o[table] = rows
    }

    @Test func brokenReferenceGridsAreRefused() throws {
        let cases: [(String, (inout [String: Any]) -> Void)] = [
            ("error[E-GRID-012]: lines: unknown key", { $0["lines"] = [] }),
            ("did you mean 'line'?", { $0["lines"] = [] }),
            (
                "error[E-GRID-012]: line[0].r_ohm_per_kmx: unknown column",
                { Self.setRow(&$0, "line", 0, "r_ohm_per_kmx", 1) }
            ),
            ("did you mean 'r_ohm_per_km'?", { Self.setRow(&$0, "line", 0, "r_ohm_per_kmx", 1) }),
            ("error[E-GRID-020]: load[3].bus: bus 40 does not exist", { Self.setRow(&$0, "load", 3, "bus", 40) }),
            ("the nearest bus id is 32", { Self.setRow(&$0, "load", 3, "bus", 40) }),
            (
                "error[E-GRID-010]: line[2]",
                {
                    Self.setRow(&$0, "line", 2, "r_ohm", 0)
                    Self.setRow(&$0, "line", 2, "x_ohm", 0)
                }
            ),
            (
                "error[E-GRID-007]: line[1].x_ohm: 'abc' is not a finite number",
                { Self.setRow(&$0, "line", 1, "x_ohm", "abc") }
            ),
            ("error[E-GRID-040]: load[0].const_z_p_percent", { Self.setRow(&$0, "load", 0, "const_z_p_percent", 50) }),
            (
                "error[E-GRID-011]: ext_grid: no external grid in service",
                { Self.setRow(&$0, "ext_grid", 0, "in_service", false) }
            ),
            // cuts the feeder off its source
            ("error[E-GRID-032]", { Self.setRow(&$0, "line", 0, "in_service", false) }),
            ("error[E-GRID-002]: sn_mva", { $0["sn_mva"] = -1 }),
        ]
        for (expected, edit) in cases {
            let dir = try Self.mutate(edit)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            do {
                let g = try GridReader.readReference(dir)
                _ = try g.busBranchModel(origin: dir + "/network.json")
                Issue.record("accepted: \(expected)")
            } catch let e as InputError {
                #expect(e.description.contains(expected), "expected '\(expected)' in:\n\(e.description)")
            }
        }
    }

    @Test func profileProblemsAreLocated() throws {
        let dir = NSTemporaryDirectory() + "prof-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "time,H0-A_pload,H0-A_qload\n01.01.2016 00:00,0.5,0.1\n01.01.2016 00:15,x,0.1\n".write(
            toFile: dir + "/p.csv", atomically: true, encoding: .utf8)
        #expect(throws: InputError.self) { try ProfileReader.read(dir + "/p.csv") }
        do { _ = try ProfileReader.read(dir + "/p.csv") } catch let e as InputError {
            #expect(e.description.contains("p.csv:3: error[E-GRID-055]: H0-A_pload: 'x' is not a finite number"))
        }
        // a load naming a profile the table lacks
        try "time,H0-A_pload,H0-A_qload\n01.01.2016 00:00,0.5,0.1\n".write(
            toFile: dir + "/p.csv", atomically: true, encoding: .utf8)
        var grid = try GridReader.readReference(energyData + "/case33bw")
        grid.loads[0].profile = "H0-B"
        let (net, map) = try grid.busBranchModel()
        do {
            _ = try PowerFlowSeries(
                grid: grid, network: net, mapping: map, loadProfiles: try ProfileReader.read(dir + "/p.csv"),
                sgenProfiles: nil)
            Issue.record("accepted a missing profile")
        } catch let e as InputError {
            #expect(
                e.description.contains("load[0].profile: profile 'H0-B' has no 'H0-B_pload'")
                    && e.description.contains("did you mean 'H0-A'?"), "\(e.description)")
        }
    }
}

/// The other two readers: pandapower's own JSON (a net saved by pandapower 3.5's `to_json`, Tests fixture) and
/// MATPOWER case files (written here from the reference bus/branch tables) solve to the same voltages.
@Suite struct OtherReaderTests {
    @Test func pandapowerJSONMatchesReference() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Fixtures/case33bw.pandapower.json"
        ).path
        let grid = try GridReader.readPandapower(fixture)
        let (net, map) = try grid.busBranchModel(origin: fixture)
        let s = try PowerFlow(net).solve(pd: net.pd, qd: net.qd)
        let ref = referenceRows(energyData + "/case33bw/res_bus.csv")
        var dv = 0.0
        for row in ref { dv = max(dv, abs(s.vm[Int(map.solverBus[Int(row["bus"]!)])] - row["vm_pu"]!)) }
        #expect(grid.buses.count == 33 && dv <= 1e-9, "largest |ΔV| \(dv)")
    }

    @Test func matpowerCaseMatchesReference() throws {
        let dir = NSTemporaryDirectory() + "mp-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let buses = referenceRows(energyData + "/case69/solver_bus.csv")
        let branches = referenceRows(energyData + "/case69/solver_branch.csv")
        var m = "function mpc = case69\nmpc.version = '2';\nmpc.baseMVA = 10;\n%% bus data\nmpc.bus = [\n"
        for b in buses {
            let t = Int(b["type"]!)
            m +=
                "\t\(Int(b["solver_bus"]!) + 1)\t\(t)\t\(b["pd_mw"]!)\t\(b["qd_mvar"]!)\t0\t0\t1\t1\t0\t\(b["base_kv"]!)\t1\t1.1\t0.9;\n"
        }
        m +=
            "];\n%% generator data\nmpc.gen = [\n\t1\t0\t0\t10\t-10\t1\t10\t1\t10\t0;\n];\n%% branch data\nmpc.branch = [\n"
        for r in branches {
            m +=
                "\t\(Int(r["f_bus"]!) + 1)\t\(Int(r["t_bus"]!) + 1)\t\(r["r_pu"]!)\t\(r["x_pu"]!)\t\(r["b_pu"]!)\t0\t0\t0\t0\t0\t\(Int(r["status"]!));\n"
        }
        m += "];\n"
        try m.write(toFile: dir + "/case69.m", atomically: true, encoding: .utf8)
        let net = try MatpowerReader.read(dir + "/case69.m")
        let s = try PowerFlow(net).solve(pd: net.pd, qd: net.qd)
        var dv = 0.0
        for row in referenceRows(energyData + "/case69/res_bus.csv") {
            dv = max(dv, abs(s.vm[Int(row["bus"]!)] - row["vm_pu"]!))
        }
        #expect(dv <= 1e-9, "largest |ΔV| \(dv)")
        // a branch to a bus that does not exist: located, with the nearest bus number
        try m.replacingOccurrences(of: "\n\t1\t2\t", with: "\n\t1\t200\t").write(
            toFile: dir + "/bad.m", atomically: true, encoding: .utf8)
        do {
            _ = try MatpowerReader.read(dir + "/bad.m")
            Issue.record("accepted a bad case")
        } catch let e as InputError {
            #expect(
                e.description.contains("bad.m:") && e.description.contains("refers to bus 200")
                    && e.description.contains("nearest bus number is 69"), "\(e.description)")
        }
    }
}

/// The backward/forward sweep (radial cross-check) agrees with the general solver on the radial reference feeders.
@Suite struct RadialSweepTests {
    @Test(arguments: ["case33bw", "case69", "simbench_lv_urban6"])
    func sweepAgreesWithNewton(_ name: String) throws {
        let (net, _) = try GridReader.readReference(energyData + "/" + name).busBranchModel()
        let nr = try PowerFlow(net).solve(pd: net.pd, qd: net.qd, options: .init(method: .newton))
        let bfs = try RadialSweep.solve(net)
        var dv = 0.0
        var da = 0.0
        for i in 0..<net.busCount where nr.vm[i] > 0 {
            dv = max(dv, abs(nr.vm[i] - bfs.vm[i]))
            da = max(da, abs(nr.vaDeg[i] - bfs.vaDeg[i]))
        }
        #expect(dv < 1e-9 && da < 1e-7, "\(name): |ΔV| \(dv), |Δθ| \(da)° after \(bfs.iterations) sweeps")
    }

    @Test func meshedGridIsRefused() throws {
        var (net, _) = try GridReader.readReference(energyData + "/case33bw").busBranchModel()
        // a tie line between buses 17 and 32 closes a loop
        net.from.append(17)
        net.to.append(32)
        net.r.append(0.01)
        net.x.append(0.01)
        net.b.append(0)
        net.g.append(0)
        net.tap.append(1)
        net.shiftDeg.append(0)
        net.inService.append(true)
        net.branchNames.append("tie")
        #expect(throws: RunError.self) { try RadialSweep.solve(net) }
    }
}
