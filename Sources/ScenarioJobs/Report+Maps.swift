import Foundation
import SimCore
import SimIO

/// Map drawing for the report: a frame from model coordinates to SVG pixels, colour ramps, legends and scale bars.
extension ResultReport {
    struct Frame {
        var minX: Double, minY: Double, maxX: Double, maxY: Double
        var width: Double, height: Double
        var scale: Double { width / (maxX - minX) }
        init(minX: Double, minY: Double, maxX: Double, maxY: Double, width: Double = 760) {
            self.minX = minX
            self.minY = minY
            self.maxX = max(maxX, minX + 1)
            self.maxY = max(maxY, minY + 1)
            self.width = width
            height = min(640, (self.maxY - minY) / (self.maxX - minX) * width)
            if height < 200 { height = 200 }
        }
        func px(_ x: Double) -> String { Self.fmt((x - minX) * scale) }
        func py(_ y: Double) -> String { Self.fmt((maxY - y) * scale) }
        static func fmt(_ v: Double) -> String { String(format: "%.1f", v) }
    }

    /// The extent to draw: the flood grid, else the layers' points.
    static func frame(_ d: ResultData) -> Frame? {
        if let r = d.rasters.first {
            let gt = r.geoTransform
            return Frame(
                minX: gt[0], minY: gt[3] + Double(r.height) * gt[5], maxX: gt[0] + Double(r.width) * gt[1], maxY: gt[3])
        }
        var (a, b, c, e) = (Double.infinity, Double.infinity, -Double.infinity, -Double.infinity)
        for l in d.layers {
            for (x, y) in zip(l.x, l.y) where x.isFinite && y.isFinite {
                a = min(a, x)
                b = min(b, y)
                c = max(c, x)
                e = max(e, y)
            }
        }
        return a.isFinite ? Frame(minX: a, minY: b, maxX: c, maxY: e) : nil
    }

    /// An RGB colour of a ramp.
    struct Colour: Equatable {
        var r: UInt8, g: UInt8, b: UInt8
        var hex: String { String(format: "#%02x%02x%02x", r, g, b) }
    }
    /// Stepped classes: `breaks[k] <= v < breaks[k + 1]` gets `colours[k]`.
    struct Classes {
        var breaks: [Double]
        var colours: [Colour]
        var labels: [String]
        func colour(_ v: Double) -> Colour? {
            guard v.isFinite else { return nil }
            for k in colours.indices.reversed() where v >= breaks[k] { return colours[k] }
            return nil
        }
    }
    static func rgb(_ hex: UInt32) -> Colour {
        Colour(r: UInt8(hex >> 16 & 0xff), g: UInt8(hex >> 8 & 0xff), b: UInt8(hex & 0xff))
    }
    static let depthClasses = Classes(
        breaks: [0.01, 0.1, 0.25, 0.5, 1, 2],
        colours: [0xdeebf7, 0x9ecae1, 0x6baed6, 0x3182bd, 0x08519c, 0x08306b].map(rgb),
        labels: ["0.01–0.1 m", "0.1–0.25 m", "0.25–0.5 m", "0.5–1 m", "1–2 m", "> 2 m"])
    /// FD2320/TR2 table 13.1 classes.
    static let hazardClasses = Classes(
        breaks: [0.001, 0.75, 1.25, 2.0],
        colours: [0xfee08b, 0xfdae61, 0xf46d43, 0xa50026].map(rgb),
        labels: ["< 0.75 low", "0.75–1.25 danger for some", "1.25–2 danger for most", "> 2 danger for all"])
    static let speedClasses = Classes(
        breaks: [0, 0.25, 0.5, 0.75, 0.9],
        colours: [0xd7191c, 0xfdae61, 0xffffbf, 0xa6d96a, 0x1a9641].map(rgb),
        labels: ["< 25 % of free speed", "25–50 %", "50–75 %", "75–90 %", "≥ 90 %"])
    static let grey = rgb(0xbdbdbd)
    static let waterAtStart = rgb(0xe0ecf4)

    /// A diverging ramp symmetric about 0 (blue: less, red: more), five classes up to `extent`.
    static func diverging(extent: Double, units: String) -> Classes {
        let e = extent > 0 && extent.isFinite ? extent : 1
        let b = [-Double.infinity, -0.5 * e, -0.1 * e, 0.1 * e, 0.5 * e]
        func f(_ v: Double) -> String { String(format: "%.3g", v) }
        return Classes(
            breaks: b, colours: [0x2166ac, 0x92c5de, 0xf7f7f7, 0xf4a582, 0xb2182b].map(rgb),
            labels: [
                "< \(f(-0.5 * e)) \(units)", "\(f(-0.5 * e))–\(f(-0.1 * e))", "±\(f(0.1 * e))",
                "\(f(0.1 * e))–\(f(0.5 * e))", "> \(f(0.5 * e)) \(units)",
            ])
    }

    /// A raster band as a PNG data URI, coloured by `colour` (nil: transparent).
    static func image(_ r: ResultData.Raster, band: Int = 0, _ colour: (Int, Float) -> Colour?) throws -> String {
        let values = r.bands[band].values
        var rgba = [UInt8](repeating: 0, count: values.count * 4)
        for (k, v) in values.enumerated() {
            guard let c = colour(k, v) else { continue }
            rgba[4 * k] = c.r
            rgba[4 * k + 1] = c.g
            rgba[4 * k + 2] = c.b
            rgba[4 * k + 3] = 255
        }
        let png = try GDAL.png(rgba: rgba, width: r.width, height: r.height)
        return "data:image/png;base64," + Data(png).base64EncodedString()
    }

    /// The `<image>` of a raster placed on the frame.
    static func place(_ uri: String, _ r: ResultData.Raster, _ f: Frame) -> String {
        let gt = r.geoTransform
        let w = Double(r.width) * gt[1] * f.scale
        let h = Double(r.height) * -gt[5] * f.scale
        return "<image x=\"\(f.px(gt[0]))\" y=\"\(f.py(gt[3]))\" width=\"\(Frame.fmt(w))\" height=\"\(Frame.fmt(h))\" "
            + "preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" href=\"\(uri)\"/>"
    }

    /// Legend boxes at the frame's top right, and a scale bar (a round length near a fifth of the width) below left.
    static func legend(_ title: String, _ entries: [(Colour, String)], _ f: Frame) -> String {
        let w = 200.0
        let x = f.width - w - 8
        var s = "<g class=\"legend\"><rect x=\"\(Frame.fmt(x))\" y=\"8\" width=\"\(Frame.fmt(w))\" "
        s += "height=\"\(20 + 16 * entries.count)\" fill=\"#ffffff\" fill-opacity=\"0.9\" stroke=\"#666\"/>"
        s += "<text x=\"\(Frame.fmt(x + 6))\" y=\"22\" class=\"lt\">\(html(title))</text>"
        for (k, e) in entries.enumerated() {
            let y = 30 + 16 * k
            s +=
                "<rect x=\"\(Frame.fmt(x + 6))\" y=\"\(y)\" width=\"14\" height=\"12\" "
                + "fill=\"\(e.0.hex)\" stroke=\"#444\"/>"
            s += "<text x=\"\(Frame.fmt(x + 26))\" y=\"\(y + 10)\">\(html(e.1))</text>"
        }
        return s + "</g>" + scaleBar(f)
    }

    static func scaleBar(_ f: Frame) -> String {
        let target = (f.maxX - f.minX) / 5
        let p = pow(10, floor(log10(target)))
        let length = [1.0, 2, 5, 10].map { $0 * p }.last { $0 <= target } ?? p
        let w = length * f.scale
        let y = f.height - 14
        let label = length >= 1000 ? String(format: "%g km", length / 1000) : String(format: "%g m", length)
        return "<g class=\"scalebar\"><rect x=\"10\" y=\"\(Frame.fmt(y))\" width=\"\(Frame.fmt(w))\" height=\"5\" "
            + "fill=\"#222\"/><text x=\"10\" y=\"\(Frame.fmt(y - 4))\">\(label)</text></g>"
    }

    /// Links as SVG paths grouped by stroke colour (one `<path>` per colour keeps the file small).
    static func linkPaths(
        _ l: ResultData.Layer, _ f: Frame, width: Double, order: [Int], colour: (Int) -> Colour?
    ) -> String {
        var byColour: [String: [String]] = [:]
        var keys: [String] = []
        for k in order {
            guard let c = colour(k) else { continue }
            let r = l.start[k]..<l.start[k + 1]
            guard r.count >= 2 else { continue }
            var d = "M\(f.px(l.x[r.lowerBound])) \(f.py(l.y[r.lowerBound]))"
            for i in (r.lowerBound + 1)..<r.upperBound { d += "L\(f.px(l.x[i])) \(f.py(l.y[i]))" }
            if byColour[c.hex] == nil { keys.append(c.hex) }
            byColour[c.hex, default: []].append(d)
        }
        return keys.map {
            "<path fill=\"none\" stroke=\"\($0)\" stroke-width=\"\(width)\" d=\"\(byColour[$0]!.joined())\"/>"
        }.joined()
    }

    static func html(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
