import Foundation
import SimCore

/// AC power flow on one topology of a `PowerNetwork`, balanced positive sequence.
///
/// - Newton-Raphson in polar form (Tinney & Hart 1967, IEEE Trans. PAS-86): unknowns θ of PV/PQ buses and |V| of PQ
///   buses; mismatch ΔS = V ∘ conj(Y V) − S_spec; derivatives dS/dθ = j·diag(V)·conj(diag(I) − Y·diag(V)) and
///   dS/d|V| = diag(V)·conj(Y·diag(V/|V|)) + conj(diag(I))·diag(V/|V|) (the complex form of the polar Jacobian, as in
///   Zimmerman's MATPOWER technical note 2). The Jacobian is sparse, its pattern fixed by Y's: KLU analyses it once
///   per topology and refactors it each iteration.
/// - Fixed-point current injection on the factorised admittance matrix (the "Z-bus Gauss" / implicit Z-bus method,
///   e.g. Teng 2003, IEEE Trans. Power Delivery 18(3)): Y_LL V_L = conj(S_L / V_L) − Y_LS V_S. Y is factorised once
///   per topology, so each iteration is one forward/back substitution. After an iteration, the power mismatch at
///   every PQ bus is exactly S_i (V_i,new/V_i,old − 1), so it stops on the same criterion as Newton (largest
///   |ΔS| ≤ tolerance) and reaches the same solution. Only for grids whose buses are all PQ (distribution feeders);
///   it falls back to Newton if it has not converged in `maxFixedPointIterations`. Anderson acceleration of depth one
///   (Walker & Ni 2011, SIAM J. Numer. Anal. 49(4)) mixes the last two images; the convergence test is unchanged
///   (the mismatch identity holds at every image g(x)).
/// - Newton also stops, converged, when the mismatch is within 1000× the tolerance and an iteration no longer
///   halves it: the rounding floor of the mismatch sums (case69 on its 10 MVA base stalls at 2e-11 MVA).
/// - Start: flat magnitudes and DC-power-flow angles including transformer phase shifts (B θ = P − P_shift,
///   Stott & Alsaç's DC model with MATPOWER's phase-shifter injections); a flat start does not converge with Dyn5
///   transformers' 150°. Later solves start from the previous solution (warm start).
///
/// Buses that no slack bus reaches are dead: voltage 0, left out of both methods. One instance per topology
/// (`PowerFlow(network)` again after a switch operation or a trip); not shared between threads.
public final class PowerFlow {
    public enum Method: String, Sendable, CaseIterable { case newton, currentInjection = "current-injection" }
    public struct Options: Sendable {
        /// Largest acceptable |ΔP|, |ΔQ| at any bus, in MVA (pandapower's `tolerance_mva`).
        public var toleranceMVA: Double = 1e-11
        public var maxIterations: Int = 30
        public var maxFixedPointIterations: Int = 200
        public var method: Method = .currentInjection
        public init(toleranceMVA: Double = 1e-11, method: Method = .currentInjection) {
            self.toleranceMVA = toleranceMVA
            self.method = method
        }
    }
    public struct Solution: Sendable {
        public var vm: [Double], vaDeg: [Double]  // per bus; dead buses 0 and 0
        public var vre: [Double], vim: [Double]  // the same in rectangular form (pu)
        public var iterations: Int
        public var mismatchMVA: Double
        public var converged: Bool
        public var method: Method
        /// Supply from the slack buses and losses (branches), MW / Mvar.
        public var slackP: Double, slackQ: Double, lossP: Double, lossQ: Double
    }

    public let network: PowerNetwork
    public let energised: [Bool]
    let nb: Int
    // admittance matrix, compressed columns, split re/im
    let yp: [Int32], yi: [Int32], yr: [Double], yx: [Double]
    // Newton: unknown numbering and where each Y entry's four derivatives go in the Jacobian
    let thetaRow: [Int32], vmRow: [Int32]
    let jp: [Int32], ji: [Int32]
    let mPT: [Int32], mPV: [Int32], mQT: [Int32], mQV: [Int32]
    var jacobian: SparseLU?
    // current injection: Y_LL over live non-slack buses
    let fixedPointOK: Bool
    var yLL: SparseLU?
    var lIndex: [Int32] = [], lBus: [Int32] = []
    // state (warm start): rectangular voltages; Newton works on a polar copy
    var ur: [Double], ui: [Double]
    var vm: [Double], va: [Double]
    // scratch buffers reused across solves (no allocation per step)
    var ire: [Double] = [], iim: [Double] = [], fixRe: [Double] = [], fixIm: [Double] = [], lre: [Double] = [],
        lim: [Double] = [], rhs: [Double] = []
    var started = false
    public private(set) var newtonFallbacks = 0

    public init(_ network: PowerNetwork) throws {
        self.network = network
        nb = network.busCount
        var live = network.energisedBuses()
        for i in 0..<nb where network.busType[i] == .isolated { live[i] = false }
        energised = live
        // Y in coordinate form → compressed columns (sum duplicates; every live diagonal present)
        var tr: [(Int32, Int32, Double, Double)] = []
        for i in 0..<nb where live[i] {
            tr.append((Int32(i), Int32(i), network.gs[i] / network.baseMVA, network.bs[i] / network.baseMVA))
        }
        for k in 0..<network.branchCount where network.inService[k] {
            let f = Int(network.from[k])
            let t = Int(network.to[k])
            guard live[f] && live[t] else { continue }
            let z2 = network.r[k] * network.r[k] + network.x[k] * network.x[k]
            guard z2 > 0 else {
                throw RunError("\(network.branchNames[k]) has zero impedance", hint: "merge its buses instead")
            }
            let ysr = network.r[k] / z2
            let ysi = -network.x[k] / z2
            let tm = network.tap[k] == 0 ? 1 : network.tap[k]
            let sh = network.shiftDeg[k] * .pi / 180
            let tr_ = tm * cos(sh)
            let ti = tm * sin(sh)
            let d = tm * tm
            let ttr = ysr + network.g[k] / 2
            let tti = ysi + network.b[k] / 2
            tr.append((Int32(t), Int32(t), ttr, tti))
            tr.append((Int32(f), Int32(f), ttr / d, tti / d))
            tr.append((Int32(f), Int32(t), -(ysr * tr_ - ysi * ti) / d, -(ysr * ti + ysi * tr_) / d))  // −ys/conj(t)
            tr.append((Int32(t), Int32(f), -(ysr * tr_ + ysi * ti) / d, -(ysi * tr_ - ysr * ti) / d))  // −ys/t
        }
        let (p, ri, vr, vx) = compressColumns(nb, tr)
        yp = p
        yi = ri
        yr = vr
        yx = vx
        // Newton numbering: per bus θ then |V| (keeps 2×2 blocks together for the ordering)
        var tRow = [Int32](repeating: -1, count: nb)
        var vRow = tRow
        var n = Int32(0)
        for i in 0..<nb where live[i] && network.busType[i] != .slack {
            tRow[i] = n
            n += 1
            if network.busType[i] == .pq {
                vRow[i] = n
                n += 1
            }
        }
        thetaRow = tRow
        vmRow = vRow
        let nnzY = ri.count
        var pt = [Int32](repeating: -1, count: nnzY)
        var pv = pt
        var qt = pt
        var qv = pt
        var cp: [Int32] = [0]
        var ci: [Int32] = []
        for j in 0..<nb where tRow[j] >= 0 {
            for isV in [false, true] where !isV || vRow[j] >= 0 {
                for k in Int(p[j])..<Int(p[j + 1]) {
                    let i = Int(ri[k])
                    if tRow[i] >= 0 {
                        if isV { pv[k] = Int32(ci.count) } else { pt[k] = Int32(ci.count) }
                        ci.append(tRow[i])
                    }
                    if vRow[i] >= 0 {
                        if isV { qv[k] = Int32(ci.count) } else { qt[k] = Int32(ci.count) }
                        ci.append(vRow[i])
                    }
                }
                cp.append(Int32(ci.count))
            }
        }
        jp = cp
        ji = ci
        mPT = pt
        mPV = pv
        mQT = qt
        mQV = qv
        fixedPointOK = !(0..<nb).contains { live[$0] && network.busType[$0] == .pv }
        vm = [Double](repeating: 0, count: nb)
        va = vm
        ur = vm
        ui = vm
    }

    func toRectangular() {
        for i in 0..<nb {
            ur[i] = vm[i] * cos(va[i])
            ui[i] = vm[i] * sin(va[i])
        }
    }
    func toPolar() {
        for i in 0..<nb {
            vm[i] = (ur[i] * ur[i] + ui[i] * ui[i]).squareRoot()
            va[i] = atan2(ui[i], ur[i])
        }
    }

    /// Sets the start to flat magnitudes (set-points at slack/PV buses) and DC angles; the next solve uses it.
    public func resetStart() throws {
        if let (r, i) = start {
            ur = r
            ui = i
            started = true
            return
        }
        for i in 0..<nb {
            vm[i] = energised[i] ? (network.busType[i] == .pq ? 1 : network.vmSet[i]) : 0
            va[i] = 0
        }
        try dcAngles()
        toRectangular()
        start = (ur, ui)
        started = true
    }
    /// The voltages a warm start continues from (rectangular, per unit), for checkpoints; nil before the first solve.
    public var warmState: [Double]? {
        get { started ? ur + ui : nil }
        set {
            guard let v = newValue, v.count == 2 * nb else {
                started = false
                return
            }
            ur = Array(v[0..<nb])
            ui = Array(v[nb...])
            started = true
        }
    }
    /// The flat/DC start (it depends on the topology and the network's base demand only), computed once.
    var start: ([Double], [Double])?

    /// Solves with net demand `pd`, `qd` per bus (MW, Mvar; generation negative), from the previous solution.
    public func solve(pd: [Double], qd: [Double], options: Options = Options()) throws -> Solution {
        precondition(pd.count == nb && qd.count == nb)
        if !started { try resetStart() }
        let base = network.baseMVA
        let tol = options.toleranceMVA / base
        var sr = [Double](repeating: 0, count: nb)
        var si = sr
        for i in 0..<nb where energised[i] {
            sr[i] = -pd[i] / base
            si[i] = -qd[i] / base
        }
        var method = options.method
        var iterations = 0
        var worst = Double.infinity
        var converged = false
        if method == .currentInjection && fixedPointOK {
            (iterations, worst) = try fixedPoint(sr, si, tol, options.maxFixedPointIterations)
            converged = worst <= tol
            if !converged {
                newtonFallbacks += 1
                method = .newton
            }
        } else {
            method = .newton
        }
        if method == .newton {
            let (it, w, ok) = try newton(sr, si, tol, options.maxIterations)
            iterations += it
            worst = w
            converged = ok
        }
        return solution(iterations: iterations, mismatch: worst * base, converged: converged, method: method)
    }

    // MARK: Newton-Raphson

    func newton(_ sr: [Double], _ si: [Double], _ tol: Double, _ maxIt: Int) throws -> (Int, Double, Bool) {
        let n = jp.count - 1
        if n == 0 { return (0, 0, true) }
        if jacobian == nil { jacobian = try SparseLU(n: n, colPtr: jp, rowIdx: ji, scalar: .real) }
        var vre = [Double](repeating: 0, count: nb)
        var vim = vre
        var ire = vre
        var iim = vre
        var f = [Double](repeating: 0, count: n)
        var jv = [Double](repeating: 0, count: ji.count)
        var it = 0
        var worst = Double.infinity
        var previous = Double.infinity
        var atFloor = false
        toPolar()
        defer { toRectangular() }
        while true {
            for i in 0..<nb {
                vre[i] = vm[i] * cos(va[i])
                vim[i] = vm[i] * sin(va[i])
            }
            currents(vre, vim, &ire, &iim)
            worst = 0
            for i in 0..<nb where thetaRow[i] >= 0 {
                let mr = vre[i] * ire[i] + vim[i] * iim[i] - sr[i]  // Re(V conj(I)) − P
                f[Int(thetaRow[i])] = mr
                worst = max(worst, abs(mr))
                if vmRow[i] >= 0 {
                    let mq = vim[i] * ire[i] - vre[i] * iim[i] - si[i]
                    f[Int(vmRow[i])] = mq
                    worst = max(worst, abs(mq))
                }
            }
            if worst <= tol || it >= maxIt || !worst.isFinite { break }
            // at the rounding floor a step no longer changes the state: the mismatch cannot get smaller
            if worst < 1e3 * tol && worst > 0.5 * previous {
                atFloor = true
                break
            }
            previous = worst
            for j in 0..<nb where thetaRow[j] >= 0 {
                let invVj = 1 / vm[j]
                for k in Int(yp[j])..<Int(yp[j + 1]) {
                    let i = Int(yi[k])
                    if thetaRow[i] < 0 { continue }
                    // a = V_i conj(Y_ij V_j)
                    let yvr = yr[k] * vre[j] - yx[k] * vim[j]
                    let yvi = yr[k] * vim[j] + yx[k] * vre[j]
                    let ar = vre[i] * yvr + vim[i] * yvi
                    let ai = vim[i] * yvr - vre[i] * yvi
                    var dtr = ai
                    var dti = -ar  // −j a
                    var dvr = ar * invVj
                    var dvi = ai * invVj  // a / |V_j|
                    if i == j {
                        // + j V_i conj(I_i);  + conj(I_i) V_i / |V_i|
                        let br = vre[i] * ire[i] + vim[i] * iim[i]
                        let bi = vim[i] * ire[i] - vre[i] * iim[i]
                        dtr -= bi
                        dti += br
                        dvr += br * invVj
                        dvi += bi * invVj
                    }
                    if mPT[k] >= 0 { jv[Int(mPT[k])] = dtr }
                    if mQT[k] >= 0 { jv[Int(mQT[k])] = dti }
                    if mPV[k] >= 0 { jv[Int(mPV[k])] = dvr }
                    if mQV[k] >= 0 { jv[Int(mQV[k])] = dvi }
                }
            }
            try jacobian!.factor(&jv)
            jacobian!.solve(&f)
            for i in 0..<nb where thetaRow[i] >= 0 {
                va[i] -= f[Int(thetaRow[i])]
                if vmRow[i] >= 0 { vm[i] -= f[Int(vmRow[i])] }
            }
            it += 1
        }
        return (it, worst, worst <= tol || atFloor)
    }

    /// I = Y V over the compressed columns.
    func currents(_ vre: [Double], _ vim: [Double], _ ire: inout [Double], _ iim: inout [Double]) {
        for i in 0..<nb {
            ire[i] = 0
            iim[i] = 0
        }
        for j in 0..<nb {
            let a = vre[j]
            let b = vim[j]
            if a == 0 && b == 0 { continue }
            for k in Int(yp[j])..<Int(yp[j + 1]) {
                let i = Int(yi[k])
                ire[i] += yr[k] * a - yx[k] * b
                iim[i] += yr[k] * b + yx[k] * a
            }
        }
    }

    // MARK: fixed-point current injection

    /// Anderson acceleration of the fixed point (depth 1).
    public var accelerate = true

    func fixedPoint(_ sr: [Double], _ si: [Double], _ tol: Double, _ maxIt: Int) throws -> (Int, Double) {
        if yLL == nil {
            var idx = [Int32](repeating: -1, count: nb)
            var buses: [Int32] = []
            for i in 0..<nb where energised[i] && network.busType[i] == .pq {
                idx[i] = Int32(buses.count)
                buses.append(Int32(i))
            }
            lIndex = idx
            lBus = buses
            var cp: [Int32] = [0]
            var ci: [Int32] = []
            var cv: [Double] = []
            for j in buses.map(Int.init) {
                for k in Int(yp[j])..<Int(yp[j + 1]) where idx[Int(yi[k])] >= 0 {
                    ci.append(idx[Int(yi[k])])
                    cv.append(yr[k])
                    cv.append(yx[k])
                }
                cp.append(Int32(ci.count))
            }
            let lu = try SparseLU(n: buses.count, colPtr: cp, rowIdx: ci, scalar: .complex)
            try lu.factor(&cv)
            yLL = lu
        }
        let nl = lBus.count
        if nl == 0 { return (0, 0) }
        if rhs.count != 2 * nl {
            fixRe = .init(repeating: 0, count: nl)
            fixIm = fixRe
            lre = fixRe
            lim = fixRe
            rhs = .init(repeating: 0, count: 2 * nl)
        }
        // the slack buses' fixed contribution −Y_LS V_S
        var fixedRe = fixRe
        var fixedIm = fixIm
        fixRe = []
        fixIm = []
        defer {
            fixRe = fixedRe
            fixIm = fixedIm
        }
        for l in 0..<nl {
            fixedRe[l] = 0
            fixedIm[l] = 0
        }
        for j in 0..<nb where energised[j] && lIndex[j] < 0 {
            let a = ur[j]
            let b = ui[j]
            for k in Int(yp[j])..<Int(yp[j + 1]) {
                let l = Int(lIndex[Int(yi[k])])
                if l < 0 { continue }
                fixedRe[l] -= yr[k] * a - yx[k] * b
                fixedIm[l] -= yr[k] * b + yx[k] * a
            }
        }
        var vre = lre
        var vim = lim
        var rhs = self.rhs
        lre = []
        lim = []
        self.rhs = []
        defer {
            lre = vre
            lim = vim
            self.rhs = rhs
        }
        for l in 0..<nl {
            let i = Int(lBus[l])
            vre[l] = ur[i]
            vim[l] = ui[i]
        }
        // the specified injections in L order, and 1/|V|² of the current iterate
        var pl = [Double](repeating: 0, count: nl)
        var ql = pl
        var inv = pl
        var fPrev = [Double](repeating: 0, count: 2 * nl)
        var gPrev = fPrev
        for l in 0..<nl {
            let i = Int(lBus[l])
            pl[l] = sr[i]
            ql[l] = si[i]
        }
        var it = 0
        var worst = Double.infinity
        while it < maxIt {
            for l in 0..<nl {
                // conj(S / V) = conj(S) · V / |V|²
                let d = 1 / (vre[l] * vre[l] + vim[l] * vim[l])
                inv[l] = d
                rhs[2 * l] = (pl[l] * vre[l] + ql[l] * vim[l]) * d + fixedRe[l]
                rhs[2 * l + 1] = (pl[l] * vim[l] - ql[l] * vre[l]) * d + fixedIm[l]
            }
            yLL!.solve(&rhs)
            // rhs = g(x): the mismatch at g(x) is S (g/x − 1) exactly, whatever x was
            worst = 0
            for l in 0..<nl {
                let nr = rhs[2 * l]
                let ni = rhs[2 * l + 1]
                let dr = nr - vre[l]
                let di = ni - vim[l]
                let d = inv[l]
                let qr = (dr * vre[l] + di * vim[l]) * d
                let qi = (di * vre[l] - dr * vim[l]) * d
                let mr = pl[l] * qr - ql[l] * qi
                let mi = pl[l] * qi + ql[l] * qr
                worst = max(worst, abs(mr), abs(mi))
            }
            it += 1
            if worst <= tol || !worst.isFinite || !accelerate {
                for l in 0..<nl {
                    vre[l] = rhs[2 * l]
                    vim[l] = rhs[2 * l + 1]
                }
                if worst <= tol || !worst.isFinite { break }
                continue
            }
            // Anderson acceleration with one previous iterate (Walker & Ni 2011): with f = g(x) − x,
            // x⁺ = g_k − γ (g_k − g_{k−1}), γ minimising |f_k − γ (f_k − f_{k−1})|
            var num = 0.0
            var den = 0.0
            if it > 1 {
                for l in 0..<nl {
                    let fr = rhs[2 * l] - vre[l]
                    let fi = rhs[2 * l + 1] - vim[l]
                    let dr = fr - fPrev[2 * l]
                    let di = fi - fPrev[2 * l + 1]
                    num += dr * fr + di * fi
                    den += dr * dr + di * di
                    fPrev[2 * l] = fr
                    fPrev[2 * l + 1] = fi
                }
            } else {
                for l in 0..<nl {
                    fPrev[2 * l] = rhs[2 * l] - vre[l]
                    fPrev[2 * l + 1] = rhs[2 * l + 1] - vim[l]
                }
            }
            let gamma = it > 1 && den > 0 ? num / den : 0
            for l in 0..<nl {
                let gr = rhs[2 * l]
                let gi = rhs[2 * l + 1]
                vre[l] = gr - gamma * (gr - gPrev[2 * l])
                vim[l] = gi - gamma * (gi - gPrev[2 * l + 1])
                gPrev[2 * l] = gr
                gPrev[2 * l + 1] = gi
            }
        }
        if worst.isFinite {
            for l in 0..<nl {
                let i = Int(lBus[l])
                ur[i] = vre[l]
                ui[i] = vim[l]
            }
        } else {
            try resetStart()
        }
        return (it, worst)
    }

    // MARK: DC start

    /// B θ = P_spec − P_shift for the non-slack live buses, with b = 1/(x·tap) per branch and the phase shifters'
    /// equivalent injections ±b·shift; slack angles fixed at their set-points.
    func dcAngles() throws {
        var unk = [Int32](repeating: -1, count: nb)
        var n = 0
        for i in 0..<nb where energised[i] && network.busType[i] != .slack {
            unk[i] = Int32(n)
            n += 1
        }
        if n == 0 { return }
        for i in 0..<nb where network.busType[i] == .slack && energised[i] { va[i] = network.vaSetDeg[i] * .pi / 180 }
        var rhs = [Double](repeating: 0, count: n)
        for i in 0..<nb where unk[i] >= 0 { rhs[Int(unk[i])] = -network.pd[i] / network.baseMVA }
        var tr: [(Int32, Int32, Double)] = []
        for i in 0..<nb where unk[i] >= 0 { tr.append((unk[i], unk[i], 0)) }
        for k in 0..<network.branchCount where network.inService[k] {
            let f = Int(network.from[k])
            let t = Int(network.to[k])
            guard energised[f] && energised[t] else { continue }
            let tm = network.tap[k] == 0 ? 1 : network.tap[k]
            let bk = 1 / (network.x[k] * tm)
            let sh = network.shiftDeg[k] * .pi / 180
            // flow f→t = b (θ_f − θ_t − shift): the shift acts as injections −b·shift at f, +b·shift at t
            let uf = unk[f]
            let ut = unk[t]
            if uf >= 0 {
                rhs[Int(uf)] += bk * sh
                tr.append((uf, uf, bk))
            }
            if ut >= 0 {
                rhs[Int(ut)] -= bk * sh
                tr.append((ut, ut, bk))
            }
            if uf >= 0 && ut >= 0 {
                tr.append((uf, ut, -bk))
                tr.append((ut, uf, -bk))
            }
            if uf >= 0 && ut < 0 { rhs[Int(uf)] += bk * va[t] }
            if ut >= 0 && uf < 0 { rhs[Int(ut)] += bk * va[f] }
        }
        var (cp, ci, cv, _) = compressColumns(n, tr.map { ($0.0, $0.1, $0.2, 0) })
        let lu = try SparseLU(n: n, colPtr: cp, rowIdx: ci, scalar: .real)
        try lu.factor(&cv)
        lu.solve(&rhs)
        for i in 0..<nb where unk[i] >= 0 { va[i] = rhs[Int(unk[i])] }
    }

    // MARK: results

    func solution(iterations: Int, mismatch: Double, converged: Bool, method: Method) -> Solution {
        var vre = [Double](repeating: 0, count: nb)
        var vim = vre
        var mag = vre
        var ang = vre
        if ire.count != nb {
            ire = vre
            iim = vre
        }
        var ire = self.ire
        var iim = self.iim
        self.ire = []
        self.iim = []
        defer {
            self.ire = ire
            self.iim = iim
        }
        for i in 0..<nb where energised[i] {
            vre[i] = ur[i]
            vim[i] = ui[i]
            mag[i] = (ur[i] * ur[i] + ui[i] * ui[i]).squareRoot()
            ang[i] = wrappedDegrees(atan2(ui[i], ur[i]))
        }
        currents(vre, vim, &ire, &iim)
        let base = network.baseMVA
        var sp = 0.0
        var sq = 0.0
        var lp = 0.0
        var lq = 0.0
        for i in 0..<nb where energised[i] {
            let p = (vre[i] * ire[i] + vim[i] * iim[i]) * base
            let q = (vim[i] * ire[i] - vre[i] * iim[i]) * base
            if network.busType[i] == .slack {
                sp += p
                sq += q
            }
            lp += p - mag[i] * mag[i] * network.gs[i]
            lq += q + mag[i] * mag[i] * network.bs[i]
        }
        return Solution(
            vm: mag, vaDeg: ang, vre: vre, vim: vim,
            iterations: iterations, mismatchMVA: mismatch, converged: converged, method: method,
            slackP: sp, slackQ: sq, lossP: lp, lossQ: lq)
    }
}

/// Coordinate triplets (row, column, re, im) → compressed columns with sorted rows and duplicates summed.
func compressColumns(_ n: Int, _ triplets: [(Int32, Int32, Double, Double)]) -> ([Int32], [Int32], [Double], [Double]) {
    let t = triplets.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
    var cp = [Int32](repeating: 0, count: n + 1)
    var ri: [Int32] = []
    var vr: [Double] = []
    var vi: [Double] = []
    ri.reserveCapacity(t.count)
    vr.reserveCapacity(t.count)
    vi.reserveCapacity(t.count)
    var last: (Int32, Int32) = (-1, -1)
    for e in t {
        if e.0 == last.0 && e.1 == last.1 {
            vr[vr.count - 1] += e.2
            vi[vi.count - 1] += e.3
            continue
        }
        ri.append(e.0)
        vr.append(e.2)
        vi.append(e.3)
        cp[Int(e.1) + 1] += 1
        last = (e.0, e.1)
    }
    for j in 0..<n { cp[j + 1] += cp[j] }
    return (cp, ri, vr, vi)
}

/// An angle in radians as degrees in (−180°, 180°].
@inline(__always) func wrappedDegrees(_ rad: Double) -> Double {
    var d = rad * 180 / .pi
    if d > 180 || d <= -180 {
        d -= 360 * ((d + 180) / 360).rounded(.down)
        if d <= -180 { d += 360 }
    }
    return d
}
