import Foundation

/// The statistics of comparing alternatives over common seeds: paired Student-t intervals, Holm's step-down
/// adjustment over alternatives, Benjamini–Hochberg false-discovery control over entities, and the number of seeds
/// a requested interval half-width needs.
///
/// - Student's t distribution through the regularized incomplete beta function, I_x(a, b) by Lentz's continued
///   fraction (Press, Teukolsky, Vetterling & Flannery, "Numerical Recipes", 3rd ed., 2007, §6.4):
///   P(T ≤ t) = 1 − ½ I_{ν/(ν+t²)}(ν/2, ½) for t ≥ 0; quantiles by bisection on it.
/// - Holm (1979), "A simple sequentially rejective multiple test procedure", Scand. J. Statist. 6: p_(i) adjusted
///   to max_{j ≤ i} min(1, (m − j + 1) p_(j)).
/// - Benjamini & Hochberg (1995), J. R. Statist. Soc. B 57: q_(i) = min_{j ≥ i} min(1, m p_(j) / j).
/// - Seeds for a half-width h: the smallest N with t_{1−α/2, N−1} s / √N ≤ h (FHWA Traffic Analysis
///   Toolbox III, 2004, App. B, N = (2 t s / R)² with R = 2h the interval's width, solved with t at N − 1
///   degrees of freedom).
public enum PairedStatistics {
    /// A paired difference (alternative − base) over n seeds.
    public struct Difference: Sendable, Equatable {
        public var n: Int
        public var mean: Double
        public var sd: Double
        public var low: Double, high: Double
        /// Two-sided p-value of "no difference" (1 when the difference is exactly 0 on every seed, 0 when it is the
        /// same non-zero value on every seed: deterministic).
        public var p: Double
        /// Identical difference on every seed: an exact Δ, no interval.
        public var deterministic: Bool
        /// Variance of the unpaired difference over that of the paired one (> 1: pairing helped).
        public var crnFactor: Double
    }

    public static func paired(_ alternative: [Double], _ base: [Double], confidence: Double = 0.95) -> Difference {
        let n = min(alternative.count, base.count)
        let d = (0..<n).map { alternative[$0] - base[$0] }
        let mean = d.reduce(0, +) / Double(max(n, 1))
        let v = variance(d)
        let sd = v.squareRoot()
        let unpaired = variance(Array(alternative.prefix(n))) + variance(Array(base.prefix(n)))
        let factor = v > 0 ? unpaired / v : (unpaired > 0 ? .infinity : 1)
        if n < 2 || v == 0 {
            let exact = d.allSatisfy { $0 == d.first }
            return Difference(
                n: n, mean: mean, sd: 0, low: mean, high: mean, p: n < 2 ? .nan : (mean == 0 ? 1 : 0),
                deterministic: exact && n >= 2,
                crnFactor: factor)
        }
        let se = sd / Double(n).squareRoot()
        let t = quantile((1 + confidence) / 2, df: Double(n - 1))
        let p = 2 * (1 - cdf(abs(mean / se), df: Double(n - 1)))
        return Difference(
            n: n, mean: mean, sd: sd, low: mean - t * se, high: mean + t * se, p: min(1, max(0, p)),
            deterministic: false, crnFactor: factor)
    }

    /// Sample variance (n − 1 in the denominator; 0 below two values).
    public static func variance(_ x: [Double]) -> Double {
        guard x.count > 1 else { return 0 }
        let m = x.reduce(0, +) / Double(x.count)
        return x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)
    }

    /// Holm's adjusted p-values, in the input order.
    public static func holm(_ p: [Double]) -> [Double] {
        let m = p.count
        let order = p.indices.sorted { (p[$0], $0) < (p[$1], $1) }
        var out = [Double](repeating: 1, count: m)
        var running = 0.0
        for (j, i) in order.enumerated() {
            running = max(running, min(1, Double(m - j) * p[i]))
            out[i] = running
        }
        return out
    }

    /// Benjamini–Hochberg adjusted p-values (q-values), in the input order; significant where ≤ the FDR level.
    public static func benjaminiHochberg(_ p: [Double]) -> [Double] {
        let m = p.count
        let order = p.indices.sorted { (p[$0], $0) < (p[$1], $1) }
        var out = [Double](repeating: 1, count: m)
        var running = 1.0
        for j in stride(from: m - 1, through: 0, by: -1) {
            let i = order[j]
            running = min(running, min(1, Double(m) * p[i] / Double(j + 1)))
            out[i] = running
        }
        return out
    }

    /// The seeds needed for an interval half-width `h` at standard deviation `s` (at least 2).
    public static func seedsFor(halfWidth h: Double, sd s: Double, confidence: Double = 0.95) -> Int {
        guard h > 0, s > 0 else { return 2 }
        var n = 2
        while n < 1_000_000 {
            let t = quantile((1 + confidence) / 2, df: Double(n - 1))
            if t * s / Double(n).squareRoot() <= h { return n }
            n += 1
        }
        return n
    }

    /// P(T ≤ t) for Student's t with `df` degrees of freedom.
    public static func cdf(_ t: Double, df: Double) -> Double {
        let x = df / (df + t * t)
        let tail = 0.5 * incompleteBeta(x, df / 2, 0.5)
        return t >= 0 ? 1 - tail : tail
    }

    /// The p-quantile of Student's t (bisection on the distribution function to 1e-13).
    public static func quantile(_ p: Double, df: Double) -> Double {
        guard p > 0 && p < 1 else { return p <= 0 ? -.infinity : .infinity }
        var lo = -1e3
        var hi = 1e3
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if cdf(mid, df: df) < p { lo = mid } else { hi = mid }
            if hi - lo < 1e-13 { break }
        }
        return (lo + hi) / 2
    }

    /// The regularized incomplete beta function I_x(a, b).
    public static func incompleteBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let lnBeta: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let lnPowers: Double = a * log(x) + b * log(1 - x)
        let front = exp(lnBeta + lnPowers)
        // the continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise
        if x < (a + 1) / (a + b + 2) { return front * continuedFraction(x, a, b) / a }
        return 1 - front * continuedFraction(1 - x, b, a) / b
    }

    static func continuedFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...300 {
            let m = Double(m)
            let evenDen: Double = (a + 2 * m - 1) * (a + 2 * m)
            let even: Double = m * (b - m) * x / evenDen
            d = 1 + even * d
            if abs(d) < tiny { d = tiny }
            c = 1 + even / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            let oddDen: Double = (a + 2 * m) * (a + 2 * m + 1)
            let odd: Double = -(a + m) * (a + b + m) * x / oddDen
            d = 1 + odd * d
            if abs(d) < tiny { d = tiny }
            c = 1 + odd / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let del = d * c
            h *= del
            if abs(del - 1) < 1e-16 { break }
        }
        return h
    }
}
