import Foundation
import SimCore

/// AC power flow by Newton-Raphson in polar coordinates (Tinney & Hart 1967, "Power flow solution by Newton's
/// method", IEEE Trans. PAS-86): unknowns are the angles of PV and PQ buses and the magnitudes of PQ buses;
/// mismatches ΔS = S_spec − V ∘ conj(Y V). This first version factorises the Jacobian densely (partial pivoting),
/// which is exact and fast for feeders of up to a few hundred buses; the sparse KLU path comes next.
public enum NewtonRaphson {
    public struct Result: Sendable {
        public var vm: [Double], vaDeg: [Double]
        public var iterations: Int
        public var mismatch: Double          // largest |ΔP|, |ΔQ| at the end (pu)
        public var converged: Bool
        /// Slack injection and total branch losses (MW, Mvar).
        public var slackP: Double, slackQ: Double, lossP: Double, lossQ: Double
    }

    /// Bus admittance matrix (dense, real and imaginary parts), MATPOWER's branch model.
    static func admittance(_ n: PowerNetwork) -> (G: [Double], B: [Double]) {
        let nb = n.busCount
        var G = [Double](repeating: 0, count: nb * nb), B = G
        for k in 0..<n.branchCount where n.inService[k] {
            let f = Int(n.from[k]), t = Int(n.to[k])
            let z2 = n.r[k] * n.r[k] + n.x[k] * n.x[k]
            let ysr = n.r[k] / z2, ysi = -n.x[k] / z2
            let tm = n.tap[k] == 0 ? 1 : n.tap[k], sh = n.shiftDeg[k] * .pi / 180
            let tr = tm * cos(sh), ti = tm * sin(sh)
            // Ytt = ys + (g + jb)/2; Yff = Ytt / |t|²; Yft = −ys / conj(t); Ytf = −ys / t
            let ttr = ysr + n.g[k] / 2, tti = ysi + n.b[k] / 2
            G[t * nb + t] += ttr; B[t * nb + t] += tti
            G[f * nb + f] += ttr / (tm * tm); B[f * nb + f] += tti / (tm * tm)
            let d = tm * tm
            // −ys / conj(t) = −ys · t / |t|²
            G[f * nb + t] += -(ysr * tr - ysi * ti) / d; B[f * nb + t] += -(ysr * ti + ysi * tr) / d
            // −ys / t = −ys · conj(t) / |t|²
            G[t * nb + f] += -(ysr * tr + ysi * ti) / d; B[t * nb + f] += -(ysi * tr - ysr * ti) / d
        }
        for i in 0..<nb { G[i * nb + i] += n.gs[i] / n.baseMVA; B[i * nb + i] += n.bs[i] / n.baseMVA }
        return (G, B)
    }

    public static func solve(_ net: PowerNetwork, tolerance: Double = 1e-11, maxIterations: Int = 30) throws -> Result {
        let nb = net.busCount
        let (G, B) = admittance(net)
        var vm = (0..<nb).map { net.busType[$0] == .pq ? 1.0 : net.vmSet[$0] }
        var va = (0..<nb).map { net.busType[$0] == .slack ? net.vaSetDeg[$0] * .pi / 180 : 0.0 }
        let pv = (0..<nb).filter { net.busType[$0] == .pv }, pq = (0..<nb).filter { net.busType[$0] == .pq }
        let angleBuses = pv + pq
        let nA = angleBuses.count, nU = nA + pq.count
        var col = [Int](repeating: -1, count: nb), colV = [Int](repeating: -1, count: nb)
        for (k, i) in angleBuses.enumerated() { col[i] = k }
        for (k, i) in pq.enumerated() { colV[i] = nA + k }
        let pSpec = (0..<nb).map { -net.pd[$0] / net.baseMVA }, qSpec = (0..<nb).map { -net.qd[$0] / net.baseMVA }
        func injections() -> (P: [Double], Q: [Double]) {
            var P = [Double](repeating: 0, count: nb), Q = P
            for i in 0..<nb {
                var p = 0.0, q = 0.0
                for j in 0..<nb {
                    let gij = G[i * nb + j], bij = B[i * nb + j]
                    if gij == 0 && bij == 0 { continue }
                    let th = va[i] - va[j]
                    p += vm[j] * (gij * cos(th) + bij * sin(th)); q += vm[j] * (gij * sin(th) - bij * cos(th))
                }
                P[i] = vm[i] * p; Q[i] = vm[i] * q
            }
            return (P, Q)
        }
        var it = 0, worst = Double.infinity
        while true {
            let (P, Q) = injections()
            var f = [Double](repeating: 0, count: nU)
            for i in angleBuses { f[col[i]] = pSpec[i] - P[i] }
            for i in pq { f[colV[i]] = qSpec[i] - Q[i] }
            worst = f.map(abs).max() ?? 0
            if worst <= tolerance || it >= maxIterations { break }
            // Jacobian (dP/dθ, dP/dV; dQ/dθ, dQ/dV) for the unknowns
            var J = [Double](repeating: 0, count: nU * nU)
            for i in 0..<nb where col[i] >= 0 || colV[i] >= 0 {
                for j in 0..<nb {
                    let gij = G[i * nb + j], bij = B[i * nb + j]
                    if i != j && gij == 0 && bij == 0 { continue }
                    let th = va[i] - va[j], c = cos(th), s = sin(th)
                    let rowP = col[i], rowQ = colV[i]
                    if i != j {
                        let dPdT = vm[i] * vm[j] * (gij * s - bij * c), dPdV = vm[i] * (gij * c + bij * s)
                        let dQdT = -vm[i] * vm[j] * (gij * c + bij * s), dQdV = vm[i] * (gij * s - bij * c)
                        if rowP >= 0 { if col[j] >= 0 { J[rowP * nU + col[j]] += dPdT }; if colV[j] >= 0 { J[rowP * nU + colV[j]] += dPdV } }
                        if rowQ >= 0 { if col[j] >= 0 { J[rowQ * nU + col[j]] += dQdT }; if colV[j] >= 0 { J[rowQ * nU + colV[j]] += dQdV } }
                    } else {
                        let dPdT = -Q[i] - bij * vm[i] * vm[i], dPdV = P[i] / vm[i] + gij * vm[i]
                        let dQdT = P[i] - gij * vm[i] * vm[i], dQdV = Q[i] / vm[i] - bij * vm[i]
                        if rowP >= 0 { J[rowP * nU + rowP] += dPdT; if colV[i] >= 0 { J[rowP * nU + colV[i]] += dPdV } }
                        if rowQ >= 0 { J[rowQ * nU + col[i]] += dQdT; J[rowQ * nU + rowQ] += dQdV }
                    }
                }
            }
            guard let dx = denseSolve(&J, f, nU) else {
                throw RunError("the power-flow Jacobian is singular", hint: "check for islands without a source or zero-impedance branches")
            }
            for i in angleBuses { va[i] += dx[col[i]] }
            for i in pq { vm[i] += dx[colV[i]] }
            it += 1
        }
        // slack power and losses
        let (P, Q) = injections()
        var sp = 0.0, sq = 0.0
        for i in 0..<nb where net.busType[i] == .slack { sp += P[i] * net.baseMVA; sq += Q[i] * net.baseMVA }
        var lp = 0.0, lq = 0.0
        // the injections of all buses sum to what the branches and shunts consume; shunts are not branch losses
        for i in 0..<nb { lp += P[i] * net.baseMVA; lq += Q[i] * net.baseMVA }
        for i in 0..<nb { lp -= vm[i] * vm[i] * net.gs[i]; lq += vm[i] * vm[i] * net.bs[i] }
        return Result(vm: vm, vaDeg: va.map { $0 * 180 / .pi }, iterations: it, mismatch: worst, converged: worst <= tolerance,
                      slackP: sp, slackQ: sq, lossP: lp, lossQ: lq)
    }

    /// Gaussian elimination with partial pivoting; nil if singular.
    static func denseSolve(_ A: inout [Double], _ b: [Double], _ n: Int) -> [Double]? {
        var x = b
        for k in 0..<n {
            var p = k, best = abs(A[k * n + k])
            for i in (k + 1)..<max(n, k + 1) where abs(A[i * n + k]) > best { best = abs(A[i * n + k]); p = i }
            guard best > 1e-300 else { return nil }
            if p != k {
                for j in 0..<n { A.swapAt(k * n + j, p * n + j) }
                x.swapAt(k, p)
            }
            let d = A[k * n + k]
            for i in (k + 1)..<max(n, k + 1) {
                let m = A[i * n + k] / d
                if m == 0 { continue }
                for j in k..<n { A[i * n + j] -= m * A[k * n + j] }
                x[i] -= m * x[k]
            }
        }
        for k in stride(from: n - 1, through: 0, by: -1) {
            var s = x[k]
            for j in (k + 1)..<max(n, k + 1) { s -= A[k * n + j] * x[j] }
            x[k] = s / A[k * n + k]
        }
        return x
    }
}
