import Foundation

/// Flows on every branch of a solved network (MATPOWER's branch model, like the admittance matrix):
/// I_f = (y_s + y_sh/2)/|t|²·V_f − y_s/conj(t)·V_t, I_t = −y_s/t·V_f + (y_s + y_sh/2)·V_t, S = V·conj(I).
public struct BranchFlows: Sendable {
    public var pFromMW: [Double], qFromMvar: [Double], pToMW: [Double], qToMvar: [Double]
    public var iFromKA: [Double], iToKA: [Double]
    /// Current (lines, against ratingKA) or apparent power (transformers, against ratingMVA at rated voltage) in %.
    public var loadingPercent: [Double]
    public var lossMW: [Double]
    public init(count m: Int) {
        let z = [Double](repeating: 0, count: m)
        pFromMW = z
        qFromMvar = z
        pToMW = z
        qToMvar = z
        iFromKA = z
        iToKA = z
        loadingPercent = z
        lossMW = z
    }
}

/// Each branch's two-port admittances (Y_ff, Y_ft, Y_tf, Y_tt; split re/im), computed once per network so the
/// per-step flows need no division or trigonometry.
public struct BranchAdmittances: Sendable {
    public var ffR: [Double], ffI: [Double], ftR: [Double], ftI: [Double], tfR: [Double], tfI: [Double], ttR: [Double],
        ttI: [Double]
}

extension PowerNetwork {
    public func branchAdmittances() -> BranchAdmittances {
        let m = branchCount
        var a = BranchAdmittances(
            ffR: .init(repeating: 0, count: m), ffI: .init(repeating: 0, count: m), ftR: .init(repeating: 0, count: m),
            ftI: .init(repeating: 0, count: m), tfR: .init(repeating: 0, count: m), tfI: .init(repeating: 0, count: m),
            ttR: .init(repeating: 0, count: m), ttI: .init(repeating: 0, count: m))
        for k in 0..<m where r[k] != 0 || x[k] != 0 {
            let ys = Complex(1, 0) / Complex(r[k], x[k])
            let ytt = ys + Complex(g[k] / 2, b[k] / 2)
            let tm = tap[k] == 0 ? 1 : tap[k]
            let sh = shiftDeg[k] * .pi / 180
            let tc = Complex(tm * cos(sh), tm * sin(sh))
            let tconj = Complex(tc.re, -tc.im)
            let yff = ytt * (1 / (tm * tm))
            let yft = (ys * Complex(-1, 0)) / tconj
            let ytf = (ys * Complex(-1, 0)) / tc
            a.ffR[k] = yff.re
            a.ffI[k] = yff.im
            a.ftR[k] = yft.re
            a.ftI[k] = yft.im
            a.tfR[k] = ytf.re
            a.tfI[k] = ytf.im
            a.ttR[k] = ytt.re
            a.ttI[k] = ytt.im
        }
        return a
    }

    public func branchFlows(_ s: PowerFlow.Solution) -> BranchFlows {
        var out = BranchFlows(count: branchCount)
        branchFlows(s, admittances: branchAdmittances(), into: &out)
        return out
    }

    /// The same into existing storage, with the admittances computed once (time series: no allocation per step).
    public func branchFlows(_ s: PowerFlow.Solution, admittances y: BranchAdmittances, into out: inout BranchFlows) {
        let m = branchCount
        if out.pFromMW.count != m { out = BranchFlows(count: m) }
        let sqrt3 = 3.0.squareRoot()
        for k in 0..<m {
            guard inService[k] else {
                out.pFromMW[k] = 0
                out.qFromMvar[k] = 0
                out.pToMW[k] = 0
                out.qToMvar[k] = 0
                out.iFromKA[k] = 0
                out.iToKA[k] = 0
                out.loadingPercent[k] = 0
                out.lossMW[k] = 0
                continue
            }
            let f = Int(from[k])
            let t = Int(to[k])
            let vf = Complex(s.vre[f], s.vim[f])
            let vt = Complex(s.vre[t], s.vim[t])
            let i_f = Complex(y.ffR[k], y.ffI[k]) * vf + Complex(y.ftR[k], y.ftI[k]) * vt
            let i_t = Complex(y.tfR[k], y.tfI[k]) * vf + Complex(y.ttR[k], y.ttI[k]) * vt
            let sf = vf * Complex(i_f.re, -i_f.im)
            let st = vt * Complex(i_t.re, -i_t.im)
            out.pFromMW[k] = sf.re * baseMVA
            out.qFromMvar[k] = sf.im * baseMVA
            out.pToMW[k] = st.re * baseMVA
            out.qToMvar[k] = st.im * baseMVA
            out.lossMW[k] = (sf.re + st.re) * baseMVA
            let af = (i_f.re * i_f.re + i_f.im * i_f.im).squareRoot()
            let at = (i_t.re * i_t.re + i_t.im * i_t.im).squareRoot()
            // I_base = S_base / (√3 · V_base)
            out.iFromKA[k] = af * baseMVA / (sqrt3 * baseKV[f])
            out.iToKA[k] = at * baseMVA / (sqrt3 * baseKV[t])
            if k < ratingKA.count && ratingKA[k] > 0 {
                out.loadingPercent[k] = max(out.iFromKA[k], out.iToKA[k]) / ratingKA[k] * 100
            } else if k < ratingMVA.count && ratingMVA[k] > 0 {
                // current at rated voltage: √3·V_n·I against S_n (pandapower's definition)
                out.loadingPercent[k] = max(af, at) * baseMVA / ratingMVA[k] * 100
            } else {
                out.loadingPercent[k] = 0
            }
        }
    }
}
