import ScenarioJobs
import Testing

/// The fit measures against values computed by hand (each in the comment beside it).
@Suite struct FitMeasuresTests {
    func close(_ a: Double, _ b: Double, _ tol: Double = 1e-9) -> Bool { abs(a - b) <= tol }

    @Test func gehAndFHWABands() {
        // √(2 · 100² / 2100) = 3.086067; both zero: 0; √(2 · 40² / 60) = 7.302967
        #expect(close(FitMeasures.geh(model: 1100, count: 1000), 3.0860669992418384))
        #expect(FitMeasures.geh(model: 0, count: 0) == 0)
        #expect(close(FitMeasures.geh(model: 50, count: 10), (2.0 * 1600 / 60).squareRoot()))
        // bands: ±100 below 700, ±15 % to 2700, ±400 above
        #expect(FitMeasures.withinFHWABand(model: 590, count: 500))
        #expect(!FitMeasures.withinFHWABand(model: 601, count: 500))
        #expect(FitMeasures.withinFHWABand(model: 1150, count: 1000))
        #expect(!FitMeasures.withinFHWABand(model: 1151, count: 1000))
        #expect(FitMeasures.withinFHWABand(model: 3400, count: 3000))
        #expect(!FitMeasures.withinFHWABand(model: 3401, count: 3000))
    }

    @Test func acceptanceOverLinks() {
        // GEH 3.09, 3.86, 7.07, 10.33: 2 of 4 below 5; all four within their bands; sums 5110 vs 4600
        let a = FitMeasures.acceptance(model: [1100, 590, 3400, 20], counts: [1000, 500, 3000, 100])
        #expect(a.count == 4)
        #expect(a.shareGEHBelow5 == 0.5 && a.shareWithinBand == 1)
        #expect(close(a.sumRelativeDifference, 510.0 / 4600))
        #expect(close(a.sumGEH, 7.319401302524301))
        #expect(!a.meetsGEH && a.meetsBands && !a.meetsSum && !a.meetsAll)
        let good = FitMeasures.acceptance(model: [1000, 500, 3000], counts: [1000, 510, 2990])
        #expect(good.meetsAll)
    }

    @Test func errorsAndEfficiencies() {
        // RMSE √(5/3), bias 1
        #expect(close(FitMeasures.rmse([1, 2, 3], [1, 1, 1]), (5.0 / 3).squareRoot()))
        #expect(close(FitMeasures.bias([1, 2, 3], [1, 1, 1]), 1))
        // NSE: Σ(s − o)² = 0.5, Σ(o − ō)² = 5: 0.9; KGE: r = 4 / √17.5, α = √0.7, β = 1: 0.830885
        let s = [1.5, 2, 2.5, 4]
        let o = [1.0, 2, 3, 4]
        #expect(close(FitMeasures.nse(s, o), 0.9))
        #expect(close(FitMeasures.kge(s, o), 0.8308849909601949))
        #expect(FitMeasures.nse(o, o) == 1 && FitMeasures.kge(o, o) == 1)
        // observations that do not vary have no efficiency
        #expect(FitMeasures.nse([1, 2], [3, 3]).isNaN && FitMeasures.kge([1, 2], [3, 3]).isNaN)
    }

    @Test func floodExtentContingency() {
        // wet above 0.1 m: hits at 0 and 4, a false alarm at 2, a miss at 1, a correct negative at 3
        let a = FitMeasures.extent(
            model: [0.5, 0, 0.3, 0, 0.2], threshold: 0.1, observed: [true, true, false, false, true])
        #expect(a.hits == 2 && a.falseAlarms == 1 && a.misses == 1 && a.correctNegatives == 1)
        #expect(close(a.hitRate, 2.0 / 3) && close(a.falseAlarmRatio, 1.0 / 3) && close(a.criticalSuccessIndex, 0.5))
        let masked = FitMeasures.extent(
            model: [0.5, 0, 0.3], threshold: 0.1, observed: [true, true, false], valid: [true, false, true])
        #expect(masked.misses == 0 && masked.hits == 1 && masked.falseAlarms == 1)
    }
}
