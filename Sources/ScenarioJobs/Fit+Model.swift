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
        return Traffic(
            ids: ids, index: Dictionary(ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a }),
            length: try g.dataset("link_length").read().doubles, time: try Self.times(g),
            exits: try g.dataset("exits").read().doubles,
            meanTravelTime: try g.dataset("mean_travel_time").read().doubles)
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
