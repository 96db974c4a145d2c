import Foundation
import ScenarioJobs
import SimCore
import Testing
import TrafficModel

/// Network changes keep every column of the road network (issue 10, part 5: a job with any change used to drop
/// every turn restriction of the model, so re-routed vehicles could take banned turns).
@Suite struct NetworkChangeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test func removingAndAddingLinksKeepsTurnRestrictions() throws {
        var net = RoadNetwork(
            nodeIDs: ["A", "B", "C", "D"], zoneCount: 0, zonesAreThrough: true, linkIDs: ["ab", "bc", "bd", "cd"],
            from: [0, 1, 1, 2], to: [1, 2, 3, 3], length: [100, 100, 100, 100], lanes: [1, 1, 1, 1],
            freeSpeed: [10, 10, 10, 10], capacity: [900, 900, 900, 900], freeFlowTime: [10, 10, 10, 10],
            bprAlpha: [0.15, 0.15, 0.15, 0.15], bprBeta: [4, 4, 4, 4], fixedCost: [0, 0, 0, 0])
        net.setBannedTurns([(0, 2), (1, 3)])
        let (kept, index) = net.keepingLinks { $0 != 1 }
        #expect(index == [0, -1, 1, 2])
        #expect(kept.linkIDs == ["ab", "bd", "cd"] && kept.length == [100, 100, 100])
        #expect(kept.bannedTurns.map { [$0.from, $0.to] } == [[0, 1]], "ab → bd stays banned")
        var grown = kept
        grown.appendLink(id: "da", from: 3, to: 0, length: 50, lanes: 2, freeSpeed: 5, capacity: 1800)
        #expect(grown.isBanned(0, 1) && !grown.isBanned(3, 0) && grown.freeFlowTime[3] == 10)
        #expect(grown.bannedTurns.count == 1 && grown.outLinks.count == 4)
    }

    /// On Monaco: a closed link and a new link leave all 35 banned turns that do not touch the closed link in
    /// place, and every re-routed vehicle's route respects them.
    @Test func monacoChangesKeepItsBannedTurns() throws {
        let model = try CityModel.load(directory: Self.root + "/Data/monaco")
        let (base, _) = try model.loadTraffic()
        #expect(base.bannedTurns.count == 35)
        // close the most used link of those in a banned turn, so that vehicles are re-routed near the bans
        let plans = try model.loadVehicles(on: base)
        var use = [Int](repeating: 0, count: base.linkCount)
        for v in 0..<plans.count { for a in plans.route(v) { use[Int(a)] += 1 } }
        let candidates = base.bannedTurns.flatMap { [Int($0.from), Int($0.to)] }
        let closedLink = base.linkIDs[candidates.max { use[$0] < use[$1] }!]
        let text = """
            schema: 1
            name: turns
            model: \(Self.root)/Data/monaco
            start: 2026-10-14T07:00:00Z
            duration: 1h
            output_interval: 15min
            traffic: {}
            changes:
              - {type: close_link, links: [\(closedLink)]}
              - {type: add_link, id: new-road, from: \(base.nodeIDs[0]), to: \(base.nodeIDs[1]), lanes: 1, speed: 30, capacity: 900}

            """
        let job = try Job.parse(text: text, file: Self.root + "/Jobs/turns.yaml")
        let setup = try ScenarioBuilder.trafficSetup(job: job, model: model)
        let net = setup.network
        let touching = base.bannedTurns.filter {
            base.linkIDs[Int($0.from)] == closedLink || base.linkIDs[Int($0.to)] == closedLink
        }
        #expect(net.bannedTurns.count == 35 - touching.count && net.bannedTurns.count > 30)
        #expect(setup.rerouted > 0)
        for v in 0..<setup.plans.count {
            let r = Array(setup.plans.route(v))
            for k in 1..<r.count { #expect(!net.isBanned(Int(r[k - 1]), Int(r[k])), "vehicle \(setup.plans.ids[v])") }
        }
    }
}
