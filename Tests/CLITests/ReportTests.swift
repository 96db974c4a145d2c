import Foundation
import SimCore
import SimIO
import Testing

/// The one-file HTML report, opened in a real headless Chromium with the network cut off.
@Suite(.serialized) struct ReportTests {
    static let browser: String? = ["chromium", "chromium-headless-shell", "chromium-browser"].first { name in
        (try? ExportTests.tool("which", [name]).status) == 0
    }

    /// Chromium headless with every network request sent to a dead proxy and no name resolution.
    static func chromium(_ args: [String]) throws -> ProcResult {
        try ExportTests.tool(
            browser ?? "chromium",
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1",
                "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND", "--no-first-run",
                "--disable-extensions", "--user-data-dir=" + tempDir("chromium-profile"),
            ] + args)
    }

    /// The report is self-contained (no http: or https: anywhere, a restrictive CSP), its DOM has the KPI table and
    /// each map, and its screenshot shows a map that is not blank with its legend.
    @Test func reportOpensOfflineInChromium() throws {
        let (dir, h5) = try ExportTests.coupledResult("report")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let html = dir + "/report.html"
        let r = try citytwin(["report", h5, "-o", html])
        #expect(r.status == 0, "\(r.err)")
        let text = try String(contentsOfFile: html, encoding: .utf8)
        #expect(!text.contains("http:") && !text.contains("https:") && !text.contains("//cdn"))
        #expect(text.contains("Content-Security-Policy") && text.contains("default-src 'none'"))
        #expect(!text.contains("<script"), "no scripts")
        let dom = try Self.chromium(["--dump-dom", "file://" + html])
        #expect(dom.status == 0, "\(dom.err)")
        for id in ["kpis", "map-flood", "map-hazard", "map-links", "map-grid", "chart-en-route", "hot-links"] {
            #expect(dom.out.contains("id=\"\(id)\""), "\(id) in the DOM")
        }
        #expect(dom.out.contains("asset_trips"), "the KPI table lists the KPIs")
        let shot = dir + "/shot.png"
        let s = try Self.chromium(["--window-size=1100,2600", "--screenshot=" + shot, "file://" + html])
        #expect(s.status == 0 && FileManager.default.fileExists(atPath: shot), "\(s.err)")
        // the first map: the rows of its background colour (#f4f4f0); within its box, content that is not background
        // (the flood raster and streets) and the legend's swatches (depth classes) near the top right
        let py = try runPython(
            """
            import sys, numpy as np, rasterio
            a = rasterio.open(sys.argv[1]).read()[:3].astype(int)
            bg = (a[0] == 244) & (a[1] == 244) & (a[2] == 240)
            rows = np.where(bg.sum(axis=1) > 100)[0]
            assert len(rows) > 100, "a map background is on screen"
            runs = np.split(rows, np.where(np.diff(rows) > 30)[0] + 1)
            top, bottom = runs[0][0], runs[0][-1]
            cols = np.where(bg[top:bottom + 1].sum(axis=0) > 20)[0]
            left, right = cols[0], cols[-1]
            box = a[:, top:bottom + 1, left:right + 1]
            content = ~bg[top:bottom + 1, left:right + 1]
            assert content.mean() > 0.05, "map not blank: %.3f" % content.mean()
            legend = box[:, : 150, -220:]
            def has(rgb, n):
                m = np.all(np.abs(legend - np.array(rgb).reshape(3, 1, 1)) <= 3, axis=0)
                return m.sum() >= n
            assert has((8, 48, 107), 40) and has((158, 202, 225), 40), "legend swatches"
            white = (legend[0] > 250) & (legend[1] > 250) & (legend[2] > 250)
            assert white.sum() > 2000, "legend box"
            print("ok", content.mean())
            """, [shot])
        #expect(py.status == 0 && py.out.contains("ok"), "\(py.err)\(py.out)")
        // the top-N filter says so in the report
        let few = try citytwin(["report", h5, "-o", dir + "/few.html", "--max-links", "3"])
        #expect(few.status == 0, "\(few.err)")
        let notes = try String(contentsOfFile: dir + "/few.html", encoding: .utf8)
        #expect(notes.contains("the 3 most important of 10 links are drawn"), "\(notes.suffix(600))")
    }

    /// The report depends on the values only: results of 1 and 2 workers give the same bytes outside the
    /// provenance (which names the workers and the wall time).
    @Test func sameBytesForAnyWorkerCount() throws {
        let one = try ExportTests.coupledResult("report-w1", workers: 1)
        let two = try ExportTests.coupledResult("report-w2", workers: 2)
        defer {
            try? FileManager.default.removeItem(atPath: one.dir)
            try? FileManager.default.removeItem(atPath: two.dir)
        }
        func body(_ r: (dir: String, h5: String)) throws -> String {
            let out = try citytwin(["report", r.h5, "-o", r.dir + "/r.html"])
            #expect(out.status == 0, "\(out.err)")
            let s = try String(contentsOfFile: r.dir + "/r.html", encoding: .utf8)
            guard let a = s.range(of: "<section id=\"provenance\">"),
                let b = s.range(of: "</section>", range: a.upperBound..<s.endIndex)
            else { return s }
            return String(s[..<a.lowerBound]) + String(s[b.upperBound...])
        }
        let a = try body(one)
        #expect(a.count > 10_000)
        #expect(try a == body(two))
    }

    /// A compare output: its export has the Δ / half-width / significance rasters and per-entity layers with the
    /// compare file's values, newly wet polygons, and its report the KPI table with intervals and the Δ maps.
    @Test func comparisonExportAndReport() throws {
        let dir = tempDir("compare-export")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CoupledCityTests.writeValleyCity(dir)
        // the alternative: drainage halved floods more; two seeds each
        var files: [String] = []
        for (name, extra) in [("base", ""), ("less", "")] {
            for seed in [1, 2] {
                var job = CoupledCityTests.job(name, duration: "40min", extra: extra)
                    .replacingOccurrences(of: "seed: 7", with: "seed: \(seed)")
                if name == "less" { job = job.replacingOccurrences(of: "capacity: 10", with: "capacity: 2") }
                let path = dir + "/\(name)-\(seed).yaml"
                try job.write(toFile: path, atomically: true, encoding: .utf8)
                let r = try citytwin(["run", path, "--output", dir + "/s\(seed)", "--quiet"])
                #expect(r.status == 0, "\(r.err)")
                files.append(dir + "/s\(seed)/\(name).h5")
            }
        }
        let h5 = dir + "/compare.h5"
        let c = try citytwin(["compare"] + files + ["--base", "base", "--h5", h5])
        #expect(c.status == 0, "\(c.err)")
        let to = dir + "/export"
        let e = try citytwin(["export", h5, "--to", to])
        #expect(e.status == 0, "\(e.err)")
        let py = try runPython(
            """
            import sys, h5py, numpy as np, rasterio, geopandas as gpd, pyogrio
            h5, to = sys.argv[1], sys.argv[2]
            g = h5py.File(h5, "r")["less"]
            with rasterio.open(to + "/less.flood.max_depth.tif") as r:
                assert r.count == 3 and r.crs.to_epsg() == 32632
                assert np.array_equal(r.read(1), g["flood/max_depth_delta"][:].astype(np.float32), equal_nan=True)
                assert np.array_equal(r.read(3), g["flood/max_depth_significant"][:].astype(np.float32))
            layers = [l[0] for l in pyogrio.list_layers(to + "/compare.gpkg")]
            assert "less.links" in layers and "less.newly_wet" in layers, layers
            links = gpd.read_file(to + "/compare.gpkg", layer="less.links")
            t = g["traffic"]
            assert len(links) == t["link_id"].shape[0]
            name = [c for c in links.columns if c.endswith("_delta")][0]
            assert np.array_equal(links[name].values, t[name][:], equal_nan=True), name
            wet = gpd.read_file(to + "/compare.gpkg", layer="less.newly_wet")
            print("ok", len(wet))
            """, [h5, to])
        #expect(py.status == 0 && py.out.contains("ok"), "\(py.err)")
        let html = dir + "/compare.html"
        let r = try citytwin(["report", h5, "-o", html])
        #expect(r.status == 0, "\(r.err)")
        let text = try String(contentsOfFile: html, encoding: .utf8)
        #expect(text.contains("id=\"kpis\"") && text.contains("less vs base") && text.contains("id=\"map-less-flood\""))
        #expect(!text.contains("http:") && !text.contains("https:"))
    }
}
