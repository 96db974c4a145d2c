import Foundation

extension ResultReport {
    struct Line {
        var label: String
        var colour: String
        var time: [Double]
        var values: [Double]
    }

    /// At most ~2 × `buckets` points: each bucket keeps its minimum and maximum, so peaks stay visible.
    static func thin(_ t: [Double], _ v: [Double], buckets: Int = 600) -> [(Double, Double)] {
        let n = min(t.count, v.count)
        guard n > 2 * buckets else { return (0..<n).map { (t[$0], v[$0]) } }
        var out: [(Double, Double)] = []
        let size = Double(n) / Double(buckets)
        for b in 0..<buckets {
            let r = Int(Double(b) * size)..<min(n, Int(Double(b + 1) * size))
            guard !r.isEmpty else { continue }
            var lo = r.lowerBound
            var hi = r.lowerBound
            for k in r where v[k].isFinite {
                if !v[lo].isFinite || v[k] < v[lo] { lo = k }
                if !v[hi].isFinite || v[k] > v[hi] { hi = k }
            }
            for k in [lo, hi].sorted() { out.append((t[k], v[k])) }
        }
        return out
    }

    /// A time-series chart: hours on x, `units` on y, one polyline per line, legend below the title.
    static func chart(_ id: String, _ title: String, units: String, _ lines: [Line]) -> String {
        let (w, h, left, right, top, bottom) = (760.0, 230.0, 64.0, 12.0, 34.0, 30.0)
        let pts = lines.map { thin($0.time, $0.values) }
        let ts = pts.flatMap { $0.map(\.0) }
        let vs = pts.flatMap { $0.map(\.1) }.filter(\.isFinite)
        guard let t0 = ts.min(), let t1 = ts.max(), let v1 = vs.max() else { return "" }
        let v0 = min(0, vs.min() ?? 0)
        let vmax = v1 > v0 ? v1 + (v1 - v0) * 0.05 : v0 + 1
        let tmax = t1 > t0 ? t1 : t0 + 1
        func x(_ t: Double) -> String { Frame.fmt(left + (t - t0) / (tmax - t0) * (w - left - right)) }
        func y(_ v: Double) -> String { Frame.fmt(h - bottom - (v - v0) / (vmax - v0) * (h - top - bottom)) }
        var s =
            "<figure class=\"chart\" id=\"chart-\(id)\"><svg viewBox=\"0 0 \(Int(w)) \(Int(h))\" width=\"\(Int(w))\" "
        s += "height=\"\(Int(h))\" role=\"img\" aria-label=\"\(html(title))\">"
        s += "<rect x=\"\(Int(left))\" y=\"\(Int(top))\" width=\"\(Int(w - left - right))\" "
        s += "height=\"\(Int(h - top - bottom))\" fill=\"#fafafa\" stroke=\"#999\"/>"
        // axes: 5 value ticks, hour ticks
        for k in 0...4 {
            let v = v0 + (vmax - v0) * Double(k) / 4
            s += "<text x=\"\(Int(left - 4))\" y=\"\(y(v))\" text-anchor=\"end\">\(String(format: "%.3g", v))</text>"
        }
        let hours = (tmax - t0) / 3600
        let step = hours > 12 ? 3.0 : hours > 4 ? 1.0 : 0.25
        var th = (t0 / 3600 / step).rounded(.up) * step
        while th * 3600 <= tmax {
            s +=
                "<text x=\"\(x(th * 3600))\" y=\"\(Int(h - 12))\" text-anchor=\"middle\">"
                + "\(String(format: "%g", th)) h</text>"
            th += step
        }
        s += "<text x=\"\(Int(left))\" y=\"\(Int(top - 8))\" class=\"lt\">\(html(units))</text>"
        for (k, line) in lines.enumerated() {
            let p = pts[k].filter { $0.1.isFinite }.map { "\(x($0.0)),\(y($0.1))" }.joined(separator: " ")
            s += "<polyline fill=\"none\" stroke=\"\(line.colour)\" stroke-width=\"1.5\" points=\"\(p)\"/>"
            let lx = w - right - 8 - Double(lines.count - k) * 150
            s +=
                "<rect x=\"\(Frame.fmt(lx))\" y=\"\(Int(top + 6))\" width=\"12\" height=\"3\" fill=\"\(line.colour)\"/>"
            s += "<text x=\"\(Frame.fmt(lx + 16))\" y=\"\(Int(top + 11))\">\(html(line.label))</text>"
        }
        return s + "</svg><figcaption>\(html(title))</figcaption></figure>"
    }
}
