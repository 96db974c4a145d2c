import FloodModel
import Foundation
import SimCore
import SimIO

/// `citytwin report`: one self-contained HTML file of a result or a compare output: provenance, the KPI table,
/// maps with legends and scale bars (inline SVG over data-URI PNG rasters), time-series charts and hotspot tables.
/// Nothing is fetched: no scripts, fonts or links, and a Content-Security-Policy that forbids loading anything but
/// inline styles and data-URI images, so it opens from `file://` with no network. The bytes depend only on the
/// input's values (the provenance section names the workers and wall time of the run).
public struct ResultReport: Sendable {
    /// Links drawn per map at most (by flow, or by |Δ| for a compare); the rest are left out and the map says so.
    public var maxLinks = 25_000
    /// Shape points drawn per map at most; beyond, links are drawn as straight lines between their ends.
    public var maxShapePoints = 120_000
    /// Rows of each hotspot table.
    public var hotspots = 15
    public init() {}

    /// The report of `d`; with `fit` (a result's fit to observations) a section of it after the key figures.
    public func render(_ d: ResultData, fit: FitReport? = nil) throws -> String {
        var body: [String] = []
        var notes: [String] = []
        let title =
            d.kind == .run
            ? "CityTwin result: " + (d.provenance.first { $0.key == "job_name" }?.value ?? d.path)
            : "CityTwin comparison: " + d.alternatives.joined(separator: ", ")
        body.append("<h1>\(Self.html(title))</h1>")
        body.append(provenance(d))
        body.append(kpiTable(d))
        if let fit { body.append(fitSection(fit)) }
        if d.kind == .run {
            body.append("<section id=\"maps\"><h2>Maps</h2>" + (try runMaps(d, notes: &notes)) + "</section>")
            body.append("<section id=\"charts\"><h2>Time series</h2>" + charts(d) + "</section>")
            body.append("<section id=\"hotspots\"><h2>Hotspots</h2>" + runHotspots(d) + "</section>")
        } else {
            body.append(
                "<section id=\"maps\"><h2>Where the alternatives differ</h2>" + (try compareMaps(d, notes: &notes))
                    + "</section>")
            body.append("<section id=\"hotspots\"><h2>Largest differences</h2>" + compareHotspots(d) + "</section>")
        }
        if !notes.isEmpty {
            body.append(
                "<section id=\"notes\"><h2>Notes</h2><ul>" + notes.map { "<li>\(Self.html($0))</li>" }.joined()
                    + "</ul></section>")
        }
        let csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="\(csp)">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(Self.html(title))</title>
            <style>\(Self.style)</style></head>
            <body>
            \(body.joined(separator: "\n"))
            </body></html>

            """
    }

    static let style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1000px;color:#222}\
        table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}\
        td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#eee}\
        td.l,th.l{text-align:left}figure{margin:12px 0}svg text{font-size:11px;fill:#222}\
        svg .lt{font-weight:600}figcaption{font-size:13px;color:#444}.note{color:#8a4b00;font-size:13px}\
        .map svg{border:1px solid #999;background:#f4f4f0}
        """

    func provenance(_ d: ResultData) -> String {
        var rows = d.provenance.map { ($0.key, $0.value) }
        rows.append(("file", (d.path as NSString).lastPathComponent))
        if d.kind == .comparison {
            let seeds = Dictionary(grouping: d.kpis, by: { $0.alternative ?? "" }).mapValues { $0.map(\.n).max() ?? 0 }
            for alt in d.alternatives { rows.append(("seeds of \(alt)", "\(seeds[alt] ?? 0) paired with its base")) }
        }
        let label = ["wall_time_s": "wall time (s)", "job_name": "job", "job_hash": "job hash"]
        return "<section id=\"provenance\"><h2>Provenance</h2><table>"
            + rows.map {
                "<tr><th class=\"l\">\(Self.html(label[$0.0] ?? $0.0))</th><td class=\"l\">\(Self.html($0.1))</td></tr>"
            }
            .joined() + "</table></section>"
    }

    static func num(_ v: Double) -> String {
        guard v.isFinite else { return "–" }
        return String(format: "%.4g", v)
    }

    func kpiTable(_ d: ResultData) -> String {
        var s = "<section id=\"kpi\"><h2>Key figures</h2><table id=\"kpis\">"
        if d.kind == .run {
            s += "<tr><th class=\"l\">domain</th><th class=\"l\">KPI</th><th>value</th><th class=\"l\">units</th></tr>"
            for k in d.kpis {
                s += "<tr><td class=\"l\">\(k.domain)</td><td class=\"l\">\(Self.html(k.name))</td>"
                s += "<td>\(Self.num(k.value))</td><td class=\"l\">\(Self.html(k.units))</td></tr>"
            }
        } else {
            s += "<tr><th class=\"l\">domain</th><th class=\"l\">KPI</th><th class=\"l\">alternative</th><th>n</th>"
            s +=
                "<th>base mean</th><th>mean</th><th>Δ</th><th>interval</th><th>Holm p</th>"
                + "<th class=\"l\">units</th></tr>"
            for k in d.kpis {
                let interval = k.low.isFinite && k.n > 1 ? "[\(Self.num(k.low)), \(Self.num(k.high))]" : "one seed"
                s += "<tr><td class=\"l\">\(k.domain)</td><td class=\"l\">\(Self.html(k.name))</td>"
                s +=
                    "<td class=\"l\">\(Self.html(k.alternative ?? "")) vs \(Self.html(k.base ?? ""))</td>"
                    + "<td>\(k.n)</td>"
                s += "<td>\(Self.num(k.meanBase))</td><td>\(Self.num(k.value))</td><td>\(Self.num(k.delta))</td>"
                s += "<td>\(interval)</td><td>\(Self.num(k.p))</td><td class=\"l\">\(Self.html(k.units))</td></tr>"
            }
        }
        return s + "</table></section>"
    }

    static func table(_ id: String, _ caption: String, _ head: [String], _ rows: [[String]]) -> String {
        guard !rows.isEmpty else { return "" }
        var s = "<table id=\"\(id)\"><caption>\(html(caption))</caption><tr>"
        s += head.enumerated().map { "<th\($0.offset == 0 ? " class=\"l\"" : "")>\(html($0.element))</th>" }.joined()
        s += "</tr>"
        for r in rows {
            s +=
                "<tr>"
                + r.enumerated().map { "<td\($0.offset == 0 ? " class=\"l\"" : "")>\(html($0.element))</td>" }
                .joined() + "</tr>"
        }
        return s + "</table>"
    }

    /// The links to draw, most important first, and whether shapes must be reduced to their end points.
    func drawable(_ l: ResultData.Layer, priority: (Int) -> Double, notes: inout [String], map: String)
        -> (order: [Int], straight: Bool)
    {
        var order = Array(0..<l.count)
        order.sort { (priority($0), $1) > (priority($1), $0) }
        if order.count > maxLinks {
            notes.append("\(map): the \(maxLinks) most important of \(l.count) links are drawn (top-N filter).")
            order = Array(order.prefix(maxLinks))
        }
        let points = order.reduce(0) { $0 + l.start[$1 + 1] - l.start[$1] }
        if points > maxShapePoints {
            notes.append("\(map): links are drawn as straight lines between their ends (\(points) shape points).")
            return (order, true)
        }
        return (order, false)
    }

    /// `l` with every shape reduced to its two end points (when `straight`).
    static func simplified(_ l: ResultData.Layer, straight: Bool) -> ResultData.Layer {
        guard straight else { return l }
        var s = l
        s.x = []
        s.y = []
        s.start = [0]
        for k in 0..<l.count {
            s.x += [l.x[l.start[k]], l.x[l.start[k + 1] - 1]]
            s.y += [l.y[l.start[k]], l.y[l.start[k + 1] - 1]]
            s.start.append(s.x.count)
        }
        return s
    }
}
