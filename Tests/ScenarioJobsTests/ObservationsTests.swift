import Foundation
import ScenarioJobs
import SimCore
import Testing

/// The observation readers: what they take, and a corpus of bad files each refused with its line and a fix.
@Suite struct ObservationsTests {
    static let start = "2026-10-14T00:00:00Z"

    static func write(_ name: String, _ text: String) throws -> String {
        let dir = NSTemporaryDirectory() + "citytwin-obs-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let p = dir + "/" + name
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    /// The error text of reading `text` with `read` (nil: it was accepted).
    static func refusal(_ text: String, _ read: (String) throws -> Void) throws -> String? {
        let p = try write("obs.csv", text)
        do {
            try read(p)
            return nil
        } catch let e as InputError {
            return e.description
        }
    }

    @Test func countsWithInstantsAndDurations() throws {
        let p = try Self.write(
            "counts.csv",
            "link_id,from,to,count\n# a comment\nL1,7h,8h,1200\nL2,2026-10-14T07:00:00Z,2026-10-14T08:00:00Z,350\n")
        let c = try Observations.linkSeries(p, startISO: Self.start)
        #expect(c.link == ["L1", "L2"] && c.value == [1200, 350] && c.line == [3, 4])
        #expect(c.from == [25_200_000, 25_200_000] && c.to == [28_800_000, 28_800_000])
        let s = try Self.write("speeds.csv", "link_id,from,to,speed\nL1,25200s,28800s,42.5\n")
        #expect(try Observations.linkSeries(s, startISO: Self.start, speeds: true).value == [42.5])
    }

    @Test(arguments: [
        ("link_id,from,to,cout\nL1,7h,8h,3\n", ["obs.csv:1", "unknown column 'cout'", "did you mean 'count'?"]),
        ("link_id,from,to\nL1,7h,8h\n", ["column 'count' is missing"]),
        ("link_id,from,to,count\nL1,7h,8h\n", ["obs.csv:2", "expected 4 values, found 3"]),
        ("link_id,from,to,count\nL1,seven,8h,3\n", ["obs.csv:2", "from: 'seven' is not a time", "ISO 8601"]),
        ("link_id,from,to,count\nL1,8h,7h,3\n", ["obs.csv:2", "ends before it starts"]),
        ("link_id,from,to,count\nL1,7h,8h,-3\n", ["count: -3 is outside"]),
        ("link_id,from,to,count\nL1,7h,8h,nan\n", ["'nan' is not a number"]),
        ("link_id,from,to,count\nL1,2026-10-13T07:00:00Z,8h,3\n", ["before the job's start"]),
        ("", ["empty observations file", "link_id,from,to,count"]),
    ])
    func badCounts(text: String, expect: [String]) throws {
        let e = try Self.refusal(text) { _ = try Observations.linkSeries($0, startISO: Self.start) }
        #expect(e != nil, "accepted: \(text)")
        for s in expect { #expect(e?.contains(s) ?? false, "'\(s)' not in: \(e ?? "")") }
    }

    @Test func gaugesAndLoads() throws {
        let g = try Self.write("g.csv", "name,lon,lat,time,level\nport,7.4246,43.7350,30min,1.25\n")
        let gs = try Observations.gauges(g, startISO: Self.start)
        #expect(gs.geographic && gs.isLevel && gs.value == [1.25] && gs.time == [1_800_000] && gs.x == [7.4246])
        let e = try Self.refusal("name,x,lon,y,time,depth\nA,1,2,3,1h,0.5\n") {
            _ = try Observations.gauges($0, startISO: Self.start)
        }
        #expect(e?.contains("exactly one of the columns 'x', 'lon'") ?? false, "\(e ?? "")")
        let d = try Self.refusal("name,x,y,time,depth\nA,1,2,1h,-0.5\n") {
            _ = try Observations.gauges($0, startISO: Self.start)
        }
        #expect(d?.contains("depth: -0.5 is outside") ?? false, "\(d ?? "")")
        let l = try Self.write("l.csv", "asset,time,p_mw,q_mvar\nS1,15min,2.5,0.4\n")
        let ls = try Observations.loads(l, startISO: Self.start)
        #expect(ls.asset == ["S1"] && ls.p == [2.5] && ls.q == [0.4])
        let np = try Self.write("np.csv", "asset,time,p_mw\nS1,15min,2.5\n")
        #expect(try Observations.loads(np, startISO: Self.start).q == nil)
    }
}
