import EnergyModel
import Foundation
import SimCore
import Testing

/// Common random numbers in the energy domain: a household's draws follow its identity, not its position.
@Suite struct CommonRandomNumberTests {
    static func agents(_ buildings: [Int], ev: Double = 0.3, hp: Double = 0.2) -> EnergyAgents {
        let n = buildings.count
        return EnergyAgents(
            dwellings: buildings.map { 1 + $0 % 3 }, residentialFloor: .init(repeating: 120, count: n),
            otherFloor: .init(repeating: 0, count: n), roofArea: .init(repeating: 90, count: n), evShare: ev,
            pvShare: 0.2, heatPumpShare: hp, demandGrowth: 1, commercialPeakWPerM2: 40, startWeekday: 0, seed: 11,
            keys: buildings.map { EnergyAgents.buildingKey(x: 1000 + Double($0) * 17.5, y: 2000 - Double($0) * 3.25) })
    }

    /// EV and heat-pump ownership only grow with their shares: the owners at 30 % all own one at 50 %.
    @Test func adoptionIsMonotone() {
        let all = Array(0..<400)
        let low = Self.agents(all, ev: 0.3, hp: 0.1)
        let high = Self.agents(all, ev: 0.5, hp: 0.4)
        let lowEV = low.hasEV.indices.filter { low.hasEV[$0] }
        #expect(lowEV.count > 150 && lowEV.allSatisfy { high.hasEV[$0] }, "\(lowEV.count)")
        #expect(high.hasEV.filter { $0 }.count > lowEV.count)
        #expect(low.hasHeatPump.indices.allSatisfy { !low.hasHeatPump[$0] || high.hasHeatPump[$0] })
    }

    /// The same buildings on another feeder partition (a subset, in another order) get the same households and,
    /// step after step, the same demand bit for bit.
    @Test func householdsDrawTheSameWhereverTheyAre() {
        let all = Array(0..<60)
        let subset = [41, 7, 33, 2, 58, 19]
        var whole = Self.agents(all)
        var part = Self.agents(subset)
        let weather = Weather(
            source: .synthetic(meanC: 6, amplitudeC: 4, clearness: 0.6), latitude: 43.7, startDay: 15)
        var p1 = [Double](repeating: 0, count: all.count)
        var q1 = p1
        var x1 = [Double](repeating: 0, count: 5 * all.count)
        var p2 = [Double](repeating: 0, count: subset.count)
        var q2 = p2
        var x2 = [Double](repeating: 0, count: 5 * subset.count)
        for (k, b) in subset.enumerated() {
            let a = Int(whole.start[b])
            let c = Int(part.start[k])
            #expect(whole.occupants[a] == part.occupants[c] && whole.hasEV[a] == part.hasEV[c])
            #expect(whole.applianceScale[a] == part.applianceScale[c] && whole.pvKWp[b] == part.pvKWp[k])
        }
        for step in 0..<(2 * 96) {
            let t = Double(step) * 900
            whole.step(
                buildings: 0..<all.count, step: Int64(step), t: t, dt: 900, weather: weather, p: &p1, q: &q1,
                parts: &x1)
            part.step(
                buildings: 0..<subset.count, step: Int64(step), t: t, dt: 900, weather: weather, p: &p2, q: &q2,
                parts: &x2)
            for (k, b) in subset.enumerated() {
                #expect(p1[b].bitPattern == p2[k].bitPattern, "building \(b) at step \(step)")
            }
        }
    }
}
