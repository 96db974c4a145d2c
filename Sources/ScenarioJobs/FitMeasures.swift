import Foundation

/// How far a model is from what sensors saw: the measures `citytwin fit` reports and a calibration's objective
/// weighs. Each takes the modelled values `s` and the observed values `o` of the same sensors and times.
public enum FitMeasures {
    /// GEH of an hourly flow (Geoffrey E. Havers; UK Design Manual for Roads and Bridges, vol. 12, sec. 2):
    /// √(2 (M − C)² / (M + C)) for a modelled flow M and a count C, both in vehicles per hour (0 when both are 0).
    public static func geh(model m: Double, count c: Double) -> Double {
        m + c > 0 ? (2 * (m - c) * (m - c) / (m + c)).squareRoot() : 0
    }

    /// Whether a modelled hourly link flow is within the FHWA band of its count (Dowling, Skabardonis &
    /// Alexiadis 2004, *Traffic Analysis Toolbox III*, FHWA-HRT-04-040, table 4): within 100 veh/h below
    /// 700 veh/h, within 15 % from 700 to 2700 veh/h, within 400 veh/h above 2700 veh/h.
    public static func withinFHWABand(model m: Double, count c: Double) -> Bool {
        let d = abs(m - c)
        if c < 700 { return d <= 100 }
        if c <= 2700 { return d <= 0.15 * c }
        return d <= 400
    }

    /// The FHWA acceptance targets over a set of hourly link flows (same table): more than 85 % of the flows
    /// within their band and with GEH < 5, and the sum of the flows within 5 % (and its GEH < 4).
    public struct FlowAcceptance: Sendable, Equatable {
        public var count: Int
        public var shareGEHBelow5: Double, shareWithinBand: Double
        public var sumModel: Double, sumCounts: Double
        public var sumRelativeDifference: Double, sumGEH: Double
        public var meetsGEH: Bool { shareGEHBelow5 > 0.85 }
        public var meetsBands: Bool { shareWithinBand > 0.85 }
        public var meetsSum: Bool { abs(sumRelativeDifference) <= 0.05 && sumGEH < 4 }
        public var meetsAll: Bool { meetsGEH && meetsBands && meetsSum }
    }

    public static func acceptance(model s: [Double], counts o: [Double]) -> FlowAcceptance {
        precondition(s.count == o.count)
        let n = s.count
        var geh5 = 0
        var band = 0
        for k in 0..<n {
            if geh(model: s[k], count: o[k]) < 5 { geh5 += 1 }
            if withinFHWABand(model: s[k], count: o[k]) { band += 1 }
        }
        let ms = s.reduce(0, +)
        let cs = o.reduce(0, +)
        return FlowAcceptance(
            count: n, shareGEHBelow5: n > 0 ? Double(geh5) / Double(n) : 0,
            shareWithinBand: n > 0 ? Double(band) / Double(n) : 0, sumModel: ms, sumCounts: cs,
            sumRelativeDifference: cs > 0 ? (ms - cs) / cs : (ms > 0 ? .infinity : 0), sumGEH: geh(model: ms, count: cs)
        )
    }

    /// Root-mean-square error √(mean (s − o)²).
    public static func rmse(_ s: [Double], _ o: [Double]) -> Double {
        precondition(s.count == o.count)
        guard !s.isEmpty else { return .nan }
        return (zip(s, o).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(s.count)).squareRoot()
    }

    /// Mean error mean(s − o) (positive: the model overestimates).
    public static func bias(_ s: [Double], _ o: [Double]) -> Double {
        precondition(s.count == o.count)
        guard !s.isEmpty else { return .nan }
        return zip(s, o).reduce(0) { $0 + $1.0 - $1.1 } / Double(s.count)
    }

    /// Nash–Sutcliffe efficiency (Nash & Sutcliffe 1970, J. Hydrol. 10:282–290):
    /// 1 − Σ(s − o)² / Σ(o − ō)²; 1 is a perfect fit, 0 no better than the observed mean (NaN when the
    /// observations do not vary).
    public static func nse(_ s: [Double], _ o: [Double]) -> Double {
        precondition(s.count == o.count)
        guard !o.isEmpty else { return .nan }
        let mean = o.reduce(0, +) / Double(o.count)
        let num = zip(s, o).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let den = o.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return den > 0 ? 1 - num / den : .nan
    }

    /// Kling–Gupta efficiency (Gupta, Kling, Yilmaz & Martinez 2009, J. Hydrol. 377:80–91, eq. 9):
    /// 1 − √((r − 1)² + (α − 1)² + (β − 1)²) with r the linear correlation, α = σ_s / σ_o and
    /// β = μ_s / μ_o (population standard deviations; NaN when the observations do not vary or their mean is 0).
    public static func kge(_ s: [Double], _ o: [Double]) -> Double {
        precondition(s.count == o.count)
        let n = Double(o.count)
        guard n > 1 else { return .nan }
        let ms = s.reduce(0, +) / n
        let mo = o.reduce(0, +) / n
        var sso = 0.0
        var sss = 0.0
        var soo = 0.0
        for (a, b) in zip(s, o) {
            sso += (a - ms) * (b - mo)
            sss += (a - ms) * (a - ms)
            soo += (b - mo) * (b - mo)
        }
        guard soo > 0, mo != 0 else { return .nan }
        let r = sss > 0 ? sso / (sss * soo).squareRoot() : 0
        let alpha = (sss / soo).squareRoot()
        let beta = ms / mo
        return 1 - ((r - 1) * (r - 1) + (alpha - 1) * (alpha - 1) + (beta - 1) * (beta - 1)).squareRoot()
    }

    /// Agreement of a modelled flood extent with an observed one, cell by cell (Wing et al. 2017, Water Resour.
    /// Res. 53:7968–7986): hits H (wet in both), false alarms F (wet in the model only), misses M (wet in the
    /// observation only); hit rate H / (H + M), false alarm ratio F / (H + F), critical success index
    /// H / (H + F + M).
    public struct ExtentAgreement: Sendable, Equatable {
        public var hits = 0, falseAlarms = 0, misses = 0, correctNegatives = 0
        public var hitRate: Double { hits + misses > 0 ? Double(hits) / Double(hits + misses) : .nan }
        public var falseAlarmRatio: Double {
            hits + falseAlarms > 0 ? Double(falseAlarms) / Double(hits + falseAlarms) : .nan
        }
        public var criticalSuccessIndex: Double {
            let d = hits + falseAlarms + misses
            return d > 0 ? Double(hits) / Double(d) : .nan
        }
    }

    /// Cells are wet where `model` exceeds `threshold` and where `observed` is true; cells where `valid` is
    /// false (outside the observation) are left out.
    public static func extent(model: [Double], threshold: Double, observed: [Bool], valid: [Bool]? = nil)
        -> ExtentAgreement
    {
        precondition(model.count == observed.count)
        var a = ExtentAgreement()
        for k in model.indices where valid?[k] ?? true {
            switch (model[k] > threshold, observed[k]) {
            case (true, true): a.hits += 1
            case (true, false): a.falseAlarms += 1
            case (false, true): a.misses += 1
            case (false, false): a.correctNegatives += 1
            }
        }
        return a
    }
}
