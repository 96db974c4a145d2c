import Foundation
import SimCore
import TrafficModel

/// Writes a traffic model directory: `model.yaml` (traffic section), `network/nodes.csv`, `network/links.csv`
/// and, with demand, `demand/od.csv`. Refuses to replace an existing model unless `overwrite`.
public enum NetworkModelWriter {
    public static func write(
        _ net: RoadNetwork, demand: ODMatrix?, vehicles: VehiclePlans? = nil, name: String, description: String,
        provenance: String,
        crs: String? = nil, to dir: String, overwrite: Bool, endpointsOnly: Bool = false
    ) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: dir + "/model.yaml") && !overwrite {
            throw RunError(
                "'\(dir)' already holds a model", hint: "pass --overwrite to replace it, or choose another --output")
        }
        do {
            try fm.createDirectory(atPath: dir + "/network", withIntermediateDirectories: true)
            if demand != nil { try fm.createDirectory(atPath: dir + "/demand", withIntermediateDirectories: true) }
            if vehicles != nil {
                try fm.createDirectory(atPath: dir + "/population", withIntermediateDirectories: true)
            }
        } catch {
            throw RunError(
                "cannot create '\(dir)': \(error.localizedDescription)",
                hint: "check that the parent folder exists and is writable")
        }
        try writeFileAtomically(dir + "/network/nodes.csv", net.nodesCSV())
        try writeFileAtomically(dir + "/network/links.csv", net.linksCSV())
        if net.hasTurnRestrictions { try writeFileAtomically(dir + "/network/turns.csv", net.turnsCSV()) }
        if let od = demand { try writeFileAtomically(dir + "/demand/od.csv", net.odCSV(od)) }
        if let v = vehicles {
            try writeFileAtomically(dir + "/population/vehicles.csv", v.csv(on: net, endpointsOnly: endpointsOnly))
        }
        var y = "# CityTwin model (schema 1), made by `citytwin import`. Sources: \(provenance)\n"
        y += "schema: 1\nname: \(yamlQuote(name))\ndescription: \(yamlQuote(description))\n"
        if let crs { y += "crs: \(crs)\n" }
        y += "traffic:\n  nodes: network/nodes.csv\n  links: network/links.csv\n"
        if net.hasTurnRestrictions { y += "  banned_turns: network/turns.csv\n" }
        if demand != nil { y += "  demand: demand/od.csv\n" }
        if vehicles != nil { y += "  vehicles: population/vehicles.csv\n" }
        y += "  zones_are_through: \(net.zonesAreThrough)\n"
        try writeFileAtomically(dir + "/model.yaml", y)
    }

    /// Adds the traffic tables to an existing model directory (e.g. the terrain model of the same city) and a
    /// `traffic:` section to its model.yaml; with `overwrite`, an existing section is replaced.
    public static func addTraffic(
        _ net: RoadNetwork, vehicles: VehiclePlans?, geometry: [[(x: Double, y: Double)]]?, to dir: String,
        overwrite: Bool, endpointsOnly: Bool = false
    ) throws {
        let yamlPath = dir + "/model.yaml"
        guard let text = try? String(contentsOfFile: yamlPath, encoding: .utf8) else {
            throw RunError(
                "'\(dir)' has no model.yaml to add traffic to",
                hint: "import the terrain first, or write a new model with -o")
        }
        var lines = try removeSection("traffic", from: text, path: yamlPath, overwrite: overwrite)
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: dir + "/network", withIntermediateDirectories: true)
            if vehicles != nil {
                try fm.createDirectory(atPath: dir + "/population", withIntermediateDirectories: true)
            }
        } catch { throw RunError("cannot write into '\(dir)': \(error.localizedDescription)") }
        try writeFileAtomically(dir + "/network/nodes.csv", net.nodesCSV())
        try writeFileAtomically(dir + "/network/links.csv", net.linksCSV())
        if net.hasTurnRestrictions { try writeFileAtomically(dir + "/network/turns.csv", net.turnsCSV()) }
        if let g = geometry {
            var s = "id,wkt\n"
            for (a, pts) in g.enumerated() {
                s +=
                    net.linkIDs[a] + ",\"LINESTRING ("
                    + pts.map { String(format: "%.2f %.2f", $0.x, $0.y) }.joined(separator: ", ") + ")\"\n"
            }
            try writeFileAtomically(dir + "/network/geometry.csv", s)
        }
        if let v = vehicles {
            try writeFileAtomically(dir + "/population/vehicles.csv", v.csv(on: net, endpointsOnly: endpointsOnly))
        }
        lines += ["traffic:", "  nodes: network/nodes.csv", "  links: network/links.csv"]
        if net.hasTurnRestrictions { lines.append("  banned_turns: network/turns.csv") }
        if geometry != nil { lines.append("  geometry: network/geometry.csv") }
        if vehicles != nil { lines.append("  vehicles: population/vehicles.csv") }
        lines.append("  zones_are_through: true")
        try writeFileAtomically(yamlPath, lines.joined(separator: "\n") + "\n")
    }

    /// model.yaml's lines without its top-level `name:` section (an error if it has one and `overwrite` is off).
    static func removeSection(_ name: String, from text: String, path: String, overwrite: Bool) throws -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let i = lines.firstIndex(where: { $0.hasPrefix(name + ":") }) {
            guard overwrite else {
                throw RunError(
                    "'\(path)' already has a\(name.first.map { "aeiou".contains($0) } == true ? "n" : "") \(name) section",
                    hint: "pass --overwrite to replace it")
            }
            var j = i + 1
            while j < lines.count, lines[j].hasPrefix(" ") || lines[j].hasPrefix("\t") { j += 1 }
            lines.removeSubrange(i..<j)
        }
        while let l = lines.last, l.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        return lines
    }

    static func yamlQuote(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
