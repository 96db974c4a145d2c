import Foundation
import SimCore
import TrafficModel

/// Writes a traffic model directory: `model.yaml` (traffic section), `network/nodes.csv`, `network/links.csv`
/// and, with demand, `demand/od.csv`. Refuses to replace an existing model unless `overwrite`.
public enum NetworkModelWriter {
    public static func write(_ net: RoadNetwork, demand: ODMatrix?, vehicles: VehiclePlans? = nil, name: String, description: String, provenance: String,
                             crs: String? = nil, to dir: String, overwrite: Bool) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: dir + "/model.yaml") && !overwrite {
            throw RunError("'\(dir)' already holds a model", hint: "pass --overwrite to replace it, or choose another --output")
        }
        do {
            try fm.createDirectory(atPath: dir + "/network", withIntermediateDirectories: true)
            if demand != nil { try fm.createDirectory(atPath: dir + "/demand", withIntermediateDirectories: true) }
            if vehicles != nil { try fm.createDirectory(atPath: dir + "/population", withIntermediateDirectories: true) }
        } catch {
            throw RunError("cannot create '\(dir)': \(error.localizedDescription)", hint: "check that the parent folder exists and is writable")
        }
        try writeFileAtomically(dir + "/network/nodes.csv", net.nodesCSV())
        try writeFileAtomically(dir + "/network/links.csv", net.linksCSV())
        if let od = demand { try writeFileAtomically(dir + "/demand/od.csv", net.odCSV(od)) }
        if let v = vehicles { try writeFileAtomically(dir + "/population/vehicles.csv", v.csv(on: net)) }
        var y = "# CityTwin model (schema 1), made by `citytwin import`. Sources: \(provenance)\n"
        y += "schema: 1\nname: \(yamlQuote(name))\ndescription: \(yamlQuote(description))\n"
        if let crs { y += "crs: \(crs)\n" }
        y += "traffic:\n  nodes: network/nodes.csv\n  links: network/links.csv\n"
        if demand != nil { y += "  demand: demand/od.csv\n" }
        if vehicles != nil { y += "  vehicles: population/vehicles.csv\n" }
        y += "  zones_are_through: \(net.zonesAreThrough)\n"
        try writeFileAtomically(dir + "/model.yaml", y)
    }

    static func yamlQuote(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
