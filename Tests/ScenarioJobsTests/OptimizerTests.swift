import Foundation
import ScenarioJobs
import Testing

/// The calibration methods on objectives whose minimum is known: a smooth bowl with a rotated, badly scaled
/// Hessian (condition 11), a minimum on the bound, and a milder noisy bowl (condition 3.5: SPSA's steps shrink
/// as k^-0.602, so a badly scaled bowl takes it many more runs).
@Suite struct OptimizerTests {
    /// (x − 0.3)² + 10 (y − 0.7)² + 2 (x − 0.3)(y − 0.7): minimum 0 at (0.3, 0.7).
    static func bowl(_ p: [Double]) -> Double {
        let (a, b) = (p[0] - 0.3, p[1] - 0.7)
        return a * a + 10 * b * b + 2 * a * b
    }

    @Test func nelderMeadRecoversAKnownMinimum() throws {
        var batches: [Int] = []
        let best = try Optimizers.NelderMead().minimise(start: [0.9, 0.1], budget: 200) { points in
            batches.append(points.count)
            return points.map(Self.bowl)
        }
        #expect(abs(best[0] - 0.3) < 0.01 && abs(best[1] - 0.7) < 0.01, "\(best)")
        #expect(batches.first == 3, "the first simplex is one batch of n + 1 points")
        #expect(batches.reduce(0, +) <= 200)
    }

    @Test func nelderMeadStaysInsideTheBoxAndFindsABoundMinimum() throws {
        var outside = false
        let best = try Optimizers.NelderMead().minimise(start: [0.5, 0.5], budget: 150) { points in
            outside = outside || points.contains { $0.contains { $0 < 0 || $0 > 1 } }
            // minimum at (1.2, -0.1) outside the box: the bounded one is the corner (1, 0)
            return points.map { ($0[0] - 1.2) * ($0[0] - 1.2) + ($0[1] + 0.1) * ($0[1] + 0.1) }
        }
        #expect(!outside)
        #expect(abs(best[0] - 1) < 1e-3 && abs(best[1]) < 1e-3, "\(best)")
    }

    @Test func spsaRecoversAKnownMinimumUnderNoise() throws {
        // noise keyed by the point, as a seeded simulation's would be: the same point gives the same value
        func noisy(_ p: [Double]) -> Double {
            let h = p.reduce(UInt64(1469598103934665603)) { ($0 ^ $1.bitPattern) &* 1099511628211 }
            let (a, b) = (p[0] - 0.3, p[1] - 0.7)
            return a * a + 3 * b * b + a * b + 1e-4 * (Double(h % 1000) / 1000 - 0.5)
        }
        var evaluations = 0
        var spsa = Optimizers.SPSA()
        spsa.seed = 3
        let best = try spsa.minimise(start: [0.9, 0.1], budget: 400) { points in
            #expect(points.count == 2, "each iteration is one batch of θ ± cΔ")
            evaluations += points.count
            return points.map(noisy)
        }
        #expect(evaluations == 400)
        #expect(abs(best[0] - 0.3) < 0.05 && abs(best[1] - 0.7) < 0.05, "\(best)")
        // the same objective and seed give the same points
        let again = try spsa.minimise(start: [0.9, 0.1], budget: 400) { $0.map(noisy) }
        #expect(again == best)
    }

    /// A bowl 100 times steeper in y than in x, a little noise: plain SPSA, whose steps follow each coordinate's
    /// slope, leaves x far from its minimum in 240 evaluations; adaptive SPSA's Newton steps reach both.
    @Test func adaptiveSPSAReachesAFlatDirectionThatSPSADoesNot() throws {
        func flat(_ p: [Double]) -> Double {
            let h = p.reduce(UInt64(1469598103934665603)) { ($0 ^ $1.bitPattern) &* 1099511628211 }
            let (a, b) = (p[0] - 0.3, p[1] - 0.7)
            return a * a + 100 * b * b + 1e-4 * (Double(h % 1000) / 1000 - 0.5)
        }
        var plain = Optimizers.SPSA()
        plain.seed = 5
        let p = try plain.minimise(start: [0.9, 0.2], budget: 240) { $0.map(flat) }
        var adaptive = Optimizers.AdaptiveSPSA()
        adaptive.seed = 5
        var batches: [Int] = []
        let a = try adaptive.minimise(start: [0.9, 0.2], budget: 240) { points in
            batches.append(points.count)
            return points.map(flat)
        }
        #expect(batches.allSatisfy { $0 == 4 } && batches.count == 60, "four points a batch: \(batches.count)")
        #expect(abs(p[0] - 0.3) > 0.1, "plain SPSA: \(p)")
        #expect(abs(a[0] - 0.3) < 0.03 && abs(a[1] - 0.7) < 0.03, "adaptive SPSA: \(a)")
        let again = try adaptive.minimise(start: [0.9, 0.2], budget: 240) { $0.map(flat) }
        #expect(again == a, "the same objective and seed give the same points")
    }
}
