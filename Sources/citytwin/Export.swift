import ArgumentParser
import Foundation
import ScenarioJobs
import SimCore

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a result or compare.h5 for GIS and spreadsheets (GDAL: COG, GeoPackage, GeoJSON; CSV).",
        discussion:
            "Rasters (max depth, arrival time, max speed, hazard rating, depth at --times; for a compare: Δ, "
            + "half-width and significance bands) go to Cloud-Optimized GeoTIFF; links, buses, transformers, "
            + "substations and buildings (and newly wet / dry areas of a compare) to one GeoPackage in the model CRS "
            + "and to GeoJSON in EPSG:4326 (RFC 7946); time series and KPIs to CSV with units in the header.")
    @Argument(help: "A result file or a compare.h5.") var input: String
    @Option(name: .customLong("to"), help: "The folder to write into (created if missing).") var directory: String
    @Option(help: "Comma-separated formats: cog, gpkg, geojson, csv (default: all the input has data for).")
    var format: String?
    @Option(help: "Comma-separated products: max_depth, hazard_rating, links, buses, traffic, kpis, ... (default all).")
    var vars: String?
    @Option(help: "Comma-separated output times for depth rasters: 2h, 90m, 7200s, 1h30m or ISO 8601.")
    var times: String?
    @Flag(help: "Replace files of an earlier export.") var overwrite = false

    func run() throws {
        do {
            func list(_ s: String?) -> [String]? {
                s.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            }
            let formats = try list(format).map { names in
                try names.map { n in
                    guard let f = ResultExport.Format(rawValue: n.lowercased()) else {
                        let all = ResultExport.Format.allCases.map(\.rawValue)
                        let hint = DidYouMean.suggest(n, from: all).map { "did you mean '\($0)'? " } ?? ""
                        throw RunError(
                            "--format \(n): not a format", hint: hint + "formats: " + all.joined(separator: ", "))
                    }
                    return f
                }
            }
            let export = ResultExport(
                input: input, directory: directory, formats: formats, variables: list(vars), times: list(times) ?? [],
                overwrite: overwrite)
            let t0 = Date()
            let written = try export.run()
            for p in written { print(p) }
            print(String(format: "exported %d files in %.2f s", written.count, Date().timeIntervalSince(t0)))
        } catch { throw Exit.fail(error) }
    }
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write one self-contained HTML report of a result or compare.h5 (no network, no server).",
        discussion:
            "Provenance, the KPI table (Δ and intervals for a compare), maps with legends and scale bars, "
            + "time-series charts and hotspot tables, in one file that opens from file:// offline.")
    @Argument(help: "A result file or a compare.h5.") var input: String
    @Option(name: .shortAndLong, help: "The HTML file to write (default: the input with .html).") var output: String?
    @Option(help: "Links drawn per map at most (the most important: by flow, or by |Δ| for a compare).")
    var maxLinks = 25_000
    @Option(help: "A fit of the result to observations (citytwin fit ... --h5 FILE), drawn as its own section.")
    var fit: String?
    @Flag(help: "Replace an existing report.") var overwrite = false

    func validate() throws {
        guard maxLinks > 0 else { throw ValidationError("--max-links must be at least 1") }
    }

    func run() throws {
        do {
            let t0 = Date()
            let target = output ?? (input as NSString).deletingPathExtension + ".html"
            let data = try ResultData.read(input)
            var report = ResultReport()
            report.maxLinks = maxLinks
            let html = try report.render(data, fit: try fit.map { try FitReport.read(h5: $0) })
            try writeFileAtomically(target, html, overwrite: overwrite)
            print(target)
            print(
                String(
                    format: "report: %.1f MB in %.2f s", Double(html.utf8.count) / 1e6, Date().timeIntervalSince(t0)))
        } catch { throw Exit.fail(error) }
    }
}
