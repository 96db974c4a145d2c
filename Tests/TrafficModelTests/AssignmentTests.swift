import CityImport
import Foundation
import SimCore
import Testing
import TrafficModel

let tntp: String = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    return root.deletingLastPathComponent().appendingPathComponent("shared/data/tntp").path
}()

/// Static user equilibrium on the TNTP networks against their best-known solutions
/// (../shared/design/REFERENCE-NUMBERS.md; TNTP times are minutes, ours seconds).
@Suite struct StaticAssignmentTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String, net: String, trips: String, flows: String
        var tollWeight = 0.0, distanceWeight = 0.0
        var tsttMin: Double, beckmannMin: Double?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "SiouxFalls", net: "SiouxFalls/SiouxFalls_net.tntp", trips: "SiouxFalls/SiouxFalls_trips.tntp",
            flows: "SiouxFalls/SiouxFalls_flow.tntp", tsttMin: 7_480_225.34, beckmannMin: 4_231_335.29),
        Case(
            name: "Anaheim", net: "Anaheim/Anaheim_net.tntp", trips: "Anaheim/Anaheim_trips.tntp",
            flows: "Anaheim/Anaheim_flow.tntp", tsttMin: 1_419_913.85, beckmannMin: nil),
        Case(
            name: "ChicagoSketch", net: "ChicagoSketch/ChicagoSketch_net.tntp",
            trips: "ChicagoSketch/ChicagoSketch_trips.tntp",
            flows: "ChicagoSketch/ChicagoSketch_flow.tntp", tollWeight: 0.02, distanceWeight: 0.04,
            tsttMin: 18_371_027.72, beckmannMin: 17_313_018.74),
    ]

    @Test(arguments: cases)
    func reachesBestKnownEquilibrium(_ c: Case) throws {
        let net = try TNTP.readNetwork(
            tntp + "/" + c.net, options: .init(tollWeight: c.tollWeight, distanceWeight: c.distanceWeight))
        let od = try TNTP.readTrips(tntp + "/" + c.trips, zones: net.zoneCount)
        let r = try StaticAssignment.solve(
            net, od, options: AssignmentOptions(targetGap: 1e-9, maxIterations: 2000, workers: 2))
        #expect(
            r.converged && r.relativeGap <= 1e-9,
            "\(c.name): relative gap \(r.relativeGap) after \(r.iterations) iterations")
        let tstt = r.tstt / 60
        #expect(abs(tstt - c.tsttMin) / c.tsttMin <= 1e-4, "\(c.name): TSTT \(tstt) vs \(c.tsttMin) veh-min")
        if let bk = c.beckmannMin {
            #expect(abs(r.beckmann / 60 - bk) / bk <= 1e-4, "\(c.name): Beckmann \(r.beckmann / 60) vs \(bk)")
        }
        // link flows against the best-known flows: the largest difference relative to the largest flow
        let ref = try TNTP.readFlows(tntp + "/" + c.flows)
        #expect(ref.count == net.linkCount)
        var maxDiff = 0.0
        var maxFlow = 0.0
        for (a, f) in ref.enumerated() {
            #expect(Int(net.from[a]) + 1 == f.from && Int(net.to[a]) + 1 == f.to)
            maxDiff = max(maxDiff, abs(r.flow[a] - f.volume))
            maxFlow = max(maxFlow, f.volume)
        }
        #expect(
            maxDiff / maxFlow < 1e-5,
            "\(c.name): largest link-flow difference \(maxDiff) veh/h (largest flow \(maxFlow))")
        // vehicles are conserved at every node: inflow − outflow = trips ending there − trips starting there
        var balance = [Double](repeating: 0, count: net.nodeCount)
        for a in 0..<net.linkCount {
            balance[Int(net.to[a])] += r.flow[a]
            balance[Int(net.from[a])] -= r.flow[a]
        }
        for (i, o) in od.origins.enumerated() {
            for k in Int(od.start[i])..<Int(od.start[i + 1]) where od.dest[k] != o {
                balance[Int(od.dest[k])] -= od.trips[k]
                balance[Int(o)] += od.trips[k]
            }
        }
        #expect(balance.map(abs).max()! < 1e-9 * od.total, "\(c.name): node balance off by \(balance.map(abs).max()!)")
        print(
            "\(c.name): gap \(r.relativeGap) in \(r.iterations) iterations, TSTT \(tstt), Beckmann \(r.beckmann / 60), flows max diff \(maxDiff)"
        )
    }

    /// Two parallel links with BPR costs: Wardrop equilibrium equalises their times; solved analytically.
    @Test func twoRouteWardropEquilibrium() throws {
        // link 0: t = 10 (1 + 0.15 (x/1000)^4) min; link 1: t = 15 (1 + 0.15 (x/3000)^4) min; 4000 veh/h
        let net = RoadNetwork(
            nodeIDs: ["o", "d"], zoneCount: 2, zonesAreThrough: true, linkIDs: ["fast", "wide"],
            from: [0, 0], to: [1, 1], length: [1000, 1500], lanes: [1, 2], freeSpeed: [10, 10],
            capacity: [1000, 3000], freeFlowTime: [600, 900], bprAlpha: [0.15, 0.15], bprBeta: [4, 4],
            fixedCost: [0, 0])
        let od = ODMatrix(origins: [0], start: [0, 1], dest: [1], trips: [4000])
        let r = try StaticAssignment.solve(net, od, options: AssignmentOptions(targetGap: 1e-12, maxIterations: 100))
        // bisection on x0 for equal times
        var lo = 0.0
        var hi = 4000.0
        for _ in 0..<200 {
            let m = (lo + hi) / 2
            let t0 = 600 * (1 + 0.15 * pow(m / 1000, 4))
            let t1 = 900 * (1 + 0.15 * pow((4000 - m) / 3000, 4))
            if t0 < t1 { lo = m } else { hi = m }
        }
        #expect(abs(r.flow[0] - lo) < 1e-6, "fast link \(r.flow[0]) vs analytic \(lo)")
        #expect(abs(r.flow[0] + r.flow[1] - 4000) < 1e-9)
        #expect(abs(r.travelTime[0] - r.travelTime[1]) < 1e-6)
    }

    /// Bad TNTP input: located messages, never a crash.
    @Test func brokenTNTPFilesAreReportedWithTheirLine() throws {
        let dir = NSTemporaryDirectory() + "tntp-bad-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let head =
            "<NUMBER OF ZONES> 2\n<NUMBER OF NODES> 3\n<FIRST THRU NODE> 1\n<NUMBER OF LINKS> 2\n<END OF METADATA>\n"
        let cases: [(String, String, String)] = [
            ("missing.tntp", "", "cannot open the TNTP file"),
            ("nometa.tntp", "1 2 100 1 1 0.15 4 0 0 1 ;\n", "metadata <NUMBER OF ZONES> is missing"),
            (
                "badnode.tntp", head + "1 2 100 1 1 0.15 4 0 0 1 ;\n1 9 100 1 1 0.15 4 0 0 1 ;\n",
                ":7: error[E-TNTP-012]: link 1 → 9 refers to a node outside 1…3"
            ),
            (
                "zerocap.tntp", head + "1 2 0 1 1 0.15 4 0 0 1 ;\n2 3 100 1 1 0.15 4 0 0 1 ;\n",
                ":6: error[E-TNTP-014]: link 1 → 2 has capacity 0.0; it must be > 0"
            ),
            (
                "short.tntp", head + "1 2 100 ;\n2 3 100 1 1 0.15 4 0 0 1 ;\n",
                ":6: error[E-TNTP-010]: a link row needs at least 7 fields"
            ),
            (
                "truncated.tntp", head + "1 2 100 1 1 0.15 4 0 0 1 ;\n",
                "<NUMBER OF LINKS> says 2 but the file has 1 link rows"
            ),
        ]
        for (name, text, expected) in cases {
            let p = dir + "/" + name
            if !text.isEmpty { try text.write(toFile: p, atomically: true, encoding: .utf8) }
            do {
                _ = try TNTP.readNetwork(p)
                Issue.record("\(name) was accepted")
            } catch let e as InputError {
                #expect(e.description.contains(expected), "\(name): \(e.description)")
            }
        }
        // trips: unknown zone, and a network whose zones cannot reach each other
        let trips = dir + "/trips.tntp"
        try "<NUMBER OF ZONES> 2\n<END OF METADATA>\nOrigin 1\n 2 : 10.0; 5 : 3.0;\n".write(
            toFile: trips, atomically: true, encoding: .utf8)
        #expect(throws: InputError.self) { _ = try TNTP.readTrips(trips, zones: 2) }
        let net = dir + "/oneway.tntp"
        try (head + "1 3 100 1 1 0.15 4 0 0 1 ;\n3 1 100 1 1 0.15 4 0 0 1 ;\n").write(
            toFile: net, atomically: true, encoding: .utf8)
        try "<NUMBER OF ZONES> 2\n<END OF METADATA>\nOrigin 1\n 2 : 10.0;\n".write(
            toFile: trips, atomically: true, encoding: .utf8)
        let n = try TNTP.readNetwork(net)
        do {
            _ = try StaticAssignment.solve(n, try TNTP.readTrips(trips, zones: 2))
            Issue.record("unroutable trips were accepted")
        } catch let e as RunError {
            #expect(e.message.contains("no route for trips between zones 1 → 2"))
        }
    }
}
