import Foundation
import SimCore

/// What sensors saw, as the twin is fitted to it: traffic counts and link speeds per time bin, water at gauges,
/// loads at grid assets. Each is a CSV file with a header; times are ISO 8601 instants or durations since the
/// job's start (`7h`, `25200s`). Every problem is located (file, line, column name) and an unknown column is an
/// error with the nearest known name.
public enum Observations {
    /// Counts (vehicles in the bin) or mean speeds (km/h) of links over time bins `[from, to)`, at a link by id, or
    /// at a place (a count station: x, y or lon, lat, and the heading of the traffic it counts) matched to the
    /// nearest link.
    public struct LinkSeries: Sendable, Equatable {
        /// The link id, or for a place the station's name (its `station` column, else "x y").
        public var link: [String] = []
        /// Places, when the file gives them instead of link ids: model CRS metres or longitude/latitude.
        public var located = false, geographic = false
        public var x: [Double] = [], y: [Double] = []
        /// Direction of the traffic counted, degrees clockwise from north (NaN: not given).
        public var heading: [Double] = []
        public var from: [Int64] = [], to: [Int64] = []  // ms since the job's start
        public var value: [Double] = []
        public var line: [Int] = []
    }

    /// Water at named gauges: depth above the ground (m) or level (m above the model's datum).
    public struct Gauges: Sendable, Equatable {
        public var name: [String] = []
        /// Model CRS metres, or longitude/latitude (degrees) when `geographic`.
        public var x: [Double] = [], y: [Double] = []
        public var geographic = false
        public var time: [Int64] = []
        public var value: [Double] = []
        public var isLevel = false
        public var line: [Int] = []
    }

    /// Active (and reactive) power at named feeders or substations.
    public struct Loads: Sendable, Equatable {
        public var asset: [String] = []
        public var time: [Int64] = []
        public var p: [Double] = [], q: [Double]?
        public var line: [Int] = []
    }

    /// `link_id, from, to, count` (or `speed` with `speeds`); or a place instead of `link_id`: `x, y` (or `lon, lat`)
    /// with optional `heading` (degrees clockwise from north) and `station` (a name).
    public static func linkSeries(_ path: String, startISO: String, speeds: Bool = false) throws -> LinkSeries {
        let v = speeds ? "speed" : "count"
        let t = try Table(
            path, required: ["from", "to", v], optional: ["y", "lat", "heading", "station"],
            oneOf: [["link_id", "x", "lon"]], shape: "link_id,from,to,\(v) (or x,y[,heading][,station] for link_id)")
        var out = LinkSeries()
        out.located = !t.head.contains("link_id")
        out.geographic = t.head.contains("lon")
        let (cx, cy) = out.geographic ? ("lon", "lat") : ("x", "y")
        var problems: [Diagnostic] = []
        let at = SourceLocation(file: path, line: t.headerLine)
        if out.located && !t.head.contains(cy) {
            problems.append(
                Diagnostic(at, code: "E-OBS-003", message: "column '\(cy)' is missing (it goes with '\(cx)')"))
        }
        let allowed = out.located ? [cy, "heading", "station"] : []
        for c in ["y", "lat", "heading", "station"] where t.head.contains(c) && !allowed.contains(c) {
            problems.append(
                Diagnostic(
                    at, code: "E-OBS-002", message: "column '\(c)' does not go with these columns",
                    hint: "a place is x, y or lon, lat (with heading and station); a link is link_id alone"))
        }
        if !problems.isEmpty { throw InputError(problems) }
        for r in t.rows {
            let from = t.time(r, "from", startISO: startISO, &problems)
            let to = t.time(r, "to", startISO: startISO, &problems)
            let x = t.number(r, v, &problems, minimum: 0, maximum: speeds ? 400 : 1e7)
            var place: (Double, Double, Double)?
            if out.located {
                let lim: (Double, Double) = out.geographic ? (180, 90) : (1e8, 1e8)
                let px = t.number(r, cx, &problems, minimum: -lim.0, maximum: lim.0)
                let py = t.number(r, cy, &problems, minimum: -lim.1, maximum: lim.1)
                let h =
                    (r.fields["heading"] ?? "").isEmpty
                    ? Double.nan : t.number(r, "heading", &problems, minimum: 0, maximum: 360)
                guard let px, let py, let h else { continue }
                place = (px, py, h)
            }
            guard let from, let to, let x else { continue }
            guard to > from else {
                problems.append(t.problem(r, "to", "the bin ends before it starts", hint: "give 'to' after 'from'"))
                continue
            }
            if let (px, py, h) = place {
                out.x.append(px)
                out.y.append(py)
                out.heading.append(h)
                let station = r.fields["station"] ?? ""
                out.link.append(station.isEmpty ? "\(r.fields[cx] ?? "") \(r.fields[cy] ?? "")" : station)
            } else {
                out.link.append(r.fields["link_id"] ?? "")
            }
            out.from.append(from)
            out.to.append(to)
            out.value.append(x)
            out.line.append(r.line)
        }
        if !problems.isEmpty { throw InputError(problems) }
        return out
    }

    /// `name, x, y, time, depth` (or `lon, lat` for `x, y`; `level` for `depth`).
    public static func gauges(_ path: String, startISO: String) throws -> Gauges {
        let t = try Table(
            path, required: ["name", "time"], oneOf: [["x", "lon"], ["y", "lat"], ["depth", "level"]])
        var out = Gauges()
        out.geographic = t.head.contains("lon")
        out.isLevel = t.head.contains("level")
        let (cx, cy, cv) = (out.geographic ? "lon" : "x", out.geographic ? "lat" : "y", out.isLevel ? "level" : "depth")
        var problems: [Diagnostic] = []
        for r in t.rows {
            let time = t.time(r, "time", startISO: startISO, &problems)
            let x = t.number(
                r, cx, &problems, minimum: out.geographic ? -180 : -1e8, maximum: out.geographic ? 180 : 1e8)
            let y = t.number(r, cy, &problems, minimum: out.geographic ? -90 : -1e8, maximum: out.geographic ? 90 : 1e8)
            let v = t.number(r, cv, &problems, minimum: out.isLevel ? -500 : 0, maximum: out.isLevel ? 9000 : 100)
            guard let time, let x, let y, let v else { continue }
            out.name.append(r.fields["name"] ?? "")
            out.x.append(x)
            out.y.append(y)
            out.time.append(time)
            out.value.append(v)
            out.line.append(r.line)
        }
        if !problems.isEmpty { throw InputError(problems) }
        return out
    }

    /// `asset, time, p_mw[, q_mvar]`.
    public static func loads(_ path: String, startISO: String) throws -> Loads {
        let t = try Table(path, required: ["asset", "time", "p_mw"], optional: ["q_mvar"])
        var out = Loads()
        let hasQ = t.head.contains("q_mvar")
        var q: [Double] = []
        var problems: [Diagnostic] = []
        for r in t.rows {
            let time = t.time(r, "time", startISO: startISO, &problems)
            let p = t.number(r, "p_mw", &problems, minimum: -1e5, maximum: 1e5)
            let qv = hasQ ? t.number(r, "q_mvar", &problems, minimum: -1e5, maximum: 1e5) : 0
            guard let time, let p, let qv else { continue }
            out.asset.append(r.fields["asset"] ?? "")
            out.time.append(time)
            out.p.append(p)
            q.append(qv)
            out.line.append(r.line)
        }
        if !problems.isEmpty { throw InputError(problems) }
        out.q = hasQ ? q : nil
        return out
    }

    /// A strict CSV table: the header must hold the required columns, one of each group of alternatives and no
    /// others; every row as many fields as the header.
    struct Table {
        struct Row {
            var line: Int
            var fields: [String: String]
        }
        let path: String
        let head: [String]
        /// The header's line number (comment lines may come before it).
        var headerLine = 1
        var rows: [Row] = []

        /// `shape`: the columns as the empty file's message names them (default: required, then the alternatives).
        init(
            _ path: String, required: [String], optional: [String] = [], oneOf: [[String]] = [], shape: String? = nil
        ) throws {
            self.path = path
            let text = try InputFile.text(path, what: "the observations")
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            while lines.last == "" { lines.removeLast() }
            // comment lines (provenance, units) may come before the header too
            let headerIndex = lines.firstIndex { !$0.isEmpty && !$0.hasPrefix("#") } ?? lines.count
            guard headerIndex < lines.count else {
                throw InputError(
                    SourceLocation(file: path), code: "E-OBS-001", message: "empty observations file",
                    hint: "the first line that is not a comment names the columns: "
                        + (shape ?? (required + oneOf.map { $0[0] }).joined(separator: ","))
                )
            }
            head = lines[headerIndex].split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            let known = required + optional + oneOf.flatMap { $0 }
            var problems: [Diagnostic] = []
            headerLine = headerIndex + 1
            let at = SourceLocation(file: path, line: headerIndex + 1)
            for h in head where !known.contains(h) {
                problems.append(
                    Diagnostic(
                        at, code: "E-OBS-002", message: "unknown column '\(h)'",
                        hint: DidYouMean.suggest(h, from: known).map { "did you mean '\($0)'?" }
                            ?? "the columns are " + known.joined(separator: ", ")))
            }
            for h in required where !head.contains(h) {
                problems.append(Diagnostic(at, code: "E-OBS-003", message: "column '\(h)' is missing"))
            }
            for group in oneOf where group.filter(head.contains).count != 1 {
                problems.append(
                    Diagnostic(
                        at, code: "E-OBS-003",
                        message: "exactly one of the columns " + group.map { "'\($0)'" }.joined(separator: ", ")
                            + " is needed"))
            }
            for (n, l) in lines.enumerated().dropFirst(headerIndex + 1) where !l.isEmpty && !l.hasPrefix("#") {
                let f = l.split(separator: ",", omittingEmptySubsequences: false).map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                guard f.count == head.count else {
                    problems.append(
                        Diagnostic(
                            SourceLocation(file: path, line: n + 1), code: "E-OBS-004",
                            message: "expected \(head.count) values, found \(f.count)"))
                    continue
                }
                rows.append(Row(line: n + 1, fields: Dictionary(uniqueKeysWithValues: zip(head, f))))
            }
            if !problems.isEmpty { throw InputError(problems) }
        }

        func problem(_ r: Row, _ column: String, _ message: String, hint: String? = nil) -> Diagnostic {
            Diagnostic(
                SourceLocation(file: path, line: r.line), code: "E-OBS-005", message: "\(column): \(message)",
                hint: hint)
        }

        func number(_ r: Row, _ c: String, _ problems: inout [Diagnostic], minimum: Double, maximum: Double)
            -> Double?
        {
            let s = r.fields[c] ?? ""
            guard let v = Double(s), v.isFinite else {
                problems.append(problem(r, c, "'\(s)' is not a number"))
                return nil
            }
            guard v >= minimum, v <= maximum else {
                problems.append(problem(r, c, "\(s) is outside \(minimum)…\(maximum)"))
                return nil
            }
            return v
        }

        /// Milliseconds since the job's start: an ISO 8601 instant, or a duration.
        func time(_ r: Row, _ c: String, startISO: String, _ problems: inout [Diagnostic]) -> Int64? {
            let s = r.fields[c] ?? ""
            if let d = SimDuration(parsing: s) { return d.milliseconds }
            if s.contains("T") || s.contains("-"), let t = parseISO(s), let start = parseISO(startISO) {
                let ms = (t.timeIntervalSince(start) * 1000).rounded()
                guard ms >= 0 else {
                    problems.append(problem(r, c, "\(s) is before the job's start \(startISO)"))
                    return nil
                }
                return Int64(ms)
            }
            problems.append(
                problem(
                    r, c, "'\(s)' is not a time",
                    hint: "give an ISO 8601 instant (2026-10-14T07:00:00Z) or a duration since the start (7h)"))
            return nil
        }
    }
}
