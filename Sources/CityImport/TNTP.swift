import Foundation
import SimCore
import TrafficModel

/// Reader for the TNTP traffic-assignment formats (Bar-Gera's collection, bstabler/TransportationNetworks):
/// `<KEY> value` metadata up to `<END OF METADATA>`, `~` comments, rows ending in `;`.
///
/// - `*_net.tntp`: init node, term node, capacity (veh/h), length, free-flow time (min), B, power, speed, toll,
///   type. Nodes are numbered 1…N, zones are 1…Z; `<FIRST THRU NODE>` > 1 forbids passing through zones.
/// - `*_trips.tntp`: `Origin o` then `d : trips;` pairs.
/// - `*_flow.tntp`: from, to, volume, cost (best-known solutions).
///
/// Times become seconds. Generalised cost (as the published solutions use it) = time + tollWeight · toll +
/// distanceWeight · length, the weights in minutes per toll unit and per length unit.
public enum TNTP {
    public struct Options: Sendable {
        public var tollWeight = 0.0
        public var distanceWeight = 0.0
        /// Metres per length unit of the file; nil = from the original header ("miles", "ft", "km"), else 1.
        public var metresPerLengthUnit: Double?
        public init(tollWeight: Double = 0, distanceWeight: Double = 0, metresPerLengthUnit: Double? = nil) {
            self.tollWeight = tollWeight
            self.distanceWeight = distanceWeight
            self.metresPerLengthUnit = metresPerLengthUnit
        }
    }

    /// A located line of a TNTP file: its 1-based number and fields (split on whitespace, `;` dropped).
    struct Row {
        var line: Int
        var fields: [Substring]
    }

    static func load(_ path: String) throws -> (meta: [String: String], rows: [Row]) {
        let data = Data(try InputFile.read(path, what: "the TNTP file"))
        guard let text = String(data: data, encoding: .utf8) ?? String(data: data, encoding: .isoLatin1) else {
            throw InputError(SourceLocation(file: path), code: "E-TNTP-002", message: "the file is not text")
        }
        var meta: [String: String] = [:]
        var rows: [Row] = []
        var inMeta = true
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("~") { continue }
            if inMeta, line.hasPrefix("<") {
                if line.hasPrefix("<END OF METADATA>") {
                    inMeta = false
                    continue
                }
                if let close = line.firstIndex(of: ">") {
                    let key = String(line[line.index(after: line.startIndex)..<close])
                    meta[key] = line[line.index(after: close)...].trimmingCharacters(in: .whitespaces)
                }
                continue
            }
            inMeta = false
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ";" })
            if !fields.isEmpty { rows.append(Row(line: n + 1, fields: fields)) }
        }
        return (meta, rows)
    }

    static func int(_ m: [String: String], _ key: String, _ path: String) throws -> Int {
        guard let s = m[key] else {
            throw InputError(
                SourceLocation(file: path), code: "E-TNTP-003", message: "metadata <\(key)> is missing",
                hint: "TNTP files start with <NUMBER OF ZONES>, <NUMBER OF NODES>, ... up to <END OF METADATA>")
        }
        guard let v = Int(s.split(separator: " ").first ?? "") else {
            throw InputError(
                SourceLocation(file: path), code: "E-TNTP-004",
                message: "metadata <\(key)> is '\(s)', not a whole number")
        }
        return v
    }

    /// Reads a network (and node coordinates when `nodePath` is given).
    public static func readNetwork(_ path: String, nodePath: String? = nil, options: Options = Options()) throws
        -> RoadNetwork
    {
        let (meta, rows) = try load(path)
        let zones = try int(meta, "NUMBER OF ZONES", path)
        let nodes = try int(meta, "NUMBER OF NODES", path)
        let firstThru = try int(meta, "FIRST THRU NODE", path)
        let declaredLinks = try int(meta, "NUMBER OF LINKS", path)
        var problems: [Diagnostic] = []
        func bad(_ r: Row, _ code: String, _ msg: String, _ hint: String? = nil) {
            if problems.count < 20 {
                problems.append(
                    Diagnostic(SourceLocation(file: path, line: r.line), code: code, message: msg, hint: hint))
            }
        }
        if zones < 0 || zones > nodes {
            problems.append(
                Diagnostic(
                    SourceLocation(file: path), code: "E-TNTP-005",
                    message: "<NUMBER OF ZONES> \(zones) is not between 0 and <NUMBER OF NODES> \(nodes)"))
        }
        let header = (meta["ORIGINAL HEADER"] ?? "").lowercased()
        let metres =
            options.metresPerLengthUnit
            ?? (header.contains("(miles)") || header.contains("(mi)")
                ? 1609.344
                : header.contains("(ft)") || header.contains("(feet)") ? 0.3048 : header.contains("(km)") ? 1000 : 1)
        var from: [Int32] = []
        var to: [Int32] = []
        var cap: [Double] = []
        var len: [Double] = []
        var fft: [Double] = []
        var b: [Double] = []
        var pw: [Double] = []
        var speed: [Double] = []
        var fixed: [Double] = []
        for r in rows {
            guard r.fields.count >= 7 else {
                bad(
                    r, "E-TNTP-010",
                    "a link row needs at least 7 fields (init, term, capacity, length, free-flow time, B, power), found \(r.fields.count)"
                )
                continue
            }
            let v = r.fields.map { Double($0) }
            guard let i = Int(r.fields[0]), let j = Int(r.fields[1]) else {
                bad(r, "E-TNTP-011", "node numbers '\(r.fields[0])', '\(r.fields[1])' are not whole numbers")
                continue
            }
            guard (1...nodes).contains(i), (1...nodes).contains(j) else {
                bad(
                    r, "E-TNTP-012", "link \(i) → \(j) refers to a node outside 1…\(nodes)",
                    "<NUMBER OF NODES> is \(nodes)")
                continue
            }
            guard let c = v[2], let l = v[3], let t = v[4], let bb = v[5], let p = v[6] else {
                bad(r, "E-TNTP-013", "link \(i) → \(j): capacity, length, free-flow time, B and power must be numbers")
                continue
            }
            if !(c > 0) {
                bad(r, "E-TNTP-014", "link \(i) → \(j) has capacity \(c); it must be > 0")
                continue
            }
            if !(t >= 0) || !(l >= 0) {
                bad(r, "E-TNTP-015", "link \(i) → \(j) has a negative length or free-flow time")
                continue
            }
            let toll = r.fields.count > 8 ? (v[8] ?? 0) : 0
            from.append(Int32(i - 1))
            to.append(Int32(j - 1))
            cap.append(c)
            len.append(l * metres)
            fft.append(t * 60)
            b.append(bb)
            pw.append(p)
            speed.append(t > 0 ? l * metres / (t * 60) : 0)
            fixed.append(60 * (options.tollWeight * toll + options.distanceWeight * l))
        }
        if problems.isEmpty && from.count != declaredLinks {
            problems.append(
                Diagnostic(
                    SourceLocation(file: path), code: "E-TNTP-016",
                    message: "<NUMBER OF LINKS> says \(declaredLinks) but the file has \(from.count) link rows",
                    hint: "the file may be truncated"))
        }
        if !problems.isEmpty { throw InputError(problems) }
        var xs: [Double]? = nil
        var ys: [Double]? = nil
        if let np = nodePath {
            let (_, nrows) = try load(np)
            var x = [Double](repeating: 0, count: nodes)
            var y = x
            for r in nrows {
                guard r.fields.count >= 3, let id = Int(r.fields[0]) else { continue }  // header row "node x y"
                guard (1...nodes).contains(id), let vx = Double(r.fields[1]), let vy = Double(r.fields[2]) else {
                    throw InputError(
                        SourceLocation(file: np, line: r.line), code: "E-TNTP-020",
                        message: "node row must be: id (1…\(nodes)) x y")
                }
                x[id - 1] = vx
                y[id - 1] = vy
            }
            xs = x
            ys = y
        }
        let m = from.count
        return RoadNetwork(
            nodeIDs: (1...max(nodes, 1)).prefix(nodes).map(String.init), nodeX: xs, nodeY: ys,
            zoneCount: zones, zonesAreThrough: firstThru <= 1,
            linkIDs: (0..<m).map { "\(from[$0] + 1)-\(to[$0] + 1)" }, from: from, to: to, length: len,
            lanes: [Double](repeating: 1, count: m), freeSpeed: speed, capacity: cap, freeFlowTime: fft,
            bprAlpha: b, bprBeta: pw, fixedCost: fixed)
    }

    /// Reads a trip table for a network with `zones` zones.
    public static func readTrips(_ path: String, zones: Int) throws -> ODMatrix {
        let (meta, rows) = try load(path)
        let declared = try int(meta, "NUMBER OF ZONES", path)
        if declared != zones {
            throw InputError(
                SourceLocation(file: path), code: "E-TNTP-030",
                message: "the trip table has \(declared) zones, the network \(zones)",
                hint: "use the trip table that belongs to this network")
        }
        var table: [Int: [(Int, Double)]] = [:]
        var order: [Int] = []
        var current: Int? = nil
        for r in rows {
            if r.fields[0] == "Origin" {
                guard r.fields.count >= 2, let o = Int(r.fields[1]), (1...zones).contains(o) else {
                    throw InputError(
                        SourceLocation(file: path, line: r.line), code: "E-TNTP-031",
                        message: "'Origin' must be followed by a zone number 1…\(zones)")
                }
                if table[o] == nil {
                    order.append(o)
                    table[o] = []
                }
                current = o
                continue
            }
            guard let o = current else {
                throw InputError(
                    SourceLocation(file: path, line: r.line), code: "E-TNTP-032",
                    message: "trips before the first 'Origin' line")
            }
            // "d : trips" pairs; the ':' may or may not be separated by spaces
            let tokens = r.fields.flatMap { $0.split(separator: ":", omittingEmptySubsequences: true) }
            guard tokens.count % 2 == 0 else {
                throw InputError(
                    SourceLocation(file: path, line: r.line), code: "E-TNTP-033",
                    message: "expected 'destination : trips;' pairs")
            }
            for q in stride(from: 0, to: tokens.count, by: 2) {
                guard let d = Int(tokens[q]), (1...zones).contains(d), let t = Double(tokens[q + 1]), t >= 0, t.isFinite
                else {
                    throw InputError(
                        SourceLocation(file: path, line: r.line), code: "E-TNTP-034",
                        message:
                            "'\(tokens[q]) : \(tokens[q + 1])' is not a destination zone 1…\(zones) with trips >= 0")
                }
                if t > 0 { table[o]!.append((d, t)) }
            }
        }
        var origins: [Int32] = []
        var start: [Int32] = [0]
        var dest: [Int32] = []
        var trips: [Double] = []
        for o in order.sorted() {
            let pairs = table[o]!
            if pairs.isEmpty { continue }
            origins.append(Int32(o - 1))
            for (d, t) in pairs {
                dest.append(Int32(d - 1))
                trips.append(t)
            }
            start.append(Int32(dest.count))
        }
        return ODMatrix(origins: origins, start: start, dest: dest, trips: trips)
    }

    /// Reads a best-known flow file: (from, to) → (volume, cost).
    public static func readFlows(_ path: String) throws -> [(from: Int, to: Int, volume: Double, cost: Double)] {
        let (_, rows) = try load(path)
        return rows.compactMap { r in
            guard r.fields.count >= 4, let f = Int(r.fields[0]), let t = Int(r.fields[1]),
                let v = Double(r.fields[2]), let c = Double(r.fields[3])
            else { return nil }
            return (f, t, v, c)
        }
    }
}
