import SimCore

/// A human-readable account of a result file: run identity, groups, datasets with shapes and units, KPIs.
public enum ResultInspector {
    public static func describe(path: String) throws -> String {
        guard H5File.isHDF5(path) else {
            throw RunError(
                "'\(path)' is not an HDF5 file (or does not exist)", hint: "pass a result written by 'citytwin run'")
        }
        let f = try H5File.open(path)
        let root = try f.root
        var out = "\(path)\n"
        for a in ["job_name", "engine_version", "git_commit", "start_time", "created"] {
            if let v = try root.stringAttribute(a) { out += "  \(a): \(v)\n" }
        }
        for a in ["seed", "workers", "partitions"] { if let v = try root.intAttribute(a) { out += "  \(a): \(v)\n" } }
        for g in try root.memberNames() where try root.isGroup(g) {
            let grp = try root.group(g)
            out += "\n/\(g)\n"
            for d in try grp.memberNames() {
                let ds = try grp.dataset(d)
                let shape = try ds.shape.map(String.init).joined(separator: " x ")
                let units = try ds.stringAttribute("units") ?? ""
                let ln = try ds.stringAttribute("long_name") ?? ""
                // labels (e.g. link_id) are variable-length strings
                let type = (try? ds.elementType.rawValue) ?? "string"
                out +=
                    "  \(d.padding(toLength: 16, withPad: " ", startingAt: 0)) \(type) [\(shape)] \(units)\(ln.isEmpty ? "" : " — \(ln)")\n"
            }
            let kpis = try grp.attributeNames().filter { $0.hasPrefix("kpi_") && !$0.hasSuffix("_units") }
            if !kpis.isEmpty {
                out += "  KPIs:\n"
                for k in kpis {
                    let v = try grp.doubleAttribute(k) ?? .nan
                    let u = try grp.stringAttribute(k + "_units") ?? ""
                    out +=
                        "    \(String(k.dropFirst(4)).padding(toLength: 16, withPad: " ", startingAt: 0)) \(v) \(u)\n"
                }
            }
        }
        return out
    }
}
