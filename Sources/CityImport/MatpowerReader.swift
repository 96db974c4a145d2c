import EnergyModel
import Foundation
import SimCore

/// MATPOWER case files (`.m`, case format version 2: `mpc.baseMVA`, `mpc.bus`, `mpc.gen`, `mpc.branch`; Zimmerman,
/// Murillo-Sánchez & Thomas 2011, IEEE Trans. Power Systems 26(1), and the MATPOWER manual's data-format appendix)
/// into the per-unit bus/branch model. Generators in service add their Pg/Qg to their bus (negative demand); a PV
/// or slack bus takes its voltage set-point from its generator's Vg. Reactive limits are not enforced (no PV→PQ
/// switching), and that is said rather than ignored: a case whose generators would need it still solves, with Q
/// outside [Qmin, Qmax] reported by the caller if it checks. Every problem is located by file and line.
public enum MatpowerReader {
    public static func read(_ path: String) throws -> PowerNetwork {
        let text = try InputFile.text(path, what: "the MATPOWER case")
        var problems: [Diagnostic] = []
        func fail(_ line: Int?, _ code: String, _ msg: String, hint: String? = nil) {
            problems.append(Diagnostic(SourceLocation(file: path, line: line), code: code, message: msg, hint: hint))
        }
        // strip comments, keep line numbers
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { l -> String in
            var s = String(l)
            if let c = s.firstIndex(of: "%") { s = String(s[..<c]) }
            return s
        }
        var baseMVA: Double?
        var matrices: [String: [(line: Int, values: [Double])]] = [:]
        var current: String?
        var startLine = 0
        for (n, raw) in lines.enumerated() {
            var l = raw.trimmingCharacters(in: .whitespaces)
            if current == nil {
                if l.hasPrefix("mpc.baseMVA") {
                    let v = l.split(separator: "=").dropFirst().first.map {
                        $0.replacingOccurrences(of: ";", with: "").trimmingCharacters(in: .whitespaces)
                    }
                    if let v, let d = Double(v), d > 0 {
                        baseMVA = d
                    } else {
                        fail(n + 1, "E-GRID-061", "mpc.baseMVA must be a positive number")
                    }
                    continue
                }
                if l.hasPrefix("mpc."), let eq = l.firstIndex(of: "="), l[eq...].contains("[") {
                    current = String(l[l.index(l.startIndex, offsetBy: 4)..<eq]).trimmingCharacters(in: .whitespaces)
                    matrices[current!] = []
                    startLine = n + 1
                    l = String(l[l.index(after: l.firstIndex(of: "[")!)...])
                } else {
                    continue
                }
            }
            var done = false
            if let close = l.firstIndex(of: "]") {
                l = String(l[..<close])
                done = true
            }
            for row in l.split(separator: ";") {
                let fields = row.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init)
                if fields.isEmpty { continue }
                let vals = fields.map { Double($0) }
                if let bad = vals.firstIndex(where: { $0 == nil }) {
                    fail(n + 1, "E-GRID-062", "mpc.\(current!): '\(fields[bad])' is not a number")
                    continue
                }
                matrices[current!]!.append((n + 1, vals.map { $0! }))
            }
            if done { current = nil }
        }
        if let c = current { fail(startLine, "E-GRID-063", "mpc.\(c) is not closed with '];'") }
        guard let base = baseMVA else {
            throw InputError(
                SourceLocation(file: path), code: "E-GRID-061", message: "no mpc.baseMVA",
                hint: "a MATPOWER case sets mpc.baseMVA = 100;")
        }
        for k in ["bus", "branch"] where matrices[k] == nil { fail(nil, "E-GRID-064", "no mpc.\(k) matrix") }
        if !problems.isEmpty { throw InputError(problems) }
        let bus = matrices["bus"]!
        let branch = matrices["branch"]!
        let gen = matrices["gen"] ?? []
        var index: [Int: Int] = [:]
        for (k, r) in bus.enumerated() {
            guard r.values.count >= 13 else {
                fail(
                    r.line, "E-GRID-065",
                    "a bus row has 13 columns (bus_i type Pd Qd Gs Bs area Vm Va baseKV zone Vmax Vmin), found \(r.values.count)"
                )
                continue
            }
            let id = whole(r.values[0])
            if index[id] != nil { fail(r.line, "E-GRID-066", "bus \(id) appears twice") }
            index[id] = k
        }
        if !problems.isEmpty { throw InputError(problems) }
        var type: [PowerNetwork.BusType] = bus.map { PowerNetwork.BusType(rawValue: whole($0.values[1])) ?? .pq }
        for r in bus where PowerNetwork.BusType(rawValue: whole(r.values[1])) == nil {
            fail(
                r.line, "E-GRID-067", "bus type \(whole(r.values[1])) is not 1 (PQ), 2 (PV), 3 (slack) or 4 (isolated)")
        }
        var pd = bus.map { $0.values[2] }
        var qd = bus.map { $0.values[3] }
        var vm = bus.map { $0.values[7] }
        let va = bus.map { $0.values[8] }
        let ids = index.keys.sorted()
        func busIndex(_ v: Double, _ line: Int, _ what: String) -> Int? {
            let id = whole(v)
            if let b = index[id] { return b }
            guard abs(v) < 1e15, id != Int.min else {
                fail(line, "E-GRID-068", "\(what) must be a whole bus number (got \(v))")
                return nil
            }
            let near = ids.min { abs($0 - id) < abs($1 - id) }
            fail(
                line, "E-GRID-068", "\(what) refers to bus \(id), which is not in mpc.bus",
                hint: near.map { "the nearest bus number is \($0)" })
            return nil
        }
        for r in gen {
            guard r.values.count >= 8 else {
                fail(r.line, "E-GRID-065", "a gen row has at least 8 columns (bus Pg Qg Qmax Qmin Vg mBase status)")
                continue
            }
            guard let b = busIndex(r.values[0], r.line, "generator"), r.values[7] > 0 else { continue }
            pd[b] -= r.values[1]
            qd[b] -= r.values[2]
            if type[b] == .pv || type[b] == .slack { vm[b] = r.values[5] }
        }
        var from: [Int32] = []
        var to: [Int32] = []
        var rr: [Double] = []
        var xx: [Double] = []
        var bb: [Double] = []
        var tap: [Double] = []
        var shift: [Double] = []
        var status: [Bool] = []
        var names: [String] = []
        for (k, r) in branch.enumerated() {
            guard r.values.count >= 11 else {
                fail(
                    r.line, "E-GRID-065",
                    "a branch row has at least 11 columns (fbus tbus r x b rateA rateB rateC ratio angle status)")
                continue
            }
            guard let f = busIndex(r.values[0], r.line, "branch"), let t = busIndex(r.values[1], r.line, "branch")
            else { continue }
            if r.values[10] != 0 && r.values[2] == 0 && r.values[3] == 0 {
                fail(
                    r.line, "E-GRID-010", "branch \(whole(r.values[0]))–\(whole(r.values[1])) has zero impedance",
                    hint: "merge the two buses instead")
            }
            from.append(Int32(f))
            to.append(Int32(t))
            rr.append(r.values[2])
            xx.append(r.values[3])
            bb.append(r.values[4])
            tap.append(r.values[8] == 0 ? 1 : r.values[8])
            shift.append(r.values[9])
            status.append(r.values[10] != 0)
            names.append("branch:\(k)")
        }
        if !type.contains(.slack) {
            fail(nil, "E-GRID-011", "no slack bus (type 3)", hint: "the case needs a reference bus")
        }
        if !problems.isEmpty { throw InputError(problems) }
        for i in type.indices
        where type[i] == .pv && !gen.contains(where: { index[whole($0.values[0])] == i && $0.values[7] > 0 }) {
            type[i] = .pq
        }
        return PowerNetwork(
            baseMVA: base, busType: type, pd: pd, qd: qd, gs: bus.map { $0.values[4] }, bs: bus.map { $0.values[5] },
            baseKV: bus.map { $0.values[9] },
            vmSet: vm, vaSetDeg: va, from: from, to: to, r: rr, x: xx, b: bb, g: .init(repeating: 0, count: from.count),
            tap: tap, shiftDeg: shift, inService: status, branchNames: names)
    }
}

/// A table value as a whole number (Int.min, which matches no id or type, when it is not one): never a trap.
func whole(_ v: Double) -> Int { Int(exactly: v) ?? Int.min }
