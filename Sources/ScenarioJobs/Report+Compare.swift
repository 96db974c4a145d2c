import Foundation
import SimCore

extension ResultReport {
    /// The variable a compare map shows for a layer: the first of `preferred` it has, else its first.
    static func mapped(_ l: ResultData.Layer, preferred: [String]) -> String? {
        let names = l.fields.filter { $0.name.hasSuffix("_delta") }.map { String($0.name.dropLast(6)) }
        return preferred.first { names.contains($0) } ?? names.first
    }

    /// The largest |Δ| that matters for the colour ramp: the 98th percentile of the significant ones.
    static func extent(_ delta: [Double], _ significant: [Double]) -> Double {
        let v = delta.indices.filter { significant[$0] > 0 && delta[$0].isFinite }.map { abs(delta[$0]) }.sorted()
        guard !v.isEmpty else { return 1 }
        return v[min(v.count - 1, Int(Double(v.count) * 0.98))]
    }

    func compareMaps(_ d: ResultData, notes: inout [String]) throws -> String {
        guard let f = Self.frame(d) else { return "<p class=\"note\">Nothing in this comparison has a position.</p>" }
        var out = ""
        for alt in d.alternatives {
            out += "<h3>\(Self.html(alt))</h3>"
            if let r = d.rasters.first(where: { $0.name == "\(alt).flood.max_depth" }), r.bands.count == 3 {
                let delta = r.bands[0].values.map(Double.init)
                let sig = r.bands[2].values.map(Double.init)
                let ramp = Self.diverging(extent: Self.extent(delta, sig), units: "m")
                let uri = try Self.image(r) { k, v in sig[k] > 0 ? ramp.colour(Double(v)) : nil }
                out += map(
                    "\(alt)-flood", "\(alt): Δ maximum depth to its base where it is significant (FDR 5 %)", f,
                    Self.place(uri, r, f) + streets(d, f, notes: &notes, map: "\(alt) flood map")
                        + Self.legend("Δ max depth", zip(ramp.colours, ramp.labels).map { ($0, $1) }, f))
            }
            if let l = d.layers.first(where: { $0.name == "\(alt).links" }),
                let v = Self.mapped(l, preferred: ["link_travel_time", "link_flow"]),
                let delta = l.field(v + "_delta")?.values, let sig = l.field(v + "_significant")?.values
            {
                let ramp = Self.diverging(extent: Self.extent(delta, sig), units: "")
                let (order, straight) = drawable(
                    l, priority: { sig[$0] > 0 ? 1 + abs(delta[$0]) : 0 }, notes: &notes,
                    map: "\(alt) link map")
                let drawn = Self.simplified(l, straight: straight)
                let paths =
                    Self.linkPaths(drawn, f, width: 0.6, order: order) { sig[$0] > 0 ? nil : Self.grey }
                    + Self.linkPaths(drawn, f, width: 1.8, order: order) { sig[$0] > 0 ? ramp.colour(delta[$0]) : nil }
                out += map(
                    "\(alt)-links", "\(alt): Δ \(v) per link; grey: not significant (FDR 5 %)", f,
                    paths
                        + Self.legend(
                            "Δ \(v)",
                            zip(ramp.colours, ramp.labels).map { ($0, $1) } + [(Self.grey, "not significant")],
                            f))
            }
            if let b = d.layers.first(where: { $0.name == "\(alt).buses" }),
                let v = Self.mapped(b, preferred: ["bus_min_voltage"]), let delta = b.field(v + "_delta")?.values,
                let sig = b.field(v + "_significant")?.values
            {
                let ramp = Self.diverging(extent: Self.extent(delta, sig), units: "")
                var groups: [String: [String]] = [:]
                for k in 0..<b.count where b.x[k].isFinite {
                    let c = sig[k] > 0 ? ramp.colour(delta[k]) ?? Self.grey : Self.grey
                    groups[c.hex, default: []].append("M\(f.px(b.x[k])) \(f.py(b.y[k]))h0")
                }
                let s = groups.keys.sorted().map {
                    "<path stroke=\"\($0)\" stroke-width=\"3\" stroke-linecap=\"round\" d=\"\(groups[$0]!.joined())\"/>"
                }.joined()
                out += map(
                    "\(alt)-grid", "\(alt): Δ \(v) per bus; grey: not significant (FDR 5 %)", f,
                    s
                        + Self.legend(
                            "Δ \(v)",
                            zip(ramp.colours, ramp.labels).map { ($0, $1) } + [(Self.grey, "not significant")],
                            f))
            }
        }
        return out
    }

    func compareHotspots(_ d: ResultData) -> String {
        var out = ""
        for l in d.layers {
            guard
                let v = Self.mapped(
                    l,
                    preferred: [
                        "link_travel_time", "building_unserved", "bus_min_voltage", "trafo_max_loading", "link_flow",
                    ]),
                let delta = l.field(v + "_delta")?.values, let sig = l.field(v + "_significant")?.values
            else { continue }
            let half = l.field(v + "_halfwidth")?.values ?? []
            let base = l.field(v + "_mean_base")?.values ?? []
            let rows = Self.top(delta.map(abs), hotspots, where: { sig[$0] > 0 }).map { k in
                [
                    l.ids[k], Self.num(base.isEmpty ? .nan : base[k]), Self.num(delta[k]),
                    "± " + Self.num(half.isEmpty ? .nan : half[k]),
                ]
            }
            out += Self.table(
                "hot-" + l.name.replacingOccurrences(of: ".", with: "-"), "\(l.name): largest significant Δ \(v)",
                ["id", "base mean", "Δ", "half-width"], rows)
        }
        return out.isEmpty ? "<p class=\"note\">No significant per-entity differences.</p>" : out
    }
}
