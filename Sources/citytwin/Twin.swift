import ArgumentParser
import Foundation
import ScenarioJobs
import SimCore

struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure how far a result is from observations (counts, speeds, gauges, loads, a flood extent).",
        discussion: """
            Each observation file's kind is read from its header (counts: link_id,from,to,count; speeds: \
            link_id,from,to,speed; gauges: name,x|lon,y|lat,time,depth|level; loads: asset,time,p_mw[,q_mvar]) or \
            its extension (a raster: the observed flood extent, cells > 0 wet); `kind:path` names it. Prints GEH \
            and the FHWA TAT III targets for counts, RMSE and bias for speeds, depths and loads, NSE and KGE for \
            gauge and load series, hit rate, false alarm ratio and CSI for an extent (docs/twin.md).
            """)
    @Argument(help: "Result file (.h5) of `citytwin run`.") var result: String
    @Argument(help: "Observation files (CSV, or a raster of the flood extent); `kind:path` to name the kind.")
    var observations: [String]
    @Option(help: "Model depth (m) above which a cell counts as flooded against an observed extent.")
    var extentThreshold: Double = ResultData.wetThreshold
    @Option(help: "Also write the per-sensor and overall measures as CSV to this file.") var csv: String?
    @Option(help: "Write the fit as an HDF5 group `fit` to this file (for the report).") var h5: String?
    @Flag(help: "Replace existing CSV or HDF5 outputs.") var overwrite = false

    func run() throws {
        do {
            let sources = try observations.map { try FitReport.Source.parse($0, threshold: extentThreshold) }
            let report = try FitReport.fit(result: result, sources: sources)
            print(report.table, terminator: "")
            if let csv {
                try writeFileAtomically(csv, report.csv, overwrite: overwrite)
                print("wrote \(csv)")
                if !report.unmatched.isEmpty {
                    let u = (csv as NSString).deletingPathExtension + "-unmatched.csv"
                    try writeFileAtomically(u, report.unmatchedCSV, overwrite: overwrite)
                    print("wrote \(u)")
                }
            }
            if let h5 {
                try report.write(to: h5, overwrite: overwrite)
                print("wrote \(h5)")
            }
        } catch { throw Exit.fail(error) }
    }
}
