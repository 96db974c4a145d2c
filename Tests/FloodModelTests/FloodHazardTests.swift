import FloodModel
import Testing

/// The hazard rating of FD2320/TR2 (HR Wallingford 2006) against values worked by hand from eq. 3.2 and the urban
/// column of table 3.1, and the class bounds of table 13.1.
@Suite struct FloodHazardTests {
    @Test func ratingMatchesHandWorkedValues() {
        let cases: [(d: Double, v: Double, hr: Double)] = [
            (0, 3, 0),  // dry
            (0.2, 0.0, 0.1),  // 0.2 × 0.5, shallow: no debris
            (0.25, 1.0, 0.375),  // the debris bound is inclusive: 0.25 × 1.5
            (0.3, 0.5, 1.3),  // 0.3 × 1.0 + 1
            (0.2, 2.5, 1.6),  // shallow but fast (v > 2 m/s): 0.2 × 3.0 + 1
            (1.0, 1.5, 3.0),  // 1.0 × 2.0 + 1
        ]
        for c in cases {
            #expect(abs(FloodHazard.rating(depth: c.d, speed: c.v) - c.hr) < 1e-12, "d \(c.d), v \(c.v)")
        }
        #expect(FloodHazard.rating(depth: .nan, speed: 1).isNaN)
    }

    @Test func classesFollowTable13() {
        #expect(FloodHazard.className(0.5).hasPrefix("low"))
        #expect(FloodHazard.className(0.75).hasPrefix("moderate"))
        #expect(FloodHazard.className(1.3).hasPrefix("significant"))
        #expect(FloodHazard.className(2.0).hasPrefix("extreme"))
    }
}
