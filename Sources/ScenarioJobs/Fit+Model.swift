import Foundation
import SimCore
import SimIO

/// What a fit reads of a result: each domain's entities, output times and the variables observations are
/// compared with, read once and only for the kinds asked for.
struct FitModel {
    let path: String
    let file: H5File
    let startISO: String
    let epsg: Int?

    init(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path), H5File.isHDF5(path) else {
            throw RunError("'\(path)' is not a result file", hint: "pass what `citytwin run` wrote (an .h5)")
        }
        self.path = path
        file = try H5File.open(path)
        let root = try file.root
        guard let start = try root.stringAttribute("start_time"), try root.stringAttribute("job_hash") != nil else {
            throw RunError(
                "'\(path)' is not a CityTwin result (no start_time or job_hash)",
                hint: "pass what `citytwin run` wrote")
        }
        startISO = start
        var code: Int?
        for g in ["flood", "traffic", "energy"] where try root.exists(g) {
            code = try code ?? GeoReference.epsg(of: try root.group(g))
        }
        epsg = code
    }

    func group(_ name: String, for observations: String, needs: [String]) throws -> H5Group {
        let root = try file.root
        guard try root.exists(name) else {
            throw RunError(
                "\(observations): the result '\(path)' has no \(name) domain to compare with",
                hint: "fit it to a run whose job has a \(name) section")
        }
        let g = try root.group(name)
        for v in needs where try !g.exists(v) {
            throw RunError(
                "\(observations): the result's \(name) group has no '\(v)'",
                hint: "rerun with output_interval set so that snapshots are written")
        }
        return g
    }

    /// Output times (ms since start) of a group, snapshot k covering (t[k-1], t[k]].
    static func times(_ g: H5Group) throws -> [Int64] {
        try g.dataset("time").read().doubles.map { Int64(($0 * 1000).rounded()) }
    }

    struct Traffic {
        var ids: [String]
        var index: [String: Int]
        var length: [Double]
        var time: [Int64]
        /// (time, link): vehicles that left the link in the output interval ending at time, and their mean time on it.
        var exits: [Double], meanTravelTime: [Double]
        /// Link shapes (CF geometry: points `shapeStart[a] ..< shapeStart[a + 1]`), for places matched to links.
        var shapeStart: [Int] = [], shapeX: [Double] = [], shapeY: [Double] = []

        /// The link a place's traffic is on: the nearest by distance to the links' shapes; of those as near within
        /// 1 m (a street's two directions share a shape) the one whose direction there is nearest `heading`
        /// (degrees clockwise from north; at most 60° off). A reason instead when none is within `maximum` metres
        /// or the direction is ambiguous.
        func snap(x px: Double, y py: Double, heading: Double, maximum: Double) -> (
            link: Int?, distance: Double, reason: String
        ) {
            guard shapeStart.count == ids.count + 1 else {
                return (nil, .nan, "the result has no link shapes to match a place to")
            }
            var near: [(link: Int, d: Double, bearing: Double)] = []
            var best = Double.infinity
            for a in ids.indices {
                var dmin = Double.infinity
                var bearing = 0.0
                for k in shapeStart[a]..<max(shapeStart[a], shapeStart[a + 1] - 1) {
                    let (x0, y0, x1, y1) = (shapeX[k], shapeY[k], shapeX[k + 1], shapeY[k + 1])
                    let (dx, dy) = (x1 - x0, y1 - y0)
                    let len2 = dx * dx + dy * dy
                    let u = len2 > 0 ? min(1, max(0, ((px - x0) * dx + (py - y0) * dy) / len2)) : 0
                    let (qx, qy) = (x0 + u * dx - px, y0 + u * dy - py)
                    let d = (qx * qx + qy * qy).squareRoot()
                    if d < dmin {
                        dmin = d
                        bearing = (atan2(dx, dy) * 180 / .pi + 360).truncatingRemainder(dividingBy: 360)
                    }
                }
                if dmin <= best + 1 { near.append((a, dmin, bearing)) }
                best = min(best, dmin)
            }
            near = near.filter { $0.d <= best + 1 }.sorted { ($0.d, $0.link) < ($1.d, $1.link) }
            guard let first = near.first else { return (nil, .nan, "the model has no links") }
            guard first.d <= maximum else {
                return (
                    nil, first.d,
                    String(
                        format: "the nearest link (%@) is %.0f m away, more than %.0f m", ids[first.link], first.d,
                        maximum)
                )
            }
            func off(_ b: Double) -> Double {
                let d = abs(b - heading).truncatingRemainder(dividingBy: 360)
                return min(d, 360 - d)
            }
            if heading.isNaN {
                guard near.count == 1 else {
                    let names = near.prefix(3).map { ids[$0.link] }.joined(separator: ", ")
                    return (
                        nil, first.d,
                        "links \(names) are as near: give a 'heading' column to say which direction is counted"
                    )
                }
                return (first.link, first.d, "")
            }
            guard let pick = near.min(by: { (off($0.bearing), $0.link) < (off($1.bearing), $1.link) }),
                off(pick.bearing) <= 60
            else {
                return (
                    nil, first.d, String(format: "no link near the place runs at heading %.0f° (within 60°)", heading)
                )
            }
            return (pick.link, pick.d, "")
        }

        /// The snapshots whose intervals make up `[from, to)`; the bin's ends must be output times.
        func bins(from: Int64, to: Int64) throws -> Range<Int> {
            guard let a = time.firstIndex(of: from), let b = time.firstIndex(of: to) else {
                let step = time.count > 1 ? SimDuration(milliseconds: time[1] - time[0]).description : "?"
                let end = SimDuration(milliseconds: time.last ?? 0).description
                throw RunError(
                    to > (time.last ?? 0)
                        ? "the bin ends after the run's last output time (\(end))"
                        : "the bin's ends are not output times of the run (every \(step))")
            }
            return (a + 1)..<(b + 1)
        }
    }

    func traffic(for observations: String) throws -> Traffic {
        let g = try group(
            "traffic", for: observations, needs: ["link_id", "time", "exits", "mean_travel_time", "link_length"])
        let ids = try g.dataset("link_id").readStrings()
        var t = Traffic(
            ids: ids, index: Dictionary(ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a }),
            length: try g.dataset("link_length").read().doubles, time: try Self.times(g),
            exits: try g.dataset("exits").read().doubles,
            meanTravelTime: try g.dataset("mean_travel_time").read().doubles)
        if try g.exists("link_node_count"), try g.exists("link_node_x"), try g.exists("link_node_y") {
            let counts = try g.dataset("link_node_count").read().doubles
            t.shapeStart = [0]
            for c in counts { t.shapeStart.append(t.shapeStart.last! + Int(c)) }
            t.shapeX = try g.dataset("link_node_x").read().doubles
            t.shapeY = try g.dataset("link_node_y").read().doubles
            if t.shapeStart.last != t.shapeX.count || t.shapeX.count != t.shapeY.count { t.shapeStart = [] }
        }
        return t
    }

    struct Flood {
        var x: [Double], y: [Double]
        var width: Int { x.count }
        var time: [Int64]
        var terrain: [Double], maxDepth: [Double]
        let depth: H5Dataset

        /// The cell (row-major on the result's x, y) whose centre is nearest (x, y), nil off the grid or the domain.
        func cell(x px: Double, y py: Double) -> Int? {
            guard x.count > 1, y.count > 1 else { return nil }
            let (dx, dy) = (x[1] - x[0], y[1] - y[0])
            let i = Int(((px - x[0]) / dx).rounded())
            let j = Int(((py - y[0]) / dy).rounded())
            guard i >= 0, j >= 0, i < x.count, j < y.count else { return nil }
            let c = j * x.count + i
            return terrain[c].isFinite ? c : nil
        }

        /// Depth at the cell at `t` (ms), linear between output times; nil outside them.
        func depth(cell c: Int, at t: Int64, cache: inout [Int: [Double]]) throws -> Double? {
            guard let first = time.first, let last = time.last, t >= first, t <= last else { return nil }
            if cache[c] == nil {
                let v = try depth.readFloats(start: [0, c / width, c % width], count: [time.count, 1, 1])
                cache[c] = v.map(Double.init)
            }
            return Self.interpolate(time, cache[c]!, at: t)
        }

        static func interpolate(_ time: [Int64], _ v: [Double], at t: Int64) -> Double? {
            guard let k = time.firstIndex(where: { $0 >= t }) else { return nil }
            if time[k] == t || k == 0 { return time[k] == t ? v[k] : nil }
            let w = Double(t - time[k - 1]) / Double(time[k] - time[k - 1])
            return v[k - 1] + w * (v[k] - v[k - 1])
        }
    }

    func flood(for observations: String) throws -> Flood {
        let g = try group("flood", for: observations, needs: ["x", "y", "time", "depth", "terrain", "max_depth"])
        return Flood(
            x: try g.dataset("x").read().doubles, y: try g.dataset("y").read().doubles, time: try Self.times(g),
            terrain: try g.dataset("terrain").read().doubles, maxDepth: try g.dataset("max_depth").read().doubles,
            depth: try g.dataset("depth"))
    }

    struct Energy {
        var names: [String]
        var index: [String: Int]
        var time: [Int64]
        /// (time, transformer) MW at the HV side.
        var p: [Double]

        func power(_ a: Int, at t: Int64) -> Double? {
            let n = names.count
            return Flood.interpolate(time, time.indices.map { p[$0 * n + a] }, at: t)
        }
    }

    func energy(for observations: String) throws -> Energy {
        let g = try group("energy", for: observations, needs: ["trafo_id", "time", "trafo_p"])
        let names = try g.dataset("trafo_id").readStrings()
        return Energy(
            names: names, index: Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a }),
            time: try Self.times(g), p: try g.dataset("trafo_p").read().doubles)
    }
}
