import Foundation
import SimCore

/// Where each asset of a `Grid` ended up in its bus-branch model.
public struct GridMapping: Sendable {
    /// Solver bus of each grid bus (−1: out of service).
    public var solverBus: [Int32]
    /// Branch of each line / transformer (−1: out of service or both ends switched open).
    public var lineBranch: [Int32], trafoBranch: [Int32]
    /// Solver bus of each load / static generator (−1: not connected).
    public var loadBus: [Int32], sgenBus: [Int32]
}

extension Grid {
    /// The per-unit bus-branch model (MATPOWER's, on `snMVA` and each bus's nominal kV) and where every asset went.
    ///
    /// - Closed bus-bus switches merge buses (union-find); an open line or transformer switch disconnects that end,
    ///   which then hangs on an auxiliary bus (the line's charging stays in the model, as pandapower does); both
    ///   ends open takes the branch out.
    /// - Lines: z_pu = (r + jx)/parallel / (V_n²/S_base), y_pu = (g + jb)·parallel · V_n²/S_base.
    /// - Transformers (pandapower's T model, referred to the low-voltage side): z_k = v_k/100, r_k = v_kr/100,
    ///   x_k = √(z_k² − r_k²) and the magnetising admittance g_m = P_fe/S_n, |y_m| = i_0/100, b_m = −√(y_m² − g_m²)
    ///   on the transformer's own base, converted by (V_n,lv/V_bus,lv)²·S_base/S_n; the T (series halves around the
    ///   magnetising branch) becomes a pi by the star–delta transform (Kennelly 1899). Off-nominal ratio
    ///   (V_hv/V_lv)/(V_bus,hv/V_bus,lv) times the tap changer's, phase shift on the high-voltage (from) side.
    /// - Every in-service external grid makes its bus a slack bus. Buses no source reaches are isolated (type 4);
    ///   if such an island carries load or generation the grid is rejected (`validateIslands`), since that demand
    ///   could not be served.
    public func busBranchModel(origin: String = "grid", validateIslands: Bool = true) throws -> (
        PowerNetwork, GridMapping
    ) {
        var problems: [Diagnostic] = []
        let here = SourceLocation(file: origin)
        func fail(_ code: String, _ key: String, _ message: String, hint: String? = nil) {
            problems.append(Diagnostic(here, code: code, keyPath: key, message: message, hint: hint))
        }
        guard snMVA > 0, snMVA.isFinite else {
            throw InputError(
                here, code: "E-GRID-002", keyPath: "sn_mva", message: "the system base power must be positive")
        }
        let nbus = buses.count
        func validBus(_ b: Int, _ key: String) -> Bool {
            if b >= 0 && b < nbus { return true }
            fail("E-GRID-020", key, "refers to a bus that does not exist")
            return false
        }
        for (k, b) in buses.enumerated() where !(b.vnKV > 0 && b.vnKV.isFinite) {
            fail("E-GRID-021", "bus[\(k)].vn_kv", "nominal voltage \(b.vnKV) kV must be positive")
        }
        // 1. merge buses joined by closed bus-bus switches
        var parent = Array(0..<nbus)
        func root(_ i: Int) -> Int {
            var i = i
            while parent[i] != i {
                parent[i] = parent[parent[i]]
                i = parent[i]
            }
            return i
        }
        var lineOpen = [UInt8](repeating: 0, count: lines.count)
        var trafoOpen = [UInt8](repeating: 0, count: trafos.count)  // bit 0 from/hv, bit 1 to/lv
        for (k, s) in switches.enumerated() {
            let key = "switch[\(k)]"
            guard validBus(s.bus, key + ".bus") else { continue }
            switch s.kind {
            case .bus:
                guard validBus(s.element, key + ".element") else { continue }
                if s.closed && buses[s.bus].inService && buses[s.element].inService {
                    if buses[s.bus].vnKV != buses[s.element].vnKV {
                        fail(
                            "E-GRID-022", key,
                            "closes buses of different nominal voltage (\(buses[s.bus].vnKV) and \(buses[s.element].vnKV) kV)"
                        )
                    }
                    let a = root(s.bus)
                    let b = root(s.element)
                    if a != b { parent[max(a, b)] = min(a, b) }
                }
            case .line:
                guard s.element >= 0 && s.element < lines.count else {
                    fail("E-GRID-023", key + ".element", "line \(s.element) does not exist")
                    continue
                }
                let l = lines[s.element]
                guard s.bus == l.fromBus || s.bus == l.toBus else {
                    fail("E-GRID-024", key + ".bus", "the switch's bus is not an end of line \(s.element)")
                    continue
                }
                if !s.closed { lineOpen[s.element] |= s.bus == l.fromBus ? 1 : 2 }
            case .trafo:
                guard s.element >= 0 && s.element < trafos.count else {
                    fail("E-GRID-023", key + ".element", "transformer \(s.element) does not exist")
                    continue
                }
                let t = trafos[s.element]
                guard s.bus == t.hvBus || s.bus == t.lvBus else {
                    fail("E-GRID-024", key + ".bus", "the switch's bus is not an end of transformer \(s.element)")
                    continue
                }
                if !s.closed { trafoOpen[s.element] |= s.bus == t.hvBus ? 1 : 2 }
            }
        }
        // 2. solver buses
        var solverBus = [Int32](repeating: -1, count: nbus)
        var baseKV: [Double] = []
        var rootSolver = [Int32](repeating: -1, count: nbus)
        for i in 0..<nbus where buses[i].inService {
            let r = root(i)
            if rootSolver[r] < 0 {
                rootSolver[r] = Int32(baseKV.count)
                baseKV.append(buses[r].vnKV)
            }
            solverBus[i] = rootSolver[r]
        }
        var from: [Int32] = []
        var to: [Int32] = []
        var r: [Double] = []
        var x: [Double] = []
        var b: [Double] = []
        var g: [Double] = []
        var tap: [Double] = []
        var shift: [Double] = []
        var names: [String] = []
        var ratingKA: [Double] = []
        var ratingMVA: [Double] = []
        var lineBranch = [Int32](repeating: -1, count: lines.count)
        var trafoBranch = [Int32](repeating: -1, count: trafos.count)
        func auxBus(_ kv: Double) -> Int32 {
            baseKV.append(kv)
            return Int32(baseKV.count - 1)
        }
        for (k, l) in lines.enumerated() where l.inService {
            let key = "line[\(k)]"
            guard validBus(l.fromBus, key + ".from_bus"), validBus(l.toBus, key + ".to_bus") else { continue }
            guard buses[l.fromBus].inService && buses[l.toBus].inService, lineOpen[k] != 3 else { continue }
            let kv = buses[l.fromBus].vnKV
            if buses[l.toBus].vnKV != kv {
                fail(
                    "E-GRID-025", key, "joins buses of \(kv) and \(buses[l.toBus].vnKV) kV",
                    hint: "a transformer joins voltage levels")
                continue
            }
            if l.parallel < 1 {
                fail("E-GRID-026", key + ".parallel", "must be at least 1")
                continue
            }
            if !(l.rOhm >= 0 && l.xOhm.isFinite && l.bMicroS.isFinite && l.gMicroS.isFinite) {
                fail("E-GRID-027", key, "impedance values must be finite with r ≥ 0")
                continue
            }
            if l.rOhm == 0 && l.xOhm == 0 {
                fail(
                    "E-GRID-010", key, "'\(l.name)' has zero impedance",
                    hint: "join the buses with a closed bus-bus switch instead")
                continue
            }
            let zb = kv * kv / snMVA
            let par = Double(l.parallel)
            lineBranch[k] = Int32(from.count)
            from.append(lineOpen[k] & 1 != 0 ? auxBus(kv) : solverBus[l.fromBus])
            to.append(lineOpen[k] & 2 != 0 ? auxBus(kv) : solverBus[l.toBus])
            r.append(l.rOhm / par / zb)
            x.append(l.xOhm / par / zb)
            b.append(l.bMicroS * 1e-6 * par * zb)
            g.append(l.gMicroS * 1e-6 * par * zb)
            tap.append(1)
            shift.append(0)
            names.append("line:\(k)")
            ratingKA.append(l.maxIkA * par)
            ratingMVA.append(0)
        }
        for (k, t) in trafos.enumerated() where t.inService {
            let key = "trafo[\(k)]"
            guard validBus(t.hvBus, key + ".hv_bus"), validBus(t.lvBus, key + ".lv_bus") else { continue }
            guard buses[t.hvBus].inService && buses[t.lvBus].inService, trafoOpen[k] != 3 else { continue }
            guard t.snMVA > 0, t.vnHVkV > 0, t.vnLVkV > 0, t.vkPercent > 0, t.vkrPercent >= 0,
                t.vkrPercent <= t.vkPercent, t.pfeKW >= 0, t.i0Percent >= 0, t.parallel >= 1
            else {
                fail(
                    "E-GRID-028", key,
                    "'\(t.name)' needs sn_mva, vn_hv_kv, vn_lv_kv, vk_percent > 0 and 0 ≤ vkr_percent ≤ vk_percent, pfe_kw, i0_percent ≥ 0",
                    hint: "a zero short-circuit voltage would be a zero impedance")
                continue
            }
            let hvKV = buses[t.hvBus].vnKV
            let lvKV = buses[t.lvBus].vnKV
            let par = Double(t.parallel)
            let zf = (t.vnLVkV / lvKV) * (t.vnLVkV / lvKV) * snMVA / t.snMVA
            let zk = t.vkPercent / 100
            let rk = t.vkrPercent / 100
            let xk = (zk * zk - rk * rk).squareRoot()
            let zs = Complex(rk * zf / par, xk * zf / par)
            let gm = t.pfeKW / 1000 / t.snMVA
            let ym = t.i0Percent / 100
            let bm = -(max(ym * ym - gm * gm, 0)).squareRoot()
            let ysh = Complex(gm / zf * par, bm / zf * par)
            var series = zs
            var shunt = Complex(0, 0)
            if ysh.re != 0 || ysh.im != 0 {
                // star (z/2, z/2, 1/y_m) → delta: z_ab = Σ/z_c, z_ac = z_bc = Σ/(z/2); pi shunt total = 2/z_ac
                let za = zs * 0.5
                let zc = Complex(1, 0) / ysh
                let sum = za * za + za * zc * 2
                series = sum / zc
                shunt = Complex(2, 0) / (sum / za)
            }
            var ratio = (t.vnHVkV / t.vnLVkV) / (hvKV / lvKV)
            ratio = t.tapSide == .hv ? ratio * t.tapRatio : ratio / t.tapRatio
            trafoBranch[k] = Int32(from.count)
            from.append(trafoOpen[k] & 1 != 0 ? auxBus(hvKV) : solverBus[t.hvBus])
            to.append(trafoOpen[k] & 2 != 0 ? auxBus(lvKV) : solverBus[t.lvBus])
            r.append(series.re)
            x.append(series.im)
            g.append(shunt.re)
            b.append(shunt.im)
            tap.append(ratio)
            shift.append(t.shiftDeg)
            names.append("trafo:\(k)")
            ratingKA.append(0)
            ratingMVA.append(t.snMVA * t.ratingFactor * par)
        }
        let nsb = baseKV.count
        var pd = [Double](repeating: 0, count: nsb)
        var qd = pd
        var loadBus = [Int32](repeating: -1, count: loads.count)
        var sgenBus = [Int32](repeating: -1, count: sgens.count)
        for (k, l) in loads.enumerated() where validBus(l.bus, "load[\(k)].bus") {
            if !(l.pMW.isFinite && l.qMvar.isFinite && l.scaling.isFinite) {
                fail("E-GRID-029", "load[\(k)]", "p_mw, q_mvar and scaling must be finite")
                continue
            }
            let sb = solverBus[l.bus]
            loadBus[k] = sb
            if l.inService && sb >= 0 {
                pd[Int(sb)] += l.pMW * l.scaling
                qd[Int(sb)] += l.qMvar * l.scaling
            }
        }
        for (k, s) in sgens.enumerated() where validBus(s.bus, "sgen[\(k)].bus") {
            if !(s.pMW.isFinite && s.qMvar.isFinite && s.scaling.isFinite) {
                fail("E-GRID-029", "sgen[\(k)]", "p_mw, q_mvar and scaling must be finite")
                continue
            }
            let sb = solverBus[s.bus]
            sgenBus[k] = sb
            if s.inService && sb >= 0 {
                pd[Int(sb)] -= s.pMW * s.scaling
                qd[Int(sb)] -= s.qMvar * s.scaling
            }
        }
        var type = [PowerNetwork.BusType](repeating: .pq, count: nsb)
        var vmSet = [Double](repeating: 1, count: nsb)
        var vaSet = [Double](repeating: 0, count: nsb)
        for (k, e) in extGrids.enumerated() where e.inService && validBus(e.bus, "ext_grid[\(k)].bus") {
            let sb = solverBus[e.bus]
            guard sb >= 0 else {
                fail("E-GRID-030", "ext_grid[\(k)].bus", "the external grid's bus is out of service")
                continue
            }
            guard e.vmPU > 0, e.vmPU.isFinite, e.vaDeg.isFinite else {
                fail("E-GRID-031", "ext_grid[\(k)].vm_pu", "set-point must be a positive voltage")
                continue
            }
            type[Int(sb)] = .slack
            vmSet[Int(sb)] = e.vmPU
            vaSet[Int(sb)] = e.vaDeg
        }
        if !extGrids.contains(where: \.inService) {
            fail(
                "E-GRID-011", "ext_grid", "no external grid in service: nothing feeds the grid",
                hint: "add an ext_grid at the substation bus")
        }
        if !problems.isEmpty { throw InputError(problems) }
        var net = PowerNetwork(
            baseMVA: snMVA, busType: type, pd: pd, qd: qd, gs: .init(repeating: 0, count: nsb),
            bs: .init(repeating: 0, count: nsb),
            baseKV: baseKV, vmSet: vmSet, vaSetDeg: vaSet, from: from, to: to, r: r, x: x, b: b, g: g,
            tap: tap, shiftDeg: shift, inService: .init(repeating: true, count: from.count), branchNames: names)
        net.ratingKA = ratingKA
        net.ratingMVA = ratingMVA
        // 3. islands without a source
        let energised = net.energisedBuses()
        for i in 0..<nsb where !energised[i] { net.busType[i] = .isolated }
        if validateIslands {
            var stranded: [String] = []
            for (k, l) in loads.enumerated()
            where l.inService && loadBus[k] >= 0 && !energised[Int(loadBus[k])] && (l.pMW != 0 || l.qMvar != 0) {
                stranded.append("load \(k) '\(l.name)'")
            }
            for (k, s) in sgens.enumerated()
            where s.inService && sgenBus[k] >= 0 && !energised[Int(sgenBus[k])] && (s.pMW != 0 || s.qMvar != 0) {
                stranded.append("sgen \(k) '\(s.name)'")
            }
            if !stranded.isEmpty {
                throw InputError(
                    here, code: "E-GRID-032", keyPath: "switch",
                    message:
                        "\(stranded.count) load(s)/generator(s) sit on an island no external grid reaches, e.g. \(stranded.prefix(3).joined(separator: ", "))",
                    hint: "close a switch or add a line to connect them, or set them out of service")
            }
        }
        return (
            net,
            GridMapping(
                solverBus: solverBus, lineBranch: lineBranch, trafoBranch: trafoBranch, loadBus: loadBus,
                sgenBus: sgenBus)
        )
    }
}

/// Minimal complex arithmetic for set-up code (the solver's hot loops work on split re/im arrays).
struct Complex: Sendable {
    var re: Double, im: Double
    init(_ re: Double, _ im: Double) {
        self.re = re
        self.im = im
    }
    static func + (a: Complex, b: Complex) -> Complex { Complex(a.re + b.re, a.im + b.im) }
    static func * (a: Complex, b: Complex) -> Complex { Complex(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re) }
    static func * (a: Complex, s: Double) -> Complex { Complex(a.re * s, a.im * s) }
    static func / (a: Complex, b: Complex) -> Complex {
        let d = b.re * b.re + b.im * b.im
        return Complex((a.re * b.re + a.im * b.im) / d, (a.im * b.re - a.re * b.im) / d)
    }
}
