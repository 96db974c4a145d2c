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
                let delta = (0..<n).map { i -> Double in
                    rng.block((UInt64(k), UInt64(i), 0, 0)).0 & 1 == 0 ? 1 : -1
                }
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
}
