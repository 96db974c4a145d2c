import FloodModel
import Foundation
import SimCore

extension ResultReport {
    func map(_ id: String, _ caption: String, _ f: Frame, _ content: String) -> String {
        "<figure class=\"map\" id=\"map-\(id)\"><svg viewBox=\"0 0 \(Int(f.width)) \(Int(f.height))\" "
            + "width=\"\(Int(f.width))\" height=\"\(Int(f.height))\" role=\"img\" aria-label=\"\(Self.html(caption))\">"
            + content + "</svg><figcaption>\(Self.html(caption))</figcaption></figure>"
    }

    /// Streets as a thin grey base layer.
    func streets(_ d: ResultData, _ f: Frame, notes: inout [String], map: String) -> String {
        guard let l = d.layers.first(where: { $0.name.hasSuffix("links") }) else { return "" }
        let flow = l.field("flow")?.values ?? l.fields.first?.values ?? []
        let (order, straight) = drawable(l, priority: { flow.isEmpty ? 0 : flow[$0] }, notes: &notes, map: map)
        return Self.linkPaths(Self.simplified(l, straight: straight), f, width: 0.6, order: order) { _ in Self.grey }
    }

    func runMaps(_ d: ResultData, notes: inout [String]) throws -> String {
        guard let f = Self.frame(d) else { return "<p class=\"note\">Nothing in this result has a position.</p>" }
        var out = ""
        let arrival = d.rasters.first { $0.name == "arrival_time" }?.bands[0].values
        func atStart(_ k: Int) -> Bool { arrival.map { $0[k] == 0 } ?? false }
        if let depth = d.rasters.first(where: { $0.name == "max_depth" }) {
            let uri = try Self.image(depth) { k, v in
                atStart(k) ? Self.waterAtStart : Self.depthClasses.colour(Double(v))
            }
            let legend =
                [(Self.waterAtStart, "water at the start")]
                + zip(Self.depthClasses.colours, Self.depthClasses.labels).map { ($0, $1) }
            out += map(
                "flood", "Maximum water depth over the city's streets", f,
                Self.place(uri, depth, f) + streets(d, f, notes: &notes, map: "flood map")
                    + Self.legend("max depth", legend, f))
        }
        if let hr = d.rasters.first(where: { $0.name == "hazard_rating" }) {
            let depth = d.rasters.first { $0.name == "max_depth" }?.bands[0].values
            let uri = try Self.image(hr) { k, v in
                atStart(k) || Double(depth?[k] ?? 0) <= ResultData.wetThreshold
                    ? nil : Self.hazardClasses.colour(Double(v))
            }
            out += map(
                "hazard",
                "Flood hazard rating HR = d (v + 0.5) + DF (FD2320/TR2; from max depth and max speed) where the "
                    + "water was deeper than \(ResultData.wetThreshold) m", f,
                Self.place(uri, hr, f) + streets(d, f, notes: &notes, map: "hazard map")
                    + Self.legend(
                        "hazard to people", zip(Self.hazardClasses.colours, Self.hazardClasses.labels).map { ($0, $1) },
                        f))
        }
        if let l = d.layers.first(where: { $0.name == "links" }), let speed = l.field("mean_speed")?.values,
            let length = l.field("length")?.values, let free = l.field("free_flow_time")?.values
        {
            let ratio = (0..<l.count).map { speed[$0] / (length[$0] / free[$0]) }
            let flow = l.field("flow")?.values ?? ratio
            let (order, straight) = drawable(l, priority: { flow[$0] }, notes: &notes, map: "speed map")
            let drawn = Self.simplified(l, straight: straight)
            let paths =
                Self.linkPaths(drawn, f, width: 0.6, order: order) { ratio[$0].isFinite ? nil : Self.grey }
                + Self.linkPaths(drawn, f, width: 1.6, order: order) { Self.speedClasses.colour(ratio[$0]) }
            let legend =
                zip(Self.speedClasses.colours, Self.speedClasses.labels).map { ($0, $1) } + [(Self.grey, "no vehicle")]
            out += map(
                "links", "Mean link speed against free speed (vehicles that left each link)", f,
                paths + Self.legend("speed / free speed", legend, f))
        }
        if let buses = d.layers.first(where: { $0.name == "buses" }) {
            out += map(
                "grid", "The grid: buses and substations, outages in red", f,
                streets(d, f, notes: &notes, map: "grid map") + gridMap(d, buses, f))
        }
        return out
    }

    func gridMap(_ d: ResultData, _ buses: ResultData.Layer, _ f: Frame) -> String {
        let off = buses.field("hours_off")?.values ?? []
        let low = buses.field("vm_min")?.values ?? []
        let (red, orange, green) = (Self.rgb(0xd7191c), Self.rgb(0xfdae61), Self.rgb(0x1a9641))
        var groups: [String: [String]] = [:]
        for k in 0..<buses.count where buses.x[k].isFinite {
            let c = (off.isEmpty ? 0 : off[k]) > 0 ? red : (low.isEmpty ? 1 : low[k]) < 0.95 ? orange : green
            groups[c.hex, default: []].append("M\(f.px(buses.x[k])) \(f.py(buses.y[k]))h0")
        }
        // lines under the buses: dark grey, red above 100 % loading at some output time
        var s = ""
        if let lines = d.layers.first(where: { $0.name == "lines" }), let top = lines.field("loading_max")?.values {
            let finite = (0..<lines.count).filter { k in
                (lines.start[k]..<lines.start[k + 1]).allSatisfy { lines.x[$0].isFinite && lines.y[$0].isFinite }
            }
            s += Self.linkPaths(lines, f, width: 0.8, order: finite) { top[$0] > 100 ? nil : Self.rgb(0x737373) }
            s += Self.linkPaths(lines, f, width: 1.6, order: finite) { top[$0] > 100 ? red : nil }
        }
        s += groups.keys.sorted().map {
            "<path stroke=\"\($0)\" stroke-width=\"3\" stroke-linecap=\"round\" d=\"\(groups[$0]!.joined())\"/>"
        }.joined()
        if let st = d.layers.first(where: { $0.name == "substations" }) {
            let trips = st.field("trips")?.values ?? []
            for k in 0..<st.count where st.x[k].isFinite {
                let c = (trips.isEmpty ? 0 : trips[k]) > 0 ? red : Self.rgb(0x404040)
                s += "<rect x=\"\(Frame.fmt((st.x[k] - f.minX) * f.scale - 2.5))\" "
                s +=
                    "y=\"\(Frame.fmt((f.maxY - st.y[k]) * f.scale - 2.5))\" width=\"5\" height=\"5\" "
                    + "fill=\"\(c.hex)\"/>"
            }
        }
        return s
            + Self.legend(
                "grid",
                [
                    (red, "off supply, tripped, > 100 %"), (orange, "lowest voltage < 0.95 pu"),
                    (green, "supplied"), (Self.rgb(0x404040), "substation"), (Self.rgb(0x737373), "line"),
                ], f)
    }

    func charts(_ d: ResultData) -> String {
        func column(_ series: String, _ name: String) -> (ResultData.Series, ResultData.Field)? {
            guard let s = d.series.first(where: { $0.name == series }),
                let c = s.columns.first(where: { $0.name == name })
            else { return nil }
            return (s, c)
        }
        var out = ""
        if let (s, c) = column("traffic", "en_route") {
            out += Self.chart(
                "en-route", "Vehicles en route", units: "vehicles",
                [Line(label: "en route", colour: "#3182bd", time: s.time, values: c.values)])
        }
        if let (s, c) = column("traffic_snapshots", "mean_speed") {
            out += Self.chart(
                "speed", "Mean speed of the vehicles leaving links in each output interval", units: "km/h",
                [Line(label: "mean speed", colour: "#1a9641", time: s.time, values: c.values.map { $0 * 3.6 })])
        }
        if let (s, c) = column("flood_snapshots", "flooded_area") {
            out += Self.chart(
                "flooded", "Flooded area (depth > \(ResultData.wetThreshold) m, sea included)", units: "km²",
                [Line(label: "flooded area", colour: "#08519c", time: s.time, values: c.values.map { $0 / 1e6 })])
        }
        if let (s, served) = column("energy", "demand"), let (_, unserved) = column("energy", "unserved") {
            let demanded = zip(served.values, unserved.values).map { $0 + $1 }
            out += Self.chart(
                "load", "Load served and demanded", units: "MW",
                [
                    Line(label: "demanded", colour: "#d7191c", time: s.time, values: demanded),
                    Line(label: "served", colour: "#2c7bb6", time: s.time, values: served.values),
                ])
        }
        if let (s, c) = column("energy", "customers_off") {
            out += Self.chart(
                "customers-off", "Customers off supply", units: "customers",
                [Line(label: "off supply", colour: "#d7191c", time: s.time, values: c.values)])
        }
        return out.isEmpty ? "<p class=\"note\">No time series in this result.</p>" : out
    }

    /// Indices of the `n` largest finite values, largest first (ties by index).
    static func top(_ v: [Double], _ n: Int, where keep: (Int) -> Bool = { _ in true }) -> [Int] {
        v.indices.filter { v[$0].isFinite && keep($0) }.sorted { (v[$0], $1) > (v[$1], $0) }.prefix(n).map { $0 }
    }

    func runHotspots(_ d: ResultData) -> String {
        var out = ""
        if let l = d.layers.first(where: { $0.name == "links" }), let delay = l.field("delay")?.values {
            let flow = l.field("flow")?.values ?? []
            let speed = l.field("mean_speed")?.values ?? []
            let closed = l.field("hours_closed")?.values
            out += Self.table(
                "hot-links", "Links by mean delay",
                ["link", "delay (s)", "vehicles", "mean speed (km/h)", "hours closed"],
                Self.top(delay, hotspots).map { k in
                    [
                        l.ids[k], Self.num(delay[k]), Self.num(flow.isEmpty ? .nan : flow[k]),
                        Self.num(speed.isEmpty ? .nan : speed[k] * 3.6), Self.num(closed?[k] ?? 0),
                    ]
                })
        }
        if let depth = d.rasters.first(where: { $0.name == "max_depth" }) {
            let v = depth.bands[0].values.map(Double.init)
            let arrival = d.rasters.first { $0.name == "arrival_time" }?.bands[0].values
            let hr = d.rasters.first { $0.name == "hazard_rating" }?.bands[0].values
            let gt = depth.geoTransform
            out += Self.table(
                "hot-cells", "Cells by maximum depth (water at the start left out)",
                ["cell centre x, y (m)", "max depth (m)", "hazard rating", "class"],
                Self.top(v, hotspots, where: { k in arrival.map { $0[k] != 0 } ?? true }).map { k in
                    let (i, j) = (k % depth.width, k / depth.width)
                    let h = hr.map { Double($0[k]) } ?? .nan
                    return [
                        String(
                            format: "%.0f, %.0f", gt[0] + (Double(i) + 0.5) * gt[1], gt[3] + (Double(j) + 0.5) * gt[5]),
                        Self.num(v[k]), Self.num(h), h.isFinite ? FloodHazard.className(h) : "",
                    ]
                })
        }
        if let b = d.layers.first(where: { $0.name == "buildings" }), let u = b.field("unserved_energy")?.values {
            let off = b.field("hours_off")?.values
            out += Self.table(
                "hot-buildings", "Buildings by unserved energy", ["building", "unserved (kWh)", "hours off"],
                Self.top(u, hotspots, where: { u[$0] > 0 }).map {
                    [b.ids[$0], Self.num(u[$0]), Self.num(off?[$0] ?? .nan)]
                })
        }
        if let s = d.layers.first(where: { $0.name == "substations" }), let trips = s.field("trips")?.values {
            let outage = s.field("outage")?.values ?? []
            let events = s.text.first { $0.name == "events" }?.values ?? []
            out += Self.table(
                "hot-substations", "Substations that tripped", ["substation", "trips", "minutes out", "events"],
                Self.top(outage, hotspots, where: { trips[$0] > 0 }).map {
                    [s.ids[$0], Self.num(trips[$0]), Self.num(outage[$0]), events.isEmpty ? "" : events[$0]]
                })
        }
        return out.isEmpty ? "<p class=\"note\">Nothing to rank in this result.</p>" : out
    }
}
