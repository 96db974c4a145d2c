import Foundation
import SimCore
import SimIO

extension ResultExport {
    /// Writes every product into a staging folder inside `directory`, then renames each into place: a failure
    /// leaves the folder as it was. Refuses before writing anything when a target exists and not `overwrite`.
    static func writeAll(_ products: [Product], into directory: String, overwrite: Bool) throws -> [String] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDir), !isDir.boolValue {
            throw RunError("--to '\(directory)' is a file", hint: "give a folder for the exported files")
        }
        let targets = products.map { directory + "/" + $0.file }
        let existing = targets.filter { fm.fileExists(atPath: $0) }
        if !existing.isEmpty, !overwrite {
            throw RunError(
                "\(existing.count) of the export's files exist already: "
                    + existing.prefix(3).map { "'\($0)'" }.joined(separator: ", ")
                    + (existing.count > 3 ? ", ..." : ""),
                hint: "pass --overwrite to replace them, or export --to another folder")
        }
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw RunError(
                "cannot create the export folder '\(directory)': \(error.localizedDescription)",
                hint: "check the path and its permissions")
        }
        let staging = directory + "/.citytwin-export-\(getpid())"
        try? fm.removeItem(atPath: staging)
        guard mkdir(staging, 0o755) == 0 else {
            throw RunError(
                "cannot write into '\(directory)': \(String(cString: strerror(errno)))",
                hint: "check the folder's permissions and free space")
        }
        defer { try? fm.removeItem(atPath: staging) }
        for p in products {
            do {
                try p.write(staging + "/" + p.file)
            } catch let e as GDALError {
                throw RunError("cannot write '\(directory)/\(p.file)': \(e)", hint: "nothing was exported")
            }
        }
        for (p, target) in zip(products, targets) {
            guard rename(staging + "/" + p.file, target) == 0 else {
                throw RunError(
                    "cannot move '\(p.file)' into '\(directory)': \(String(cString: strerror(errno)))",
                    hint: "files moved before it are complete; rerun with --overwrite")
            }
        }
        return targets
    }

    static func writeText(_ path: String, _ text: String) throws {
        do {
            try text.write(toFile: path, atomically: false, encoding: .utf8)
        } catch {
            throw RunError("cannot write '\(path)': \(error.localizedDescription)", hint: "check free space")
        }
    }

    /// One vector file of `layers` (fields named `<name>` with their units in the layer's description) and
    /// polygonised `masks`.
    static func writeVector(
        _ path: String, driver: String, layers: [ResultData.Layer], masks: [ResultData.Mask], srs: SpatialReference?,
        options: [String]
    ) throws {
        let file = try VectorFile(path, driver: driver)
        try file.transaction {
            for l in layers {
                let fields: [VectorFile.Field] =
                    [.text("id")] + l.text.map { .text($0.name) } + l.fields.map { .real($0.name) }
                let layer = try file.layer(
                    l.name, kind: l.kind == .point ? .point : .line, srs: srs, fields: fields,
                    options: options
                        + (driver == "GPKG"
                            ? ["DESCRIPTION=" + l.fields.map { "\($0.name) [\($0.units)]" }.joined(separator: ", ")]
                            : []))
                for k in 0..<l.count {
                    let shape: VectorFile.Shape
                    if l.kind == .point {
                        shape = l.x[k].isFinite && l.y[k].isFinite ? .point(l.x[k], l.y[k]) : .none
                    } else {
                        let r = l.start[k]..<l.start[k + 1]
                        let placed = r.allSatisfy { l.x[$0].isFinite && l.y[$0].isFinite }
                        shape = placed ? .line(x: l.x[r], y: l.y[r]) : .none
                    }
                    let values: [VectorFile.Value] =
                        [.text(l.ids[k])] + l.text.map { .text($0.values[k]) } + l.fields.map { .real($0.values[k]) }
                    try layer.add(shape, values)
                }
            }
            for m in masks {
                let layer = try file.layer(
                    m.name, kind: .polygon, srs: srs, fields: [.integer("value")],
                    options: options + (driver == "GPKG" ? ["DESCRIPTION=" + m.longName] : []))
                try layer.polygonize(
                    mask: m.cells, width: m.width, height: m.height, geoTransform: m.geoTransform, srs: srs)
            }
        }
        try file.close()
    }

    /// `time [s],<column> [<units>],...`, numbers printed so they read back to the same bits.
    static func csv(_ s: ResultData.Series) -> String {
        var out = (["time [s]"] + s.columns.map { "\($0.name) [\($0.units)]" }).joined(separator: ",") + "\n"
        out.reserveCapacity(s.time.count * (s.columns.count + 1) * 12)
        for (k, t) in s.time.enumerated() {
            out += "\(t)"
            for c in s.columns { out += ",\(c.values[k])" }
            out += "\n"
        }
        return out
    }

    static func csv(_ kpis: [ResultData.KPI], _ kind: ResultData.Kind) -> String {
        if kind == .run {
            return "domain,kpi,value,units\n"
                + kpis.map { "\($0.domain),\($0.name),\($0.value),\($0.units)\n" }.joined()
        }
        var out = "domain,kpi,units,alternative,base,n,mean,mean_base,delta,ci_low,ci_high,p_holm\n"
        for k in kpis {
            out +=
                [
                    k.domain, k.name, k.units, k.alternative ?? "", k.base ?? "", "\(k.n)", "\(k.value)",
                    "\(k.meanBase)", "\(k.delta)", "\(k.low)", "\(k.high)", "\(k.p)",
                ].joined(separator: ",") + "\n"
        }
        return out
    }
}
