import EnergyModel
import Foundation
import SimCore
import TrafficModel

/// The readers as fuzz targets: one entry that feeds bytes to a reader and ignores the error it throws (bad input
/// must throw, never trap). Used by the libFuzzer harness (`scripts/fuzz --libfuzzer`, Tests/Fuzz/Harness.swift)
/// and by the test that replays the inputs it kept (Tests/Fuzz/Regressions).
public enum ReaderFuzzing {
    public static let targets = ["ascii-grid", "road-network", "vehicles", "csv-table", "grid-json", "profiles"]

    /// A small network the vehicle and link tables are read against.
    static let nodes = "id,x,y,zone\nO,0,0,0\nA,500,0,0\nB,1500,0,0\nC,1000,800,0\nD,2000,0,0\n"
    static let links =
        "id,from,to,length_m,lanes,free_speed_mps,capacity_vph,free_flow_time_s,bpr_alpha,bpr_beta,fixed_cost_s\n"
        + "in,O,A,500,2,15,4000,33.3,0.15,4,0\nshort,A,B,1000,1,15,600,66.7,0.15,4,0\n"
        + "up,A,C,950,2,15,3600,63.3,0.15,4,0\ndown,C,B,950,2,15,3600,63.3,0.15,4,0\nout,B,D,500,2,15,4000,33.3,0.15,4,0\n"
    static let network = try? RoadNetwork.fromCSV(
        nodes: nodes, nodesFile: "nodes.csv", links: links, linksFile: "links.csv", zonesAreThrough: true)

    /// Feeds `bytes` to the reader `target`; true if the reader accepted them.
    @discardableResult
    public static func feed(_ target: String, _ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        do {
            switch target {
            case "ascii-grid":
                _ = try AsciiGrid.parse(bytes, path: "fuzz.asc", maxCells: 1 << 22)
            case "road-network":
                if text.hasPrefix("id,x,y,zone") {
                    var n = try RoadNetwork.fromCSV(
                        nodes: text, nodesFile: "nodes.csv", links: links, linksFile: "links.csv",
                        zonesAreThrough: true)
                    try n.readBannedTurns("from_link,to_link\nin,up\n", file: "turns.csv")
                } else if var n = network {
                    n = try RoadNetwork.fromCSV(
                        nodes: nodes, nodesFile: "nodes.csv", links: text, linksFile: "links.csv",
                        zonesAreThrough: true)
                    try n.readBannedTurns("from_link,to_link\nin,up\n", file: "turns.csv")
                }
            case "vehicles":
                if let n = network { _ = try VehiclePlans.fromCSV(text, file: "vehicles.csv", on: n) }
            case "csv-table":
                _ = try CSVTable.parse(
                    text, path: "table.csv", numeric: ["x", "y"], text: ["kind", "name"], emptyIsZero: false)
            case "grid-json":
                let g = try GridReader.readReference(data: Data(bytes), path: "network.json")
                _ = try g.busBranchModel(origin: "network.json")
            case "profiles":
                _ = try ProfileReader.parse(bytes, path: "profiles.csv")
            default:
                return false
            }
            return true
        } catch {
            return false
        }
    }
}
