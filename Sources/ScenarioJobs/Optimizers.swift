import Foundation
import SimCore

/// Derivative-free minimisers on the unit box [0, 1]ⁿ (a calibration maps its parameters' bounds onto it). Each
/// asks `evaluate` for a batch of points at a time (the batch runs in parallel) and stops when `evaluate` has been
/// asked for `budget` points or the method's tolerance is met. Both are deterministic: the same objective gives
/// the same sequence of points, so a calibration replays its finished batches after a kill.
public enum Optimizers {
    public typealias Evaluate = ([[Double]]) throws -> [Double]

    /// Simultaneous perturbation stochastic approximation (Spall 1992, IEEE Trans. Autom. Control 37:332–341;
    /// gains of Spall 1998, IEEE Trans. Aerosp. Electron. Syst. 34:817–823): at iteration k the gradient is
    /// estimated from two points θ ± c_k Δ (Δ of independent ±1 draws) as (y⁺ − y⁻) / (2 c_k Δᵢ), and
    /// θ ← θ − a_k ĝ with a_k = a / (k + 1 + A)^α, c_k = c / (k + 1)^γ (α = 0.602, γ = 0.101, A = 10 % of
    /// the iterations). `a` is set after the first estimate so that the first step moves the largest coordinate
    /// by `firstStep`. Points are clamped to the box.
    public struct SPSA: Sendable {
        public var c = 0.1, firstStep = 0.15, alpha = 0.602, gamma = 0.101
        /// Stream of the ±1 draws (keyed by iteration and coordinate).
        public var seed: UInt64 = 1
        public init() {}

        public func minimise(start: [Double], budget: Int, _ evaluate: Evaluate) throws -> [Double] {
            let n = start.count
            let iterations = max(1, budget / 2)
            let bigA = 0.1 * Double(iterations)
            var theta = start.map(Optimizers.clamp)
            var a: Double?
            let rng = Philox4x64(seed: seed, stream: 0x5350_5341)
            for k in 0..<iterations {
                let ck = c / pow(Double(k + 1), gamma)
                let delta = Optimizers.signs(rng, iteration: k, count: n)
                let plus = zip(theta, delta).map { Optimizers.clamp($0 + ck * $1) }
                let minus = zip(theta, delta).map { Optimizers.clamp($0 - ck * $1) }
                let y = try evaluate([plus, minus])
                let g = (0..<n).map { i in
                    plus[i] == minus[i] ? 0 : (y[0] - y[1]) / (plus[i] - minus[i])
                }
                let gmax = g.map(abs).max() ?? 0
                if a == nil, gmax > 0 { a = firstStep * pow(1 + bigA, alpha) / gmax }
                let ak = (a ?? 0) / pow(Double(k + 1) + bigA, alpha)
                theta = zip(theta, g).map { Optimizers.clamp($0 - ak * $1) }
            }
            return theta
        }
    }

    /// Adaptive SPSA ("2SPSA", Spall 2000, IEEE Trans. Autom. Control 45:1839–1853): SPSA's gradient estimate ĝ_k
    /// plus a simultaneous-perturbation estimate of the Hessian each iteration, averaged over the iterations
    /// (H̄_k = k/(k+1) H̄_{k−1} + 1/(k+1) Ĥ_k), so the step is a stochastic Newton step θ ← θ − a_k f(H̄_k)⁻¹ ĝ_k
    /// that moves a flat direction as far as a steep one (plain SPSA moves every coordinate by its own slope).
    /// Each iteration is one batch of four points, θ ± c_k Δ and θ ± c_k Δ + c̃_k Δ̃ (Δ, Δ̃ independent ±1 draws):
    /// one-sided gradients at θ ± c_k Δ give δG_k, and Ĥ_k = ½ (δG_k (2 c_k Δ)⁻ᵀ + its transpose) (Spall's eq. 2.3).
    /// f(H) = (H H)^{1/2} + δ I (eigenvalues |λ| + δ, δ = 10⁻³ of the largest) makes H̄ positive definite;
    /// a_k = ((1 + A) / (k + 1 + A))^α; a step is cut to `maxStep` in the largest coordinate. Points are clamped to
    /// the box, and differences use the clamped points.
    public struct AdaptiveSPSA: Sendable {
        public var c = 0.1, cTilde = 0.15, alpha = 0.602, gamma = 0.101, maxStep = 0.25
        /// Stream of the ±1 draws (keyed by iteration, coordinate and which perturbation).
        public var seed: UInt64 = 1
        public init() {}

        public func minimise(start: [Double], budget: Int, _ evaluate: Evaluate) throws -> [Double] {
            let n = start.count
            let iterations = max(1, budget / 4)
            let bigA = 0.1 * Double(iterations)
            var theta = start.map(Optimizers.clamp)
            var hBar = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
            let rng = Philox4x64(seed: seed, stream: 0x3253_5053)  // "2SPS"
            func step(_ x: [Double], _ d: [Double], _ s: Double) -> [Double] {
                zip(x, d).map { Optimizers.clamp($0 + s * $1) }
            }
            func slope(_ ya: Double, _ yb: Double, _ a: [Double], _ b: [Double]) -> [Double] {
                (0..<n).map { i in a[i] == b[i] ? 0 : (ya - yb) / (a[i] - b[i]) }
            }
            for k in 0..<iterations {
                let ck = c / pow(Double(k + 1), gamma)
                let ct = cTilde / pow(Double(k + 1), gamma)
                let delta = Optimizers.signs(rng, iteration: k, count: n)
                let tilde = Optimizers.signs(rng, iteration: k, count: n, perturbation: 1)
                let plus = step(theta, delta, ck)
                let minus = step(theta, delta, -ck)
                let plusT = step(plus, tilde, ct)
                let minusT = step(minus, tilde, ct)
                let y = try evaluate([plus, minus, plusT, minusT])
                let g = slope(y[0], y[1], plus, minus)
                let dG = zip(slope(y[2], y[0], plusT, plus), slope(y[3], y[1], minusT, minus)).map { $0 - $1 }
                let w = Double(k) / Double(k + 1)
                for i in 0..<n {
                    for j in 0..<n {
                        let hij = plus[j] == minus[j] ? 0 : dG[i] / (plus[j] - minus[j])
                        let hji = plus[i] == minus[i] ? 0 : dG[j] / (plus[i] - minus[i])
                        hBar[i][j] = w * hBar[i][j] + (1 - w) * 0.5 * (hij + hji)
                    }
                }
                var d = Optimizers.solvePositive(hBar, g)
                let largest = d.map(abs).max() ?? 0
                if largest > maxStep { d = d.map { $0 * maxStep / largest } }
                let ak = pow((1 + bigA) / (Double(k + 1) + bigA), alpha)
                theta = zip(theta, d).map { Optimizers.clamp($0 - ak * $1) }
            }
            return theta
        }
    }

    /// f(H)⁻¹ g for a symmetric H, f(H) = V (|Λ| + δ) Vᵀ with δ = 10⁻³ of the largest |λ| (cyclic Jacobi
    /// rotations for the eigenvectors, Golub & Van Loan §8.5); the plain gradient when H holds no curvature yet.
    static func solvePositive(_ h: [[Double]], _ g: [Double]) -> [Double] {
        let n = g.count
        var a = h
        var v = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
        for _ in 0..<50 {
            var off = 0.0
            for p in 0..<n { for q in 0..<n where p != q { off += a[p][q] * a[p][q] } }
            if off < 1e-22 { break }
            for p in 0..<n {
                for q in (p + 1)..<n where a[p][q] != 0 {
                    let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                    let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot()
                    let s = t * c
                    for k in 0..<n {
                        let (akp, akq) = (a[k][p], a[k][q])
                        a[k][p] = c * akp - s * akq
                        a[k][q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let (apk, aqk) = (a[p][k], a[q][k])
                        a[p][k] = c * apk - s * aqk
                        a[q][k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let (vkp, vkq) = (v[k][p], v[k][q])
                        v[k][p] = c * vkp - s * vkq
                        v[k][q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let lambda = (0..<n).map { abs(a[$0][$0]) }
        let top = lambda.max() ?? 0
        guard top > 0, top.isFinite else { return g }
        let delta = 1e-3 * top
        // V diag(1 / (|λ| + δ)) Vᵀ g
        let vg = (0..<n).map { j in (0..<n).reduce(0.0) { $0 + v[$1][j] * g[$1] } / (lambda[j] + delta) }
        return (0..<n).map { i in (0..<n).reduce(0.0) { $0 + v[i][$1] * vg[$1] } }
    }

    /// Nelder–Mead simplex search (Nelder & Mead 1965, Comput. J. 7:308–313; coefficients and tie rules of
    /// Lagarias, Reeds, Wright & Wright 1998, SIAM J. Optim. 9:112–147: reflection 1, expansion 2, contraction ½,
    /// shrink ½), bounded by projecting every trial point onto the box. The first simplex is the start and a step
    /// of `initialStep` along each axis (backwards where that leaves the box), evaluated as one batch; it stops
    /// when the simplex is smaller than `tolerance` in every coordinate and its values differ by less than
    /// `objectiveTolerance`.
    public struct NelderMead: Sendable {
        public var initialStep = 0.2, tolerance = 1e-3, objectiveTolerance = 1e-6
        public init() {}

        public func minimise(start: [Double], budget: Int, _ evaluate: Evaluate) throws -> [Double] {
            let n = start.count
            let x0 = start.map(Optimizers.clamp)
            var simplex = [x0]
            for i in 0..<n {
                var p = x0
                p[i] = p[i] + initialStep <= 1 ? p[i] + initialStep : p[i] - initialStep
                simplex.append(p)
            }
            var values = try evaluate(simplex)
            var used = simplex.count
            func centroid(_ skip: Int) -> [Double] {
                (0..<n).map { i in simplex.indices.filter { $0 != skip }.reduce(0) { $0 + simplex[$1][i] } / Double(n) }
            }
            func along(_ c: [Double], _ w: [Double], _ t: Double) -> [Double] {
                zip(c, w).map { Optimizers.clamp($0 + t * ($0 - $1)) }
            }
            while used < budget {
                let order = values.indices.sorted { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) }
                simplex = order.map { simplex[$0] }
                values = order.map { values[$0] }
                let size = (0..<n).map { i in simplex.map { abs($0[i] - simplex[0][i]) }.max() ?? 0 }.max() ?? 0
                if size < tolerance && values[n] - values[0] < objectiveTolerance { break }
                let c = centroid(n)
                let r = along(c, simplex[n], 1)
                let fr = try evaluate([r])[0]
                used += 1
                if fr < values[0] {
                    guard used < budget else {
                        (simplex[n], values[n]) = (r, fr)
                        break
                    }
                    let e = along(c, simplex[n], 2)
                    let fe = try evaluate([e])[0]
                    used += 1
                    (simplex[n], values[n]) = fe < fr ? (e, fe) : (r, fr)
                    continue
                }
                if fr < values[n - 1] {
                    (simplex[n], values[n]) = (r, fr)
                    continue
                }
                guard used < budget else { break }
                let outside = fr < values[n]
                let k = outside ? along(c, simplex[n], 0.5) : along(c, simplex[n], -0.5)
                let fk = try evaluate([k])[0]
                used += 1
                if outside ? fk <= fr : fk < values[n] {
                    (simplex[n], values[n]) = (k, fk)
                    continue
                }
                guard used + n <= budget else { break }
                let shrunk = (1...n).map { j in zip(simplex[0], simplex[j]).map { $0 + 0.5 * ($1 - $0) } }
                let fs = try evaluate(shrunk)
                used += n
                for j in 1...n { (simplex[j], values[j]) = (shrunk[j - 1], fs[j - 1]) }
            }
            let best = values.indices.min { values[$0] < values[$1] } ?? 0
            return simplex[best]
        }
    }

    static func clamp(_ v: Double) -> Double { min(1, max(0, v)) }

    /// Independent ±1 draws, one per coordinate, keyed by (iteration, coordinate, which perturbation).
    static func signs(_ rng: Philox4x64, iteration k: Int, count n: Int, perturbation: UInt64 = 0) -> [Double] {
        (0..<n).map { i in rng.block((UInt64(k), UInt64(i), perturbation, 0)).0 & 1 == 0 ? 1 : -1 }
    }
}
