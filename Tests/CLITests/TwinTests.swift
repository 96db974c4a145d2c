import Foundation
import SimCore
import SimIO
import Testing

/// The twin loop on the SUMO g20 grid (a 2 h run takes half a second): counts made from a run with hidden demand,
/// fitted, and the demand recovered by calibration, also after a kill.
@Suite(.serialized) struct TwinTests {
    /// Imports g20 into `dir`, runs the "truth" (demand × 0.8) and writes hourly counts of its 40 busiest links.
    static func writeTruth(_ dir: String, traffic: String = "traffic: {stuck_time: 10s, demand_scale: 0.8}") throws {
        let imp = try TrafficCLITests.writeG20(dir)
        #expect(imp.status == 0, "\(imp.err)")
        let truth = TrafficCLITests.g20Job.replacingOccurrences(of: "traffic: {stuck_time: 10s}", with: traffic)
        try truth.write(toFile: dir + "/truth.yaml", atomically: true, encoding: .utf8)
        let r = try citytwin(["run", dir + "/truth.yaml", "--output", dir + "/truth", "--quiet"])
        #expect(r.status == 0, "\(r.err)")
        let f = try H5File.open(dir + "/truth/g20.h5")
        let ids = try f.root.group("traffic").dataset("link_id").readStrings()
        let exits = try readDataset(dir + "/truth/g20.h5", "traffic", "exits").doubles
        let m = ids.count
        let total = (0..<m).map { a in stride(from: a, to: exits.count, by: m).reduce(0) { $0 + exits[$1] } }
        let busiest = (0..<m).sorted { total[$0] > total[$1] || (total[$0] == total[$1] && $0 < $1) }.prefix(40)
        var csv = "link_id,from,to,count\n"
        for a in busiest {
            for h in 0..<2 {
                let c = (4 * h + 1...4 * h + 4).reduce(0) { $0 + exits[$1 * m + a] }
                csv += "\(ids[a]),\(h)h,\(h + 1)h,\(Int(c))\n"
            }
        }
        try csv.write(toFile: dir + "/counts.csv", atomically: true, encoding: .utf8)
    }

    static func calibration(_ name: String, method: String, runs: Int) -> String {
        """
        schema: 1
        calibration: \(name)
        base: g20.yaml
        seeds: [42]
        parameters:
          - {key: traffic.demand_scale, min: 0.5, max: 1.5, start: 1.2}
        observations:
          - {kind: counts, file: counts.csv}
        objective: geh
        method: \(method)
        budget: {runs: \(runs)}
        """
    }

    static func best(_ folder: String) throws -> Double? {
        let text = try String(contentsOfFile: folder + "/best.yaml", encoding: .utf8)
        let line = text.split(separator: "\n").first { $0.contains("traffic.demand_scale:") }
        return line.flatMap { Double($0.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)) }
    }

    @Test func fitOfARunToItsOwnCountsIsPerfectAndUnmatchedRowsAreReported() throws {
        let dir = tempDir("twinfit")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.writeTruth(dir)
        var counts = try String(contentsOfFile: dir + "/counts.csv", encoding: .utf8)
        let first = counts.split(separator: "\n")[1].split(separator: ",")[0]
        counts += "\(first)x,0h,1h,10\n\(first),10min,1h,10\n\(first),1h,3h,10\n"
        try counts.write(toFile: dir + "/counts.csv", atomically: true, encoding: .utf8)
        let r = try citytwin([
            "fit", dir + "/truth/g20.h5", dir + "/counts.csv", "--csv", dir + "/fit.csv", "--h5", dir + "/fit.h5",
        ])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("overall: geh_mean 0.0000"), "\(r.out)")
        #expect(r.out.contains("GEH < 5 on 100.0 % of 80 hourly flows (> 85 %: met)"), "\(r.out)")
        #expect(r.out.contains("not matched: 3 observations"), "\(r.out)")
        #expect(r.out.contains("no such link in the model (did you mean '\(first)'?)"), "\(r.out)")
        #expect(r.out.contains("not output times of the run (every 15min)"), "\(r.out)")
        #expect(r.out.contains("after the run's last output time"), "\(r.out)")
        let f = try H5File.open(dir + "/fit.h5")
        let g = try f.root.group("fit/counts")
        #expect(try g.doubleAttribute("overall_geh_mean") == 0)
        #expect(try g.dataset("sensor_id").readStrings().count == 40)
        #expect(try f.root.group("fit/unmatched").dataset("reason").readStrings().count == 3)
        // the report draws the fit: the overall measures, the FHWA verdict, the sensors worst first
        let rep = try citytwin(["report", dir + "/truth/g20.h5", "--fit", dir + "/fit.h5", "-o", dir + "/r.html"])
        #expect(rep.status == 0, "\(rep.err)")
        let html = try String(contentsOfFile: dir + "/r.html", encoding: .utf8)
        #expect(html.contains("id=\"fit-counts\"") && html.contains("15 of 40 sensors, worst first by geh_mean"))
        #expect(html.contains("acceptance") && html.contains("<b>met</b>"), "the FHWA verdict")
        #expect(html.contains("3 observations could not be matched"))
        let noFit = try citytwin(["report", dir + "/truth/g20.h5", "--fit", dir + "/truth/g20.h5", "-o", dir + "/x"])
        #expect(noFit.status == 64 && noFit.err.contains("no group 'fit'"), "\(noFit.err)")
        // the model under other demand is off, and the result is never written to
        let bad = try citytwin(["fit", dir + "/truth/g20.h5", "gauges:" + dir + "/counts.csv"])
        #expect(bad.status == 64 && bad.err.contains("counts.csv:1"), "\(bad.err)")
        let typo = try citytwin(["fit", dir + "/truth/g20.h5", "count:" + dir + "/counts.csv"])
        #expect(typo.status != 0 && typo.err.contains("did you mean 'counts'?"), "\(typo.err)")
    }

    /// Nelder–Mead and SPSA recover the hidden demand scale 0.8 from 1.2 within 0.05 (the counts are exact, the
    /// objective mean GEH); a calibration killed in its fourth batch and continued ends with the same history
    /// and result as the uninterrupted one.
    @Test func calibrationRecoversTheHiddenDemandAndResumesIdentically() throws {
        let dir = tempDir("twincal")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.writeTruth(dir)
        for (name, method, runs) in [("nm", "nelder_mead", 16), ("spsa", "spsa", 24)] {
            try Self.calibration(name, method: method, runs: runs).write(
                toFile: dir + "/\(name).calibration.yaml", atomically: true, encoding: .utf8)
            let r = try citytwin(["calibrate", dir + "/\(name).calibration.yaml", "-o", dir + "/out"])
            #expect(r.status == 0, "\(r.err)")
            let best = try Self.best(dir + "/out/\(name)")
            #expect(best.map { abs($0 - 0.8) < 0.05 } == true, "\(name): \(String(describing: best))\n\(r.out)")
            let csv = try String(contentsOfFile: dir + "/out/\(name)/calibration.csv", encoding: .utf8)
            #expect(csv.split(separator: "\n").count - 1 <= runs)
            #expect(FileManager.default.fileExists(atPath: dir + "/out/\(name)/fit-after.csv"))
        }
        // killed mid-way, then the same command
        let p = try startQuietly(citytwinBinary, ["calibrate", dir + "/nm.calibration.yaml", "-o", dir + "/killed"])
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && !FileManager.default.fileExists(atPath: dir + "/killed/nm/batches/b0004") {
            usleep(20_000)
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(!FileManager.default.fileExists(atPath: dir + "/killed/nm/best.yaml"), "killed before the end")
        let again = try citytwin(["calibrate", dir + "/nm.calibration.yaml", "-o", dir + "/killed"])
        #expect(again.status == 0, "\(again.err)")
        for file in ["calibration.csv", "best.yaml"] {
            let a = try String(contentsOfFile: dir + "/out/nm/" + file, encoding: .utf8)
            let b = try String(contentsOfFile: dir + "/killed/nm/" + file, encoding: .utf8)
            #expect(a == b, "\(file) differs after the kill")
        }
        // a bad calibration file: located, with the nearest name
        try Self.calibration("bad", method: "nelder-mead", runs: 1).write(
            toFile: dir + "/bad.calibration.yaml", atomically: true, encoding: .utf8)
        let bad = try citytwin(["calibrate", dir + "/bad.calibration.yaml", "-o", dir + "/out"])
        #expect(bad.status == 64, "\(bad.err)")
        #expect(bad.err.contains("bad.calibration.yaml:10") && bad.err.contains("nelder_mead"), "\(bad.err)")
        #expect(bad.err.contains("bad.calibration.yaml:11"), "runs: 1 is below the minimum: \(bad.err)")
    }

    /// Gauges, loads and an extent taken from a coupled run itself fit it perfectly (RMSE 0, NSE and KGE 1, CSI 1);
    /// a gauge off the grid and an unknown transformer are reported, with the nearest name.
    @Test func gaugesLoadsAndExtentOfARunFitItPerfectly() throws {
        let dir = tempDir("twinflood")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CoupledCityTests.writeValleyCity(dir)
        try CoupledCityTests.job("city").write(toFile: dir + "/city.yaml", atomically: true, encoding: .utf8)
        let r = try citytwin(["run", dir + "/city.yaml", "--output", dir + "/out", "--quiet"])
        #expect(r.status == 0, "\(r.err)")
        let out = dir + "/out/city.h5"
        let x = try readDataset(out, "flood", "x").doubles
        let y = try readDataset(out, "flood", "y").doubles
        let time = try readDataset(out, "flood", "time").doubles
        let depth = try readDataset(out, "flood", "depth").doubles
        let maxDepth = try readDataset(out, "flood", "max_depth").doubles
        let (w, h) = (x.count, y.count)
        // gauges at the three cells whose depth varies most over the run, every output time; and one off the grid
        let cells = w * h
        let range = (0..<cells).map { c in
            let v = time.indices.map { depth[$0 * cells + c] }
            return v.max()! - v.min()!
        }
        let deepest = range.indices.sorted { range[$0] > range[$1] || (range[$0] == range[$1] && $0 < $1) }
        #expect(range[deepest[2]] > 0.01, "the storm changes depths")
        var gauges = "name,x,y,time,depth\n"
        for (g, c) in deepest.prefix(3).enumerated() {
            for (k, t) in time.enumerated() {
                gauges += "g\(g),\(x[c % w]),\(y[c / w]),\(Int(t))s,\(Float(depth[k * w * h + c]))\n"
            }
        }
        gauges += "far,\(x[0] - 1000),\(y[0]),0s,0\n"
        try gauges.write(toFile: dir + "/gauges.csv", atomically: true, encoding: .utf8)
        // loads of every transformer at every energy output time after the first power flow; and a typo
        let names = try H5File.open(out).root.group("energy").dataset("trafo_id").readStrings()
        let et = try readDataset(out, "energy", "time").doubles
        let p = try readDataset(out, "energy", "trafo_p").doubles
        #expect(p.contains { $0 != 0 }, "transformers carry power")
        var loads = "asset,time,p_mw\n"
        for (k, t) in et.enumerated() where k > 0 {
            for (a, n) in names.enumerated() { loads += "\(n),\(Int(t))s,\(Float(p[k * names.count + a]))\n" }
        }
        loads += "\(names[0])x,0s,0\n"
        try loads.write(toFile: dir + "/loads.csv", atomically: true, encoding: .utf8)
        // the extent: an ESRI ASCII grid of max_depth > 0.1 m, north row first
        let dx = x[1] - x[0]
        let dy = abs(y[1] - y[0])
        var asc = "ncols \(w)\nnrows \(h)\nxllcorner \(x[0] - dx / 2)\nyllcorner \(min(y[0], y[h - 1]) - dy / 2)\n"
        asc += "cellsize \(dx)\nNODATA_value -9999\n"
        let northFirst = y[1] > y[0] ? Array((0..<h).reversed()) : Array(0..<h)
        for j in northFirst {
            asc += (0..<w).map { maxDepth[j * w + $0] > 0.1 ? "1" : "0" }.joined(separator: " ") + "\n"
        }
        try asc.write(toFile: dir + "/extent.asc", atomically: true, encoding: .utf8)
        #expect(maxDepth.contains { $0 > 0.1 }, "the storm floods cells")
        let f = try citytwin([
            "fit", out, dir + "/gauges.csv", dir + "/loads.csv", dir + "/extent.asc", "--csv", dir + "/fit.csv",
        ])
        #expect(f.status == 0, "\(f.err)")
        let rows = try String(contentsOfFile: dir + "/fit.csv", encoding: .utf8).split(separator: "\n")
        func overall(_ kind: String, _ m: String) -> Double? {
            rows.first { $0.hasPrefix("\(kind),overall,,,\(m),") }.flatMap {
                Double($0.split(separator: ",", omittingEmptySubsequences: false)[5])
            }
        }
        #expect(overall("gauges", "rmse").map { $0 < 1e-6 } == true, "\(f.out)")
        #expect(overall("gauges", "nse").map { abs($0 - 1) < 1e-6 } == true, "\(f.out)")
        #expect(overall("gauges", "kge").map { abs($0 - 1) < 1e-5 } == true, "\(f.out)")
        #expect(overall("loads", "rmse").map { $0 < 1e-6 } == true, "\(f.out)")
        #expect(overall("extent", "csi") == 1, "\(f.out)")
        #expect(overall("extent", "false_alarm_ratio") == 0, "\(f.out)")
        #expect(f.out.contains("far: (\(String(format: "%.1f", x[0] - 1000))"), "\(f.out)")
        #expect(f.out.contains("no transformer of that name in the model (did you mean '\(names[0])'?)"), "\(f.out)")
    }

    /// The shipped Monaco twin (Jobs/monaco-twin): `make-observations` writes the committed observations again,
    /// the day and today jobs validate, and the shipped calibration, cut to 30 runs, recovers the hidden demand
    /// scale 1.2 and capacity factor 0.6 within 2.5 % of their ranges from its wrong starts (1.0 and 0.8 wide).
    @Test func shippedMonacoTwinRecoversItsHiddenParameters() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let twin = root + "/Jobs/monaco-twin"
        let dir = tempDir("monacotwin")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let make = try runTool(twin + "/make-observations", [citytwinBinary, dir + "/observations"])
        #expect(make.status == 0, "\(make.err)")
        for f in ["counts.csv", "speeds.csv"] {
            let shipped = try String(contentsOfFile: twin + "/observations/" + f, encoding: .utf8)
            let again = try String(contentsOfFile: dir + "/observations/" + f, encoding: .utf8)
            #expect(shipped == again, "\(f) is what make-observations writes")
        }
        for job in ["day.yaml", "today.yaml"] {
            let v = try citytwin(["validate", twin + "/" + job])
            #expect(v.status == 0, "\(job): \(v.err)")
        }
        let day = try String(contentsOfFile: twin + "/day.yaml", encoding: .utf8)
            .replacingOccurrences(of: "model: ../../Data/monaco", with: "model: \(root)/Data/monaco")
        try day.write(toFile: dir + "/day.yaml", atomically: true, encoding: .utf8)
        let cal = try String(contentsOfFile: twin + "/calibration.yaml", encoding: .utf8)
            .replacingOccurrences(of: "budget: {runs: 40}", with: "budget: {runs: 30}")
        #expect(cal.contains("budget: {runs: 30}"))
        try cal.write(toFile: dir + "/calibration.yaml", atomically: true, encoding: .utf8)
        let r = try citytwin(["calibrate", dir + "/calibration.yaml", "-o", dir + "/out"])
        #expect(r.status == 0, "\(r.err)")
        let best = try String(contentsOfFile: dir + "/out/monaco-twin/best.yaml", encoding: .utf8)
        func value(_ key: String) -> Double? {
            best.split(separator: "\n").first { $0.contains(key + ":") }
                .flatMap { Double($0.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)) }
        }
        let demand = value("traffic.demand_scale")
        let capacity = value("traffic.flow_capacity_factor")
        #expect(demand.map { abs($0 - 1.2) <= 0.025 * 1.0 } == true, "demand \(String(describing: demand))")
        #expect(capacity.map { abs($0 - 0.6) <= 0.025 * 0.8 } == true, "capacity \(String(describing: capacity))")
    }

    /// The g20 grid's west half as a demand zone: the trips starting there are scaled by the zone's scale, the
    /// others by demand_scale alone; calibrating the zone's scale (`traffic.demand_zones.west.scale`) to counts
    /// of a run whose west had 0.6 of its trips recovers 0.6 within 0.05 from 1.2.
    @Test func demandZonesScaleTheirTripsAndCalibrate() throws {
        let dir = tempDir("twinzones")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let west = "{within: [{x: -10, y: -10}, {x: 1890, y: -10}, {x: 1890, y: 3810}, {x: -10, y: 3810}], scale: "
        try Self.writeTruth(dir, traffic: "traffic: {stuck_time: 10s, demand_zones: {west: \(west)0.6}}}")
        let base = TrafficCLITests.g20Job.replacingOccurrences(
            of: "traffic: {stuck_time: 10s}", with: "traffic: {stuck_time: 10s, demand_zones: {west: \(west)1.0}}}")
        try base.write(toFile: dir + "/g20.yaml", atomically: true, encoding: .utf8)
        let cal = Self.calibration("zone", method: "nelder_mead", runs: 14).replacingOccurrences(
            of: "{key: traffic.demand_scale, min: 0.5, max: 1.5, start: 1.2}",
            with: "{key: traffic.demand_zones.west.scale, min: 0.3, max: 1.5, start: 1.2}")
        try cal.write(toFile: dir + "/zone.calibration.yaml", atomically: true, encoding: .utf8)
        let r = try citytwin(["calibrate", dir + "/zone.calibration.yaml", "-o", dir + "/out"])
        #expect(r.status == 0, "\(r.err)")
        let text = try String(contentsOfFile: dir + "/out/zone/best.yaml", encoding: .utf8)
        let best = text.split(separator: "\n").first { $0.contains("traffic.demand_zones.west.scale:") }
            .flatMap { Double($0.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)) }
        #expect(best.map { abs($0 - 0.6) < 0.05 } == true, "\(String(describing: best))\n\(r.out)")
        // the zone scales only its own trips: fewer trips than all of g20's 20,001, more than 0.6 of them
        let zoned = try citytwin(["run", dir + "/truth.yaml", "-o", dir + "/again", "--quiet"])
        let line = zoned.out.split(separator: "\n").first { $0.contains("trips_completed") }
        let trips = line.flatMap { Double($0.split(separator: " ", omittingEmptySubsequences: true)[1]) }
        #expect(trips.map { $0 > 0.6 * 20001 && $0 < 20001 } == true, "\(zoned.out)")
        // a zone holding no trip, and one with two points, are located errors
        let bad = base.replacingOccurrences(
            of: "demand_zones: {west: \(west)1.0}}",
            with: "demand_zones: {west: \(west)1.0}, far: {within: [{x: 9000, y: 9000}, {x: 9100, y: 9000}, "
                + "{x: 9100, y: 9100}], scale: 2}, line: {within: [{x: 0, y: 0}, {x: 1, y: 1}], scale: 2}}")
        try bad.write(toFile: dir + "/bad.yaml", atomically: true, encoding: .utf8)
        let v = try citytwin(["validate", dir + "/bad.yaml"])
        #expect(v.status == 64 && v.err.contains("traffic.demand_zones.line.within"), "\(v.err)")
        let good = bad.replacingOccurrences(of: ", line: {within: [{x: 0, y: 0}, {x: 1, y: 1}], scale: 2}", with: "")
        try good.write(toFile: dir + "/far.yaml", atomically: true, encoding: .utf8)
        let w = try citytwin(["validate", dir + "/far.yaml"])
        #expect(
            w.status == 64 && w.err.contains("E-JOB-053") && w.err.contains("zone 'far' holds the start of no trip"))
    }

    /// Count stations given by place (x, y 3 m off the road and the heading of the traffic counted, no link ids)
    /// match the links they stand by and fit exactly as the same counts by link id; without a heading a two-way
    /// street is ambiguous, and a place far from every road is too far: both are reported, with file and line.
    @Test func countStationsByPlaceMatchTheirLinks() throws {
        let dir = tempDir("twinplaces")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.writeTruth(dir)
        let script = """
            import csv, math, sys
            d = sys.argv[1]
            nodes = {r['id']: (float(r['x']), float(r['y'])) for r in csv.DictReader(open(d + '/g20/network/nodes.csv'))}
            links = {r['id']: (r['from'], r['to']) for r in csv.DictReader(open(d + '/g20/network/links.csv'))}
            with open(d + '/places.csv', 'w') as o, open(d + '/bare.csv', 'w') as b:
                o.write('# count stations by place\\nstation,x,y,heading,from,to,count\\n')
                b.write('x,y,from,to,count\\n9000,9000,0h,1h,5\\n')
                for r in csv.DictReader(open(d + '/counts.csv')):
                    (x0, y0), (x1, y1) = (nodes[e] for e in links[r['link_id']])
                    h = (math.degrees(math.atan2(x1 - x0, y1 - y0)) + 360) % 360
                    x, y = (x0 + x1) / 2 + 3, (y0 + y1) / 2 + 2
                    o.write(f"st-{r['link_id']},{x},{y},{h:.0f},{r['from']},{r['to']},{r['count']}\\n")
                    b.write(f"{x},{y},{r['from']},{r['to']},{r['count']}\\n")
            """
        let py = try runPython(script, [dir])
        #expect(py.status == 0, "\(py.err)")
        let byID = try citytwin(["fit", dir + "/truth/g20.h5", dir + "/counts.csv"])
        let byPlace = try citytwin(["fit", dir + "/truth/g20.h5", dir + "/places.csv", "--csv", dir + "/fit.csv"])
        #expect(byPlace.status == 0, "\(byPlace.err)")
        #expect(byPlace.out.contains("overall: geh_mean 0.0000") && byPlace.out.contains("counts: 40 sensors"))
        let overall = { (out: String) in out.split(separator: "\n").first { $0.contains("overall:") } }
        #expect(overall(byID.out) == overall(byPlace.out), "\(byPlace.out)")
        let csv = try String(contentsOfFile: dir + "/fit.csv", encoding: .utf8)
        #expect(
            csv.contains(" (3 m),") && csv.contains(" (2 m),"), "matched 3 m or 2 m off the road: \(csv.prefix(300))")
        let bare = try citytwin(["fit", dir + "/truth/g20.h5", dir + "/bare.csv"])
        #expect(bare.err.isEmpty && bare.out.contains("not matched: 81 observations"), "\(bare.out)")
        #expect(bare.out.contains("bare.csv:2: 9000 9000: the nearest link"), "\(bare.out)")
        #expect(bare.out.contains("are as near: give a 'heading' column"), "\(bare.out)")
    }
}
