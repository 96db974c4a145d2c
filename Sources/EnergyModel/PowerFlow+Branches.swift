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
        pFromMW = z; qFromMvar = z; pToMW = z; qToMvar = z; iFromKA = z; iToKA = z; loadingPercent = z; lossMW = z
    }
}

extension PowerNetwork {
    public func branchFlows(_ s: PowerFlow.Solution) -> BranchFlows {
        var out = BranchFlows(count: branchCount)
        branchFlows(s, into: &out)
        return out
    }

    /// The same into existing storage (time series: no allocation per step).
    public func branchFlows(_ s: PowerFlow.Solution, into out: inout BranchFlows) {
        let m = branchCount
        if out.pFromMW.count != m { out = BranchFlows(count: m) }
        for k in 0..<m {
            guard inService[k] else {
                out.pFromMW[k] = 0; out.qFromMvar[k] = 0; out.pToMW[k] = 0; out.qToMvar[k] = 0
                out.iFromKA[k] = 0; out.iToKA[k] = 0; out.loadingPercent[k] = 0; out.lossMW[k] = 0
                continue
            }
            let f = Int(from[k]), t = Int(to[k])
            let vf = Complex(s.vre[f], s.vim[f]), vt = Complex(s.vre[t], s.vim[t])
            let ys = Complex(1, 0) / Complex(r[k], x[k]), ytt = ys + Complex(g[k] / 2, b[k] / 2)
            let tm = tap[k] == 0 ? 1 : tap[k], sh = shiftDeg[k] * .pi / 180
            let tc = Complex(tm * cos(sh), tm * sin(sh)), tconj = Complex(tc.re, -tc.im)
            let i_f = ytt * vf * (1 / (tm * tm)) + (Complex(0, 0) + ys * Complex(-1, 0)) / tconj * vt
            let i_t = (ys * Complex(-1, 0)) / tc * vf + ytt * vt
            let sf = vf * Complex(i_f.re, -i_f.im), st = vt * Complex(i_t.re, -i_t.im)
            out.pFromMW[k] = sf.re * baseMVA; out.qFromMvar[k] = sf.im * baseMVA
            out.pToMW[k] = st.re * baseMVA; out.qToMvar[k] = st.im * baseMVA
            out.lossMW[k] = (sf.re + st.re) * baseMVA
            let af = (i_f.re * i_f.re + i_f.im * i_f.im).squareRoot(), at = (i_t.re * i_t.re + i_t.im * i_t.im).squareRoot()
            // I_base = S_base / (√3 · V_base)
            out.iFromKA[k] = af * baseMVA / (3.0.squareRoot() * baseKV[f]); out.iToKA[k] = at * baseMVA / (3.0.squareRoot() * baseKV[t])
            if k < ratingKA.count && ratingKA[k] > 0 {
                out.loadingPercent[k] = max(out.iFromKA[k], out.iToKA[k]) / ratingKA[k] * 100
            } else if k < ratingMVA.count && ratingMVA[k] > 0 {
                // current at rated voltage: √3·V_n·I against S_n (pandapower's definition)
                out.loadingPercent[k] = max(af, at) * baseMVA / ratingMVA[k] * 100
            } else { out.loadingPercent[k] = 0 }
        }
    }
}
