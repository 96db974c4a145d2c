import EnergyModel
import Foundation
import SimCore

/// The reference network format of ../shared/data/energy: `network.json` (element tables; `sn_mva`) and the
/// bus/branch model a solver sees (`solver_bus.csv`, `solver_branch.csv`: MATPOWER-style per-unit pi-branches).
public enum EnergyImport {
    public static func readSolverTables(_ dir: String) throws -> PowerNetwork {
        let json = dir + "/network.json"
        let jd = Data(try InputFile.read(json, what: "network.json"))
        guard let obj = try? JSONSerialization.jsonObject(with: jd) as? [String: Any],
            let sn = (obj["sn_mva"] as? NSNumber)?.doubleValue, sn > 0
        else {
            throw InputError(
                SourceLocation(file: json), code: "E-GRID-002", message: "no positive 'sn_mva' (system base power)")
        }
        func table(_ name: String, _ header: [String]) throws -> [(Int, [String: Double])] {
            try CSVTable.read(dir + "/" + name, numeric: header, emptyIsZero: true).rows.map { ($0.line, $0.values) }
        }
        let buses = try table(
            "solver_bus.csv",
            ["solver_bus", "type", "pd_mw", "qd_mvar", "gs_mw", "bs_mvar", "base_kv", "vm_set_pu", "va_set_deg"])
        let branches = try table(
            "solver_branch.csv", ["f_bus", "t_bus", "r_pu", "x_pu", "b_pu", "g_pu", "tap", "shift_deg", "status"])
        let nb = buses.count
        var problems: [Diagnostic] = []
        var types: [PowerNetwork.BusType] = []
        for (line, b) in buses {
            guard whole(b["solver_bus"]!) == types.count, let t = PowerNetwork.BusType(rawValue: whole(b["type"]!))
            else {
                problems.append(
                    Diagnostic(
                        SourceLocation(file: dir + "/solver_bus.csv", line: line), code: "E-GRID-008",
                        message: "buses must be numbered 0… in order with type 1–4"))
                types.append(.isolated)
                continue
            }
            types.append(t)
        }
        for (line, br) in branches {
            let f = whole(br["f_bus"]!)
            let t = whole(br["t_bus"]!)
            if !(0..<nb).contains(f) || !(0..<nb).contains(t) {
                problems.append(
                    Diagnostic(
                        SourceLocation(file: dir + "/solver_branch.csv", line: line), code: "E-GRID-009",
                        message: "branch refers to bus \(f) or \(t), not in 0…\(nb - 1)"))
            } else if br["status"]! != 0 && br["r_pu"]! == 0 && br["x_pu"]! == 0 {
                problems.append(
                    Diagnostic(
                        SourceLocation(file: dir + "/solver_branch.csv", line: line), code: "E-GRID-010",
                        message: "branch \(f)–\(t) has zero impedance",
                        hint: "merge the two buses (a closed bus-bus switch) instead"))
            }
        }
        if !types.contains(.slack) {
            problems.append(
                Diagnostic(
                    SourceLocation(file: dir + "/solver_bus.csv"), code: "E-GRID-011", message: "no slack bus (type 3)",
                    hint: "the grid needs an external grid connection"))
        }
        if !problems.isEmpty { throw InputError(problems) }
        func col(_ rows: [(Int, [String: Double])], _ k: String) -> [Double] { rows.map { $0.1[k]! } }
        return PowerNetwork(
            baseMVA: sn, busType: types, pd: col(buses, "pd_mw"), qd: col(buses, "qd_mvar"), gs: col(buses, "gs_mw"),
            bs: col(buses, "bs_mvar"), baseKV: col(buses, "base_kv"), vmSet: col(buses, "vm_set_pu"),
            vaSetDeg: col(buses, "va_set_deg"),
            from: col(branches, "f_bus").map { Int32($0) }, to: col(branches, "t_bus").map { Int32($0) },
            r: col(branches, "r_pu"), x: col(branches, "x_pu"), b: col(branches, "b_pu"), g: col(branches, "g_pu"),
            tap: col(branches, "tap"), shiftDeg: col(branches, "shift_deg"),
            inService: col(branches, "status").map { $0 != 0 },
            branchNames: (0..<branches.count).map { "branch \($0)" })
    }
}
