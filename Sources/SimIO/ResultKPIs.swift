import SimCore

/// The identity and headline numbers of a finished result file (what `compare` pairs and differences).
public struct ResultKPIs: Sendable {
    public var path: String
    public var jobName: String
    public var jobHash: String
    public var seed: Int64
    /// (domain, KPI, units) → value, in the file's order.
    public var values: [(domain: String, name: String, units: String, value: Double)]

    public static func read(_ path: String) throws -> ResultKPIs {
        guard H5File.isHDF5(path) else {
            throw RunError(
                "'\(path)' is not an HDF5 file (or does not exist)", hint: "pass results written by 'citytwin run'")
        }
        let root = try H5File.open(path).root
        guard let name = try root.stringAttribute("job_name"), let seed = try root.intAttribute("seed") else {
            throw RunError("'\(path)' is not a CityTwin result (no job_name or seed)", hint: "pass a finished result")
        }
        var values: [(String, String, String, Double)] = []
        for g in try root.memberNames() where try root.isGroup(g) {
            let grp = try root.group(g)
            for k in try grp.attributeNames() where k.hasPrefix("kpi_") && !k.hasSuffix("_units") {
                let v = try grp.doubleAttribute(k) ?? .nan
                values.append((g, String(k.dropFirst(4)), try grp.stringAttribute(k + "_units") ?? "", v))
            }
        }
        return ResultKPIs(
            path: path, jobName: name, jobHash: try root.stringAttribute("job_hash") ?? "", seed: seed,
            values: values)
    }
}
