import Foundation
import SimCore
import SimIO

extension FitReport {
    static func number(_ v: Double) -> String {
        guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
        return abs(v) >= 1e4 || (abs(v) < 1e-3 && v != 0) ? String(format: "%.4g", v) : String(format: "%.4f", v)
    }

    /// The terminal table: one line per sensor with its main measures, the overall measures per kind, the FHWA
    /// verdict and the observations left out.
    public var table: String {
        var out = ""
        for kind in Source.Kind.allCases {
            let rows = sensors.filter { $0.kind == kind }
            guard !rows.isEmpty else { continue }
            let names = rows[0].measures.map(\.name)
            let width = max(8, min(40, rows.map(\.name.count).max() ?? 8))
            out += "\(kind.rawValue): \(rows.count) sensors\n"
            out += "  " + "sensor".padding(toLength: width, withPad: " ", startingAt: 0) + "      n"
            for n in names { out += " " + String(repeating: " ", count: max(0, 14 - n.count)) + n }
            out += "\n"
            for r in rows {
                let name = r.name.count > width ? String(r.name.prefix(width - 1)) + "…" : r.name
                out += "  " + name.padding(toLength: width, withPad: " ", startingAt: 0)
                out += String(format: " %6d", r.n)
                for m in r.measures {
                    let v = Self.number(m.value)
                    out += " " + String(repeating: " ", count: max(0, 14 - v.count)) + v
                }
                out += "\n"
            }
            let all = overall.filter { $0.kind == kind }.map { "\($0.measure.name) \(Self.number($0.measure.value))" }
            out += "  overall: " + all.joined(separator: ", ") + "\n"
            if kind == .counts, let a = acceptance {
                let pct = { (v: Double) in String(format: "%.1f %%", 100 * v) }
                out += "  FHWA TAT III: GEH < 5 on \(pct(a.shareGEHBelow5)) of \(a.count) hourly flows "
                out += a.meetsGEH ? "(> 85 %: met)" : "(> 85 %: not met)"
                out += "; within band \(pct(a.shareWithinBand)) " + (a.meetsBands ? "(met)" : "(not met)")
                out += "; sum \(pct(a.sumRelativeDifference)) " + (a.meetsSum ? "(met)" : "(not met)") + "\n"
            }
        }
        if !unmatched.isEmpty {
            out += "not matched: \(unmatched.count) observations\n"
            for u in unmatched.prefix(20) {
                out += "  \(u.file)" + (u.line > 0 ? ":\(u.line)" : "") + ": \(u.name): \(u.reason)\n"
            }
            if unmatched.count > 20 { out += "  … and \(unmatched.count - 20) more (all in the CSV and HDF5)\n" }
        }
        return out
    }

    static func csvField(_ s: String) -> String {
        s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// `kind,sensor,matched,n,measure,value,units`: a row per sensor and measure, then the overall rows (sensor
    /// `overall`). The observations left out go to their own file (`unmatchedCSV`).
    public var csv: String {
        var out = "kind,sensor,matched,n,measure,value,units\n"
        for s in sensors {
            for m in s.measures {
                out +=
                    [
                        s.kind.rawValue, Self.csvField(s.name), Self.csvField(s.matched), "\(s.n)", m.name,
                        Self.number(m.value), m.units,
                    ].joined(separator: ",") + "\n"
            }
        }
        for (kind, m) in overall {
            out +=
                [kind.rawValue, "overall", "", "", m.name, Self.number(m.value), m.units].joined(separator: ",") + "\n"
        }
        return out
    }

    /// `file,line,name,reason` of the observations left out.
    public var unmatchedCSV: String {
        "file,line,name,reason\n"
            + unmatched.map {
                [Self.csvField($0.file), "\($0.line)", Self.csvField($0.name), Self.csvField($0.reason)]
                    .joined(separator: ",") + "\n"
            }.joined()
    }

    /// Writes the fit as group `fit` of an HDF5 file (atomically): per kind a subgroup with the sensors' names,
    /// matches, counts and one dataset per measure (dimension `sensor`), overall measures as attributes
    /// `overall_<name>`, and the unmatched observations; the report draws it.
    public func write(to path: String, overwrite: Bool) throws {
        try H5File.writeAtomically(path, overwrite: overwrite) { f in
            let root = try f.root
            try root.setAttribute("title", "CityTwin fit of a result to observations")
            try root.setAttribute("engine_version", CityTwinVersion.string)
            let g = try root.createGroup("fit")
            try g.setAttribute("result", result)
            for kind in Source.Kind.allCases {
                let rows = sensors.filter { $0.kind == kind }
                let all = overall.filter { $0.kind == kind }
                guard !rows.isEmpty || !all.isEmpty else { continue }
                let k = try g.createGroup(kind.rawValue)
                let scale = try k.write("sensor", .float64(rows.indices.map(Double.init)))
                try scale.makeScale("sensor")
                try k.writeStrings("sensor_id", rows.map(\.name)).attach(scale: scale, dim: 0)
                try k.writeStrings("matched", rows.map(\.matched)).attach(scale: scale, dim: 0)
                try k.write("n", .int32(rows.map { Int32($0.n) })).attach(scale: scale, dim: 0)
                for (i, m) in (rows.first?.measures ?? []).enumerated() {
                    let d = try k.write(m.name, .float64(rows.map { $0.measures[i].value }))
                    try d.setAttribute("units", m.units)
                    try d.attach(scale: scale, dim: 0)
                }
                for (_, m) in all {
                    try k.setAttribute("overall_" + m.name, m.value)
                    try k.setAttribute("overall_" + m.name + "_units", m.units)
                }
            }
            if !unmatched.isEmpty {
                let u = try g.createGroup("unmatched")
                try u.writeStrings("file", unmatched.map(\.file))
                try u.write("line", .int32(unmatched.map { Int32($0.line) }))
                try u.writeStrings("name", unmatched.map(\.name))
                try u.writeStrings("reason", unmatched.map(\.reason))
            }
        }
    }

    /// A fit written by `write(to:)` (`citytwin fit --h5`), read back for the report: sensors with their
    /// measures, the overall measures per kind and the unmatched observations.
    public static func read(h5 path: String) throws -> FitReport {
        let f = try H5File.open(path)
        let root = try f.root
        guard try root.memberNames().contains("fit"), try root.isGroup("fit") else {
            throw InputError(
                SourceLocation(file: path), code: "E-FIT-001", message: "no group 'fit' in this file",
                hint: "write one with citytwin fit RESULT OBS... --h5 FILE")
        }
        let g = try root.group("fit")
        var report = FitReport(result: try g.stringAttribute("result") ?? "")
        let fixed = Set(["sensor", "sensor_id", "matched", "n"])
        for kind in Source.Kind.allCases where try g.memberNames().contains(kind.rawValue) {
            let k = try g.group(kind.rawValue)
            let ids = try k.dataset("sensor_id").readStrings()
            let matched = try k.dataset("matched").readStrings()
            let n = try k.dataset("n").read().doubles
            var measures: [(String, [Double], String)] = []
            for name in try k.memberNames() where !fixed.contains(name) {
                let d = try k.dataset(name)
                measures.append((name, try d.read().doubles, try d.stringAttribute("units") ?? ""))
            }
            for (i, id) in ids.enumerated() where i < matched.count && i < n.count {
                report.sensors.append(
                    Sensor(
                        kind: kind, name: id, matched: matched[i], n: Int(n[i]),
                        measures: measures.compactMap { $0.1.count > i ? Measure($0.0, $0.1[i], $0.2) : nil }))
            }
            for a in try k.attributeNames().sorted() where a.hasPrefix("overall_") && !a.hasSuffix("_units") {
                let name = String(a.dropFirst("overall_".count))
                report.overall.append(
                    (kind, Measure(name, try k.doubleAttribute(a) ?? .nan, try k.stringAttribute(a + "_units") ?? "")))
            }
        }
        if try g.memberNames().contains("unmatched") {
            let u = try g.group("unmatched")
            let files = try u.dataset("file").readStrings()
            let lines = try u.dataset("line").read().doubles
            let names = try u.dataset("name").readStrings()
            let reasons = try u.dataset("reason").readStrings()
            for i in files.indices where i < lines.count && i < names.count && i < reasons.count {
                report.unmatched.append(
                    Unmatched(file: files[i], line: Int(lines[i]), name: names[i], reason: reasons[i]))
            }
        }
        return report
    }
}
