import CityImport
import Foundation
import SimCore
import Testing
import TrafficModel

let sharedRoot: String = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    return root.deletingLastPathComponent().appendingPathComponent("shared").path
}()

@Suite struct TrafficImportTests {
    /// SUMO: the g20_20k grid in both network formats, and its 20,001 routes on each.
    @Test func sumoGridAndRoutes() throws {
        let d = sharedRoot + "/peers/sumo/data/g20_20k"
        let plain = try SUMO.readPlain(nodes: d + "/plain.nod.xml.gz", edges: d + "/plain.edg.xml.gz")
        #expect(plain.nodeCount == 400 && plain.linkCount == 1520)
        #expect(plain.length.allSatisfy { abs($0 - 200) < 1e-9 } && plain.lanes.allSatisfy { $0 == 2 })
        let net = try SUMO.readNet(d + "/net.net.xml.gz")
        #expect(net.nodeCount == 400 && net.linkCount == 1520)
        // connections: netgenerate allows U-turns except at the 8 corner approaches; plain and full networks agree
        let withTurns = try SUMO.readPlain(
            nodes: d + "/plain.nod.xml.gz", edges: d + "/plain.edg.xml.gz", connections: d + "/plain.con.xml.gz")
        #expect(withTurns.bannedTurns.count == 8 && net.bannedTurns.count == 8)
        let a = try #require(withTurns.linkIDs.firstIndex(of: "A0A1"))
        let u = try #require(withTurns.linkIDs.firstIndex(of: "A1A0"))
        #expect(!withTurns.isBanned(a, u) && withTurns.isBanned(u, a))
        #expect(
            Set(withTurns.bannedTurns.map { "\(withTurns.linkIDs[Int($0.from)])>\(withTurns.linkIDs[Int($0.to)])" })
                == Set(net.bannedTurns.map { "\(net.linkIDs[Int($0.from)])>\(net.linkIDs[Int($0.to)])" }))
        #expect(Set(net.linkIDs) == Set(plain.linkIDs))
        let routes = try SUMO.readRoutes(d + "/routes.rou.xml.gz", network: plain)
        #expect(routes.count == 20_001)
        #expect(routes.validate(on: plain, origin: SourceLocation(file: "routes")).isEmpty)
        #expect(routes.ids[1] == "1" && routes.depart[1] == 180)  // depart="0.18"
        // the model-directory table reads back to the same plans
        let again = try VehiclePlans.fromCSV(routes.csv(on: plain), file: "vehicles.csv", on: plain)
        #expect(again == routes)
    }

    /// MATSim Berlin: network counts and the 1 % population's legs as the shared README states them.
    @Test func matsimBerlin() throws {
        let b = sharedRoot + "/data/cities/berlin"
        let net = try MATSim.readNetwork(b + "/network.xml.gz")
        #expect(net.nodeCount == 11_566 && net.linkCount == 27_664)
        // link 1: capacity 5000 per 12 h, 93 m at 8.3333 m/s
        #expect(net.linkIDs[0] == "1" && abs(net.capacity[0] - 5000.0 / 12) < 1e-9 && net.length[0] == 93)
        let (plans, s) = try MATSim.readPlans(b + "/plans_hwh_1pct.xml.gz", network: net)
        #expect(s.persons == 15_931 && s.carLegs == 31_491 && plans.count == 31_491)
        #expect(s.otherModes == ["walk": 354, "ride": 13, "pt": 4])
        #expect(plans.validate(on: net, origin: SourceLocation(file: "plans")).isEmpty)
        // person 66128 leaves home at 08:00 from link 1921 and arrives on link 13816
        let i = try #require(plans.ids.firstIndex(of: "66128_0"))
        #expect(plans.depart[i] == 8 * 3_600_000)
        #expect(net.linkIDs[Int(plans.route(i).first!)] == "1921" && net.linkIDs[Int(plans.route(i).last!)] == "13816")
    }

    /// Broken SUMO and MATSim input: file, line and what is wrong; never a crash.
    @Test func brokenInputIsLocated() throws {
        let dir = NSTemporaryDirectory() + "traffic-bad-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func write(_ name: String, _ text: String) throws -> String {
            let p = dir + "/" + name
            try text.write(toFile: p, atomically: true, encoding: .utf8)
            return p
        }
        let nodes = try write(
            "n.nod.xml", "<nodes>\n<node id=\"a\" x=\"0\" y=\"0\"/>\n<node id=\"b\" x=\"100\" y=\"0\"/>\n</nodes>\n")
        let edges = try write(
            "e.edg.xml",
            "<edges>\n<edge id=\"ab\" from=\"a\" to=\"b\"/>\n<edge id=\"bx\" from=\"b\" to=\"bb\"/>\n</edges>\n")
        do {
            _ = try SUMO.readPlain(nodes: nodes, edges: edges)
            Issue.record("accepted an edge to an unknown node")
        } catch let e as InputError {
            #expect(
                e.description.contains("e.edg.xml:3") && e.description.contains("refers to node 'bb'")
                    && e.description.contains("did you mean 'b'?"), "\(e)")
        }
        let good = try write(
            "g.edg.xml",
            "<edges>\n<edge id=\"ab\" from=\"a\" to=\"b\"/>\n<edge id=\"ba\" from=\"b\" to=\"a\"/>\n</edges>\n")
        let net = try SUMO.readPlain(nodes: nodes, edges: good)
        let cases: [(String, String)] = [
            (
                "<routes>\n<vehicle id=\"v\" depart=\"0\">\n<route edges=\"ab ab\"/>\n</vehicle>\n</routes>\n",
                "r.rou.xml:3: error[E-SUMO-012]: vehicle 'v': edge 'ab' does not start where 'ab' ends"
            ),
            (
                "<routes>\n<vehicle id=\"v\" depart=\"0\">\n<route edges=\"ab zz\"/>\n</vehicle>\n</routes>\n",
                "uses edge 'zz', which the network does not have"
            ),
            (
                "<routes>\n<vehicle id=\"v\" depart=\"soon\"><route edges=\"ab\"/></vehicle>\n</routes>\n",
                "r.rou.xml:2: error[E-SUMO-017]"
            ),
            (
                "<routes>\n<flow id=\"f\" begin=\"0\" end=\"10\" from=\"ab\" to=\"ba\"/>\n</routes>\n",
                "<flow> elements are not supported"
            ),
            ("<routes>\n<trip id=\"t\" depart=\"0\" from=\"ab\" to=\"zz\"/>\n</routes>\n", "trip 't' uses edge 'zz'"),
            (
                "<routes>\n<vehicle id=\"v\" depart=\"0\"><route edges=\"ab\"/></vehicle>\n<vehicle id=\"v\" depart=\"1\"><route edges=\"ba\"/></vehicle>\n</routes>\n",
                "vehicle id 'v' appears twice"
            ),
            (
                "<routes>\n<vehicle id=\"v\" depart=\"0\"><route edges=\"ab\"/>\n",
                "the document ends inside 2 open elements"
            ),
            (
                "<routes>\n<vehicle id=\"v\" depart=\"0\"><route edges=\"ab\"/></vehicle>\n<vehicle <\n</routes>",
                "r.rou.xml:3: error"
            ),
        ]
        for (text, expected) in cases {
            let p = try write("r.rou.xml", text)
            do {
                _ = try SUMO.readRoutes(p, network: net)
                Issue.record("accepted: \(text)")
            } catch let e as InputError {
                #expect(e.description.contains(expected), "\(e.description)")
            }
        }
        let mnet = try write(
            "net.xml",
            "<network><nodes><node id=\"1\" x=\"0\" y=\"0\"/></nodes>\n<links capperiod=\"1:00:00\">\n<link id=\"a\" from=\"1\" to=\"2\" length=\"10\" freespeed=\"10\" capacity=\"100\"/>\n</links></network>\n"
        )
        do {
            _ = try MATSim.readNetwork(mnet)
            Issue.record("accepted a MATSim link to an unknown node")
        } catch let e as InputError {
            #expect(e.description.contains("net.xml:3") && e.description.contains("refers to node '2'"), "\(e)")
        }
        let gz = try write("broken.xml.gz", "")
        try Data([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]).write(to: URL(fileURLWithPath: gz))
        #expect(throws: InputError.self) { _ = try readMaybeGzip(gz) }
    }

    /// Demand scaling: exact copy counts, jitter within bounds, the same result every time.
    @Test func demandScaling() {
        var p = VehiclePlans()
        for i in 0..<1000 { p.append(id: "v\(i)", depart: 3_600_000, route: [0]) }
        let ten = p.scaled(by: 10, jitter: .seconds(300), seed: 1)
        #expect(ten.count == 10_000 && ten.ids[0] == "v0" && ten.ids[1] == "v0#1")
        #expect(ten.depart.allSatisfy { abs($0 - 3_600_000) <= 300_000 })
        #expect(Set(ten.depart).count > 5000, "copies are jittered")
        #expect(ten == p.scaled(by: 10, jitter: .seconds(300), seed: 1))
        #expect(ten != p.scaled(by: 10, jitter: .seconds(300), seed: 2))
        let half = p.scaled(by: 0.5, jitter: .zero, seed: 3)
        #expect(half.count > 430 && half.count < 570, "\(half.count) of 1000 kept at scale 0.5")
    }

    /// OSM Monaco: a connected road network with plausible link attributes; buildings with areas.
    @Test func osmMonaco() throws {
        let r = try OSM.read(sharedRoot + "/data/cities/monaco/monaco.osm.pbf")
        let net = r.network
        #expect(r.projection.epsg == 32632)
        #expect(net.linkCount > 3000 && net.nodeCount > 1500, "\(net.linkCount) links, \(net.nodeCount) nodes")
        #expect(net.length.allSatisfy { $0 > 0.5 && $0 < 5000 } && net.freeSpeed.allSatisfy { $0 > 1 && $0 < 40 })
        #expect(r.geometry.count == net.linkCount && r.geometry.allSatisfy { $0.count >= 2 })
        // strongly connected: every node reaches node 0 and back
        var tree = ShortestPathTree(nodeCount: net.nodeCount)
        net.freeFlowTime.withUnsafeBufferPointer { tree.search(net, from: 0, cost: $0) }
        #expect(tree.dist.allSatisfy { $0.isFinite })
        #expect(r.buildings.count > 20_000 && r.buildings.allSatisfy { $0.area > 0 })
        let (plans, s) = SyntheticPopulation.generate(network: net, buildings: r.buildings)
        #expect(s.residents > 20_000 && s.jobs > 20_000 && plans.count > 10_000)
        #expect(plans.validate(on: net, origin: SourceLocation(file: "population")).isEmpty)
        let again = try VehiclePlans.fromCSV(plans.csv(on: net, endpointsOnly: true), file: "v.csv", on: net)
        #expect(again == plans, "endpoint-only routes read back to the same plans")
        #expect(net.hasTurnRestrictions && r.restrictions > 0)
        var bad = 0
        for v in 0..<plans.count {
            let rt = Array(plans.route(v))
            for k in 1..<max(rt.count, 1) where net.isBanned(Int(rt[k - 1]), Int(rt[k])) { bad += 1 }
        }
        #expect(bad == 0, "\(bad) banned turns in the population's routes")
    }

    /// A banned turn makes the router take the detour, static and time-dependent; bad turn tables are located.
    @Test func turnRestrictionsReroute() throws {
        var net = RoadNetwork(
            nodeIDs: ["A", "B", "C", "D"], nodeX: [0, 100, 100, 0], nodeY: [0, 0, 100, 100], zoneCount: 0,
            zonesAreThrough: true,
            linkIDs: ["ab", "bc", "ad", "dc"], from: [0, 1, 0, 3], to: [1, 2, 3, 2], length: [10, 10, 20, 20],
            lanes: [1, 1, 1, 1],
            freeSpeed: [10, 10, 10, 10], capacity: [900, 900, 900, 900], freeFlowTime: [1, 1, 2, 2],
            bprAlpha: [0.15, 0.15, 0.15, 0.15],
            bprBeta: [4, 4, 4, 4], fixedCost: [0, 0, 0, 0])
        var tree = ShortestPathTree(nodeCount: 4)
        var path: [Int32] = []
        net.freeFlowTime.withUnsafeBufferPointer { tree.search(net, from: 0, cost: $0) }
        tree.path(to: 2, net, into: &path)
        #expect(path == [0, 1] && tree.dist[2] == 2)
        try net.readBannedTurns("from_link,to_link\nab,bc\n", file: "turns.csv")
        #expect(net.hasTurnRestrictions && net.isBanned(0, 1) && !net.isBanned(2, 3))
        net.freeFlowTime.withUnsafeBufferPointer { tree.search(net, from: 0, cost: $0) }
        tree.path(to: 2, net, into: &path)
        #expect(path == [2, 3] && tree.dist[2] == 4, "path \(path)")
        let profile = TravelTimeProfile(binMs: 900_000, bins: 1, seconds: [1, 1, 2, 2])
        let arrival = tree.earliestArrival(net, from: 0, departAt: 0, to: 2, profile: profile, path: &path)
        #expect(arrival == 4000 && path == [2, 3])
        #expect(net.turnsCSV() == "from_link,to_link\nab,bc\n")
        do {
            try net.readBannedTurns("from_link,to_link\nab,dc\n", file: "turns.csv")
            Issue.record("accepted a non-turn")
        } catch let e as InputError {
            #expect(e.description.contains("turns.csv:2") && e.description.contains("is not a turn"), "\(e)")
        }
        do {
            try net.readBannedTurns("from_link,to_link\nab,bcc\n", file: "turns.csv")
            Issue.record("accepted an unknown link")
        } catch let e as InputError {
            #expect(e.description.contains("did you mean 'bc'?"), "\(e)")
        }
    }

    /// SUMO Ingolstadt (InTAS corridor): the real net.xml (internal edges skipped, connections as turn
    /// restrictions) and its 4,283 trips, which we route.
    @Test func sumoIngolstadtTrips() throws {
        let d = sharedRoot + "/data/cities/ingolstadt"
        let net = try SUMO.readNet(d + "/ingolstadt21.net.xml")
        #expect(net.linkCount == 853 && net.hasTurnRestrictions)
        let plans = try SUMO.readRoutes(d + "/ingolstadt21.rou.xml", network: net)
        #expect(plans.count == 4283)
        #expect(plans.validate(on: net, origin: SourceLocation(file: "trips")).isEmpty)
        #expect(plans.depart.min() == 57_600_000 && plans.depart.max()! <= 61_201_000)
        // every turn of every route is allowed
        var bad = 0
        for v in 0..<plans.count {
            let r = Array(plans.route(v))
            for k in 1..<max(r.count, 1) where net.isBanned(Int(r[k - 1]), Int(r[k])) { bad += 1 }
        }
        #expect(bad == 0)
    }
}
