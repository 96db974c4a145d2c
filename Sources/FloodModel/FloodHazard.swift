/// Flood hazard to people, after Defra / Environment Agency R&D report FD2320/TR2 "Flood Risks to People Phase 2"
/// (HR Wallingford 2006, eq. 3.2 and tables 3.1–3.2): the hazard rating HR = d (v + 0.5) + DF, with d the depth
/// (m), v the velocity (m/s) and DF the debris factor for the dominant land use. CityTwin maps cities, so the urban
/// column of table 3.1 applies: DF = 0 for d ≤ 0.25 m, 1 above (0.25–0.75 m, and deeper or faster than 2 m/s).
/// Classes (table 13.1): < 0.75 low (caution), 0.75–1.25 moderate (danger for some: children, the elderly),
/// 1.25–2.0 significant (danger for most), > 2.0 extreme (danger for all).
public enum FloodHazard {
    /// Depth at which water counts as a hazard at all (dry cells rate 0).
    public static let wetDepth = 0.0
    public static let classes: [(upper: Double, name: String)] = [
        (0.75, "low: caution"), (1.25, "moderate: danger for some"), (2.0, "significant: danger for most"),
        (.infinity, "extreme: danger for all"),
    ]

    /// Debris factor of urban land use (FD2320/TR2 table 3.1).
    public static func debrisFactor(depth d: Double, speed v: Double) -> Double {
        if d <= 0.25 && v <= 2 { return 0 }
        return 1
    }

    /// HR = d (v + 0.5) + DF; 0 for dry cells, NaN where depth or speed is not a number.
    public static func rating(depth d: Double, speed v: Double) -> Double {
        guard d.isFinite, v.isFinite else { return .nan }
        guard d > wetDepth else { return 0 }
        return d * (v + 0.5) + debrisFactor(depth: d, speed: v)
    }

    /// The class name of a rating.
    public static func className(_ hr: Double) -> String {
        classes.first { hr < $0.upper }?.name ?? classes.last!.name
    }
}
