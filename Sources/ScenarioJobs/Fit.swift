import Foundation
import SimCore
import SimIO

/// How far a run is from what sensors saw (`citytwin fit`, a calibration's objective): each observation matched to
/// the model (a link by id, a gauge to the flood cell that holds it, a transformer by name, an extent raster cell
/// by cell), the measures of `FitMeasures` per sensor and over all sensors of a kind, and what could not be
/// matched and why.
public struct FitReport: Sendable {
    /// One observation file and what it holds.
    public struct Source: Sendable, Equatable {
        public enum Kind: String, Sendable, CaseIterable { case counts, speeds, gauges, loads, extent }
        public var kind: Kind
        public var path: String
        /// Extent: model depth (m) above which a cell counts as flooded.
        public var threshold: Double = ResultData.wetThreshold
        public init(kind: Kind, path: String, threshold: Double = ResultData.wetThreshold) {
            self.kind = kind
            self.path = path
            self.threshold = threshold
        }

        /// The kind a file holds, from its extension (rasters: an extent) or its CSV header.
        public static func detect(_ path: String) throws -> Source {
            let ext = (path as NSString).pathExtension.lowercased()
            if ["tif", "tiff", "asc", "vrt", "img", "nc"].contains(ext) { return Source(kind: .extent, path: path) }
            let text = try InputFile.text(path, what: "the observations")
            let head = Set(
                (text.split(separator: "\n").first { !$0.hasPrefix("#") } ?? "").split(separator: ",").map {
                    $0.trimmingCharacters(in: .whitespacesAndNewlines)
                })
            if head.contains("count") { return Source(kind: .counts, path: path) }
            if head.contains("speed") { return Source(kind: .speeds, path: path) }
            if head.contains("p_mw") { return Source(kind: .loads, path: path) }
            if head.contains("depth") || head.contains("level") { return Source(kind: .gauges, path: path) }
            throw InputError(
                SourceLocation(file: path, line: 1), code: "E-OBS-006",
                message: "the header says neither counts, speeds, gauges nor loads",
                hint: "counts: link_id (or x,y[,heading]),from,to,count; speeds: … speed; gauges: name,x,y,time,depth; "
                    + "loads: asset,time,p_mw (or give a raster of the observed flood extent)")
        }
    }

    public struct Measure: Sendable, Equatable {
        public var name: String, value: Double, units: String
        public init(_ name: String, _ value: Double, _ units: String) {
            self.name = name
            self.value = value
            self.units = units
        }
    }

    /// One sensor (a counted link, a gauge, an asset, an extent raster) and its measures.
    public struct Sensor: Sendable, Equatable {
        public var kind: Source.Kind
        public var name: String
        /// What it was matched to in the model.
        public var matched: String
        public var n: Int
        public var measures: [Measure]
        public func value(_ name: String) -> Double? { measures.first { $0.name == name }?.value }
    }

    /// An observation left out: where it is and why.
    public struct Unmatched: Sendable, Equatable {
        public var file: String, line: Int, name: String, reason: String
    }

    public var result: String
    public var sensors: [Sensor] = []
    /// Per kind, over all its sensors (`counts.geh_mean`, `gauges.nse`, ...).
    public var overall: [(kind: Source.Kind, measure: Measure)] = []
    public var unmatched: [Unmatched] = []
    public var acceptance: FitMeasures.FlowAcceptance?

    public func overall(_ kind: Source.Kind, _ name: String) -> Double? {
        overall.first { $0.kind == kind && $0.measure.name == name }?.measure.value
    }
}

extension FitReport {
    /// The measures an objective can weigh, each to be minimised: errors as they are, efficiencies and skill
    /// scores (NSE, KGE, CSI) as one minus the score.
    public static let objectiveTerms: [(name: String, kind: Source.Kind, measure: String, oneMinus: Bool)] = [
        ("geh", .counts, "geh_mean", false), ("counts_rmse", .counts, "rmse", false),
        ("speed_rmse", .speeds, "rmse", false), ("depth_rmse", .gauges, "rmse", false),
        ("nse", .gauges, "nse", true), ("kge", .gauges, "kge", true), ("load_rmse", .loads, "rmse", false),
        ("load_nse", .loads, "nse", true), ("csi", .extent, "csi", true),
    ]

    /// Σ weight × term; a term whose observations are missing from the report is an error.
    public func objective(_ weights: [(term: String, weight: Double)]) throws -> Double {
        var total = 0.0
        for (term, w) in weights {
            guard let t = Self.objectiveTerms.first(where: { $0.name == term }) else {
                throw RunError(
                    "unknown objective term '\(term)'",
                    hint: DidYouMean.suggest(term, from: Self.objectiveTerms.map(\.name)).map {
                        "did you mean '\($0)'?"
                    }
                        ?? "terms: " + Self.objectiveTerms.map(\.name).joined(separator: ", "))
            }
            guard let v = overall(t.kind, t.measure), v.isFinite else {
                throw RunError(
                    "the objective term '\(term)' has no value: no matched \(t.kind.rawValue) observations",
                    hint: "add a \(t.kind.rawValue) file to the observations, or drop the term")
            }
            total += w * (t.oneMinus ? 1 - v : v)
        }
        return total
    }

    /// Fits the run at `result` to the observations in `sources`.
    public static func fit(result: String, sources: [Source]) throws -> FitReport {
        let model = try FitModel(result)
        var report = FitReport(result: result)
        for s in sources {
            switch s.kind {
            case .counts: try report.addCounts(s.path, model)
            case .speeds: try report.addSpeeds(s.path, model)
            case .gauges: try report.addGauges(s.path, model)
            case .loads: try report.addLoads(s.path, model)
            case .extent: try report.addExtent(s, model)
            }
        }
        return report
    }

    /// Per link: the counts' hourly flows against the model's, GEH per bin; over all: mean GEH, RMSE and the FHWA
    /// acceptance targets.
    mutating func addCounts(_ path: String, _ model: FitModel) throws {
        let obs = try Observations.linkSeries(path, startISO: model.startISO)
        let t = try model.traffic(for: path)
        var byLink: [Int: (s: [Double], o: [Double])] = [:]
        var order: [Int] = []
        var label: [Int: (String, String)] = [:]
        for (k, a, bins, name, matchedText) in try matched(obs, path, t, model) {
            let hours = Double(obs.to[k] - obs.from[k]) / 3_600_000
            if label[a] == nil { label[a] = (name, matchedText) }
            let m = bins.reduce(0.0) { $0 + t.exits[$1 * t.ids.count + a] }
            if byLink[a] == nil { order.append(a) }
            byLink[a, default: ([], [])].s.append(m / hours)
            byLink[a, default: ([], [])].o.append(obs.value[k] / hours)
        }
        var all: (s: [Double], o: [Double]) = ([], [])
        for a in order {
            let (s, o) = byLink[a]!
            let geh = zip(s, o).map { FitMeasures.geh(model: $0, count: $1) }
            sensors.append(
                Sensor(
                    kind: .counts, name: label[a]!.0, matched: label[a]!.1, n: s.count,
                    measures: [
                        Measure("geh_mean", geh.reduce(0, +) / Double(geh.count), "1"),
                        Measure("geh_max", geh.max() ?? .nan, "1"),
                        Measure("model_flow", s.reduce(0, +) / Double(s.count), "h-1"),
                        Measure("observed_flow", o.reduce(0, +) / Double(o.count), "h-1"),
                        Measure("rmse", FitMeasures.rmse(s, o), "h-1"), Measure("bias", FitMeasures.bias(s, o), "h-1"),
                    ]))
            all.s += s
            all.o += o
        }
        guard !all.s.isEmpty else { return }
        let acc = FitMeasures.acceptance(model: all.s, counts: all.o)
        acceptance = acc
        let geh = zip(all.s, all.o).map { FitMeasures.geh(model: $0, count: $1) }
        for m in [
            Measure("geh_mean", geh.reduce(0, +) / Double(geh.count), "1"),
            Measure("geh_below_5", acc.shareGEHBelow5, "1"), Measure("within_band", acc.shareWithinBand, "1"),
            Measure("sum_difference", acc.sumRelativeDifference, "1"), Measure("sum_geh", acc.sumGEH, "1"),
            Measure("rmse", FitMeasures.rmse(all.s, all.o), "h-1"),
            Measure("bias", FitMeasures.bias(all.s, all.o), "h-1"),
            Measure("fhwa_met", acc.meetsAll ? 1 : 0, "1"), Measure("flows", Double(acc.count), "1"),
        ] {
            overall.append((.counts, m))
        }
    }

    /// Per link: the model's space-mean speed over the bin (distance / time of the vehicles that left the link in
    /// it) against the observed mean speed, km/h.
    mutating func addSpeeds(_ path: String, _ model: FitModel) throws {
        let obs = try Observations.linkSeries(path, startISO: model.startISO, speeds: true)
        let t = try model.traffic(for: path)
        let m = t.ids.count
        var byLink: [Int: (s: [Double], o: [Double])] = [:]
        var order: [Int] = []
        var label: [Int: (String, String)] = [:]
        for (k, a, bins, name, matchedText) in try matched(obs, path, t, model) {
            if label[a] == nil { label[a] = (name, matchedText) }
            var n = 0.0
            var time = 0.0
            for b in bins where t.exits[b * m + a] > 0 && t.meanTravelTime[b * m + a].isFinite {
                n += t.exits[b * m + a]
                time += t.exits[b * m + a] * t.meanTravelTime[b * m + a]
            }
            guard n > 0, time > 0 else {
                unmatched.append(
                    Unmatched(
                        file: path, line: obs.line[k], name: obs.link[k],
                        reason: "no modelled vehicle left the link in the bin: the model has no speed there"))
                continue
            }
            if byLink[a] == nil { order.append(a) }
            byLink[a, default: ([], [])].s.append(3.6 * t.length[a] * n / time)
            byLink[a, default: ([], [])].o.append(obs.value[k])
        }
        addSeries(.speeds, order.map { (label[$0]!.0, label[$0]!.1, byLink[$0]!) }, units: "km h-1")
    }

    /// RMSE and bias per sensor and over all (plus NSE and KGE, means over the sensors, for gauges and loads).
    mutating func addSeries(
        _ kind: Source.Kind, _ series: [(name: String, matched: String, v: (s: [Double], o: [Double]))],
        units: String, efficiencies: Bool = false
    ) {
        var all: (s: [Double], o: [Double]) = ([], [])
        var nse: [Double] = []
        var kge: [Double] = []
        for (name, matched, (s, o)) in series {
            var ms = [
                Measure("rmse", FitMeasures.rmse(s, o), units), Measure("bias", FitMeasures.bias(s, o), units),
                Measure("model_mean", s.reduce(0, +) / Double(s.count), units),
                Measure("observed_mean", o.reduce(0, +) / Double(o.count), units),
            ]
            if efficiencies {
                let (e, g) = (FitMeasures.nse(s, o), FitMeasures.kge(s, o))
                ms += [
                    Measure("nse", e, "1"), Measure("kge", g, "1"), Measure("peak_error", s.max()! - o.max()!, units),
                ]
                if e.isFinite { nse.append(e) }
                if g.isFinite { kge.append(g) }
            }
            sensors.append(Sensor(kind: kind, name: name, matched: matched, n: s.count, measures: ms))
            all.s += s
            all.o += o
        }
        guard !all.s.isEmpty else { return }
        overall.append((kind, Measure("rmse", FitMeasures.rmse(all.s, all.o), units)))
        overall.append((kind, Measure("bias", FitMeasures.bias(all.s, all.o), units)))
        if efficiencies {
            overall.append((kind, Measure("nse", nse.isEmpty ? .nan : nse.reduce(0, +) / Double(nse.count), "1")))
            overall.append((kind, Measure("kge", kge.isEmpty ? .nan : kge.reduce(0, +) / Double(kge.count), "1")))
        }
        overall.append((kind, Measure("observations", Double(all.s.count), "1")))
    }

    /// Each row matched to its link and the output intervals of its bin; the rest go to `unmatched`.
    /// Each observation's link (by id, or the place's nearest link) and the output intervals of its bin, with the
    /// sensor's name and what it was matched to; the rest goes to `unmatched` with the reason.
    mutating func matched(_ obs: Observations.LinkSeries, _ path: String, _ t: FitModel.Traffic, _ model: FitModel)
        throws -> [(row: Int, link: Int, bins: Range<Int>, name: String, matched: String)]
    {
        var (x, y) = (obs.x, obs.y)
        if obs.located && obs.geographic {
            guard let epsg = model.epsg else {
                throw RunError(
                    "\(path): places are given by lon/lat but the result has no CRS to project them to",
                    hint: "give x, y in the model's coordinates")
            }
            (x, y) = try SpatialReference(epsg: epsg).fromLonLat(x, y)
        }
        var snapped: [String: (link: Int?, distance: Double, reason: String)] = [:]
        var out: [(Int, Int, Range<Int>, String, String)] = []
        for k in obs.link.indices {
            var a: Int?
            var matchedText = ""
            if obs.located {
                let key = "\(x[k]) \(y[k]) \(obs.heading[k])"
                if snapped[key] == nil {
                    snapped[key] = t.snap(x: x[k], y: y[k], heading: obs.heading[k], maximum: Self.maximumSnap)
                }
                let s = snapped[key]!
                guard let link = s.link else {
                    unmatched.append(Unmatched(file: path, line: obs.line[k], name: obs.link[k], reason: s.reason))
                    continue
                }
                a = link
                matchedText = String(format: "link %@ (%.0f m)", t.ids[link], s.distance)
            } else {
                a = match(link: obs.link[k], line: obs.line[k], path, t)
                matchedText = a.map { "link \(t.ids[$0])" } ?? ""
            }
            guard let a else { continue }
            do { out.append((k, a, try t.bins(from: obs.from[k], to: obs.to[k]), obs.link[k], matchedText)) } catch {
                let reason = (error as? RunError)?.message ?? "\(error)"
                unmatched.append(Unmatched(file: path, line: obs.line[k], name: obs.link[k], reason: reason))
            }
        }
        return out
    }

    /// How far (m) a count station may be from the link it is matched to.
    static let maximumSnap = 30.0

    mutating func match(link id: String, line: Int, _ path: String, _ t: FitModel.Traffic) -> Int? {
        if let a = t.index[id] { return a }
        let hint = DidYouMean.suggest(id, from: t.ids).map { " (did you mean '\($0)'?)" } ?? ""
        unmatched.append(Unmatched(file: path, line: line, name: id, reason: "no such link in the model" + hint))
        return nil
    }

    /// Per gauge: the depth (or level: depth + ground) of the flood cell holding it, linearly interpolated between
    /// the output times, against the observed series.
    mutating func addGauges(_ path: String, _ model: FitModel) throws {
        let obs = try Observations.gauges(path, startISO: model.startISO)
        let f = try model.flood(for: path)
        var (x, y) = (obs.x, obs.y)
        if obs.geographic {
            guard let epsg = model.epsg else {
                throw RunError(
                    "\(path): gauges are given by lon/lat but the result has no CRS to project them to",
                    hint: "give the gauges' x, y in the model's coordinates")
            }
            (x, y) = try SpatialReference(epsg: epsg).fromLonLat(x, y)
        }
        var series: [String: (cell: Int, s: [Double], o: [Double])] = [:]
        var order: [String] = []
        var column: [Int: [Double]] = [:]
        for k in obs.name.indices {
            let name = obs.name[k]
            guard let cell = f.cell(x: x[k], y: y[k]) else {
                unmatched.append(
                    Unmatched(
                        file: path, line: obs.line[k], name: name,
                        reason: String(format: "(%.1f, %.1f) is outside the flood grid", x[k], y[k])))
                continue
            }
            if let prior = series[name], prior.cell != cell {
                unmatched.append(
                    Unmatched(
                        file: path, line: obs.line[k], name: name,
                        reason: "the gauge moved: earlier rows put it in another cell"))
                continue
            }
            guard let depth = try f.depth(cell: cell, at: obs.time[k], cache: &column) else {
                unmatched.append(
                    Unmatched(
                        file: path, line: obs.line[k], name: name,
                        reason: "its time is outside the run's output times"))
                continue
            }
            if series[name] == nil { order.append(name) }
            series[name, default: (cell, [], [])].s.append(depth + (obs.isLevel ? f.terrain[cell] : 0))
            series[name, default: (cell, [], [])].o.append(obs.value[k])
        }
        addSeries(
            .gauges,
            order.map {
                let c = series[$0]!.cell
                return ($0, "cell (\(c % f.width), \(c / f.width))", (series[$0]!.s, series[$0]!.o))
            }, units: "m", efficiencies: true)
    }

    /// Per transformer (by name): the modelled active power at its HV side at the observation's time (linearly
    /// interpolated between output times) against the observed load, MW.
    mutating func addLoads(_ path: String, _ model: FitModel) throws {
        let obs = try Observations.loads(path, startISO: model.startISO)
        let e = try model.energy(for: path)
        var series: [Int: (s: [Double], o: [Double])] = [:]
        var order: [Int] = []
        for k in obs.asset.indices {
            guard let a = e.index[obs.asset[k]] else {
                let hint = DidYouMean.suggest(obs.asset[k], from: e.names).map { " (did you mean '\($0)'?)" } ?? ""
                unmatched.append(
                    Unmatched(
                        file: path, line: obs.line[k], name: obs.asset[k],
                        reason: "no transformer of that name in the model" + hint))
                continue
            }
            guard let p = e.power(a, at: obs.time[k]) else {
                unmatched.append(
                    Unmatched(
                        file: path, line: obs.line[k], name: obs.asset[k],
                        reason: "its time is outside the run's energised output times"))
                continue
            }
            if series[a] == nil { order.append(a) }
            series[a, default: ([], [])].s.append(p)
            series[a, default: ([], [])].o.append(obs.p[k])
        }
        addSeries(
            .loads, order.map { (e.names[$0], "transformer \(e.names[$0])", series[$0]!) }, units: "MW",
            efficiencies: true)
    }

    /// The observed extent (a raster: cells > 0 wet, 0 dry, no-data left out) against the model's maximum depth
    /// above `threshold` in the model cell holding each observed cell's centre.
    mutating func addExtent(_ source: Source, _ model: FitModel) throws {
        let path = source.path
        let f = try model.flood(for: path)
        let r = try GDAL.readRaster(path)
        if let a = r.epsg, let b = model.epsg, a != b {
            throw RunError(
                "\(path): the extent is in EPSG:\(a), the result in EPSG:\(b)",
                hint: "reproject it first: gdalwarp -t_srs EPSG:\(b) \(path) extent-\(b).tif")
        }
        var s: [Double] = []
        var o: [Bool] = []
        var outside = 0
        for j in 0..<r.height {
            for i in 0..<r.width {
                let x = r.geoTransform[0] + (Double(i) + 0.5) * r.geoTransform[1]
                let y = r.geoTransform[3] + (Double(j) + 0.5) * r.geoTransform[5]
                guard let v = r.value(x: x, y: y) else { continue }
                guard let c = f.cell(x: x, y: y) else {
                    outside += 1
                    continue
                }
                s.append(f.maxDepth[c])
                o.append(v > 0)
            }
        }
        if outside > 0 {
            unmatched.append(
                Unmatched(
                    file: path, line: 0, name: "extent",
                    reason: "\(outside) observed cells lie outside the flood grid and are left out"))
        }
        guard !s.isEmpty else {
            throw RunError(
                "\(path): no observed cell lies on the flood grid", hint: "check the raster's extent and CRS")
        }
        let a = FitMeasures.extent(model: s, threshold: source.threshold, observed: o)
        let ms = [
            Measure("hit_rate", a.hitRate, "1"), Measure("false_alarm_ratio", a.falseAlarmRatio, "1"),
            Measure("csi", a.criticalSuccessIndex, "1"), Measure("hits", Double(a.hits), "1"),
            Measure("false_alarms", Double(a.falseAlarms), "1"), Measure("misses", Double(a.misses), "1"),
        ]
        sensors.append(
            Sensor(
                kind: .extent, name: (path as NSString).lastPathComponent,
                matched: "max_depth > \(source.threshold) m", n: s.count, measures: ms))
        for m in ms { overall.append((.extent, m)) }
    }
}

extension FitReport.Source {
    /// `path` (the kind detected) or `kind:path`.
    public static func parse(_ argument: String, threshold: Double = ResultData.wetThreshold) throws -> Self {
        if let colon = argument.firstIndex(of: ":"), !argument[..<colon].contains("/") {
            let name = String(argument[..<colon])
            guard let kind = Kind(rawValue: name) else {
                let all = Kind.allCases.map(\.rawValue)
                throw RunError(
                    "'\(argument)': '\(name)' is not a kind of observation",
                    hint: (DidYouMean.suggest(name, from: all).map { "did you mean '\($0)'? " } ?? "")
                        + "kinds: " + all.joined(separator: ", "))
            }
            return Self(kind: kind, path: String(argument[argument.index(after: colon)...]), threshold: threshold)
        }
        var s = try detect(argument)
        s.threshold = threshold
        return s
    }
}
