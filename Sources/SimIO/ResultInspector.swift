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
        for a in ["seed", "workers", "ranks", "partitions"] {
            if let v = try root.intAttribute(a) { out += "  \(a): \(v)\n" }
        }
        // a fork: the saved state it started from; a run that kept its states: where they are
        if let from = try root.stringAttribute("forked_from") {
            let t = try root.doubleAttribute("fork_time_s").map { " at \(SimTime(milliseconds: Int64($0 * 1000)))" }
            out += "  forked_from: \(from)\(t ?? "")\n"
        }
        if let states = try root.stringAttribute("states") { out += "  states: \(states) (beside this file)\n" }
        for g in try root.memberNames() where try root.isGroup(g) {
            let grp = try root.group(g)
            out += "\n/\(g)\n"
            let names = try grp.memberNames()
            let width = max(16, names.map(\.count).max() ?? 0)
            for d in names {
                let ds = try grp.dataset(d)
                let shape = try ds.shape.map(String.init).joined(separator: " x ")
                let units = try ds.stringAttribute("units") ?? ""
                let ln = try ds.stringAttribute("long_name") ?? ""
                // labels (e.g. link_id) are variable-length strings
                let type = (try? ds.elementType.rawValue) ?? "string"
                out +=
                    "  \(padded(d, width)) \(type) [\(shape)] \(units)\(ln.isEmpty ? "" : " — \(ln)")\n"
            }
            let kpis = try grp.attributeNames().filter { $0.hasPrefix("kpi_") && !$0.hasSuffix("_units") }
            if !kpis.isEmpty {
                out += "  KPIs:\n"
                let kw = max(16, kpis.map { $0.count - 4 }.max() ?? 0)
                for k in kpis {
                    let v = try grp.doubleAttribute(k) ?? .nan
                    let u = try grp.stringAttribute(k + "_units") ?? ""
                    out +=
                        "    \(padded(String(k.dropFirst(4)), kw)) \(v) \(u)\n"
                }
            }
        }
        return out
    }
}

/// `s` followed by spaces up to `width` characters (never cut).
func padded(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}
