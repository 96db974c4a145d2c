import EnergyModel
import Foundation
import SimCore
import Testing

/// The household models against the sanity figures of ../shared/design/REFERENCE-NUMBERS.md (SimBench LV:
/// coincident peak ≈ 0.42 of the summed individual peaks, peak/mean ≈ 3.0), and the physics of the pieces.
@Suite struct AgentTests {
    static func residentialFeeder(
        weeks: Int, ev: Double = 0, pv: Double = 0, hp: Double = 0, seed: UInt64 = 3, meanC: Double = 8
    ) -> (sum: [Double], each: [[Double]]) {
        let n = 60
        var agents = EnergyAgents(
            dwellings: .init(repeating: 1, count: n), residentialFloor: .init(repeating: 85, count: n),
            otherFloor: .init(repeating: 0, count: n),
            roofArea: .init(repeating: 90, count: n), evShare: ev, pvShare: pv, heatPumpShare: hp, demandGrowth: 1,
            commercialPeakWPerM2: 40, startWeekday: 0, seed: seed)
        let weather = Weather(
            source: .synthetic(meanC: meanC, amplitudeC: 4, clearness: 0.7), latitude: 43.7, startDay: 15)
        var p = [Double](repeating: 0, count: n)
        var q = p
        var parts = [Double](repeating: 0, count: 5 * n)
        var sum: [Double] = []
        var each = [[Double]](repeating: [], count: n)
        for k in 0..<(weeks * 7 * 96) {
            agents.step(
                buildings: 0..<n, step: Int64(k), t: Double(k) * 900, dt: 900, weather: weather, p: &p, q: &q,
                parts: &parts)
            sum.append(p.reduce(0, +))
            for b in 0..<n { each[b].append(p[b]) }
        }
        return (sum, each)
    }

    @Test func lvFeederDiversityAndPeakToMean() {
        let (sum, each) = Self.residentialFeeder(weeks: 4)
        let coincident = sum.max()!
        let summed = each.map { $0.max()! }.reduce(0, +)
        let mean = sum.reduce(0, +) / Double(sum.count)
        let diversity = coincident / summed
        let peakToMean = coincident / mean
        // reference 0.42 and 3.0; accepted within ±35 % (synthetic occupancy, not the SimBench profiles)
        #expect(abs(diversity - 0.42) / 0.42 < 0.35, "coincident/summed peak \(diversity)")
        #expect(abs(peakToMean - 3.0) / 3.0 < 0.35, "peak/mean \(peakToMean)")
    }

    @Test func sameSeedSameDemandOtherSeedOther() {
        let a = Self.residentialFeeder(weeks: 1).sum
        let b = Self.residentialFeeder(weeks: 1).sum
        let c = Self.residentialFeeder(weeks: 1, seed: 4).sum
        #expect(a == b && a != c)
    }

    @Test func heatPumpsFollowTheColdAndPVTheSun() {
        let base = Self.residentialFeeder(weeks: 1).sum
        let withHP = Self.residentialFeeder(weeks: 1, hp: 1).sum
        let extra = zip(withHP, base).map { $0 - $1 }
        // more heating at night (03:00 coldest) than in the afternoon
        #expect(extra.allSatisfy { $0 >= -1e-9 } && extra.reduce(0, +) > 0, "min \(extra.min()!)")
        // colder weather, more heat-pump electricity
        let cold = zip(
            Self.residentialFeeder(weeks: 1, hp: 1, meanC: 2).sum, Self.residentialFeeder(weeks: 1, meanC: 2).sum
        ).map { $0 - $1 }.reduce(0, +)
        #expect(cold > 1.5 * extra.reduce(0, +), "2 °C: \(cold), 8 °C: \(extra.reduce(0, +))")
        let withPV = Self.residentialFeeder(weeks: 1, pv: 1).sum
        let gen = zip(base, withPV).map { $0 - $1 }
        #expect(gen[2 * 4] == 0 && gen[12 * 4] > 0, "no PV at 02:00, PV at noon")
    }

    /// The TiTe model without a heat pump relaxes to the outdoor temperature; with one, it holds the set-point
    /// within the deadband.
    @Test func thermostatHoldsTheDeadband() {
        var agents = EnergyAgents(
            dwellings: [1], residentialFloor: [80], otherFloor: [0], roofArea: [80], evShare: 0, pvShare: 0,
            heatPumpShare: 1,
            demandGrowth: 1, commercialPeakWPerM2: 0, startWeekday: 0, seed: 1)
        let cold = Weather(source: .series(timesS: [0, 1e9], temperatureC: [0, 0], irradiance: [0, 0]))
        var p = [0.0]
        var q = [0.0]
        var parts = [Double](repeating: 0, count: 5)
        for k in 0..<(3 * 96) {
            agents.step(
                buildings: 0..<1, step: Int64(k), t: Double(k) * 900, dt: 900, weather: cold, p: &p, q: &q,
                parts: &parts)
        }
        #expect(agents.ti[0] > 17 - 0.5 - 0.2 && agents.ti[0] < 20 + 0.5 + 0.2, "indoor \(agents.ti[0]) °C")
        #expect(parts[1] > 0.1, "heating at 0 °C outside")
    }
}
