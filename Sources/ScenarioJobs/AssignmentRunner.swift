import Foundation
import SimCore
import SimIO
import TrafficModel

/// Runs the static user-equilibrium assignment of a model and writes it to HDF5 (group `assignment`, per-link
/// datasets on a `link` dimension, the gap per iteration on `iteration`; KPIs as `kpi_*` attributes).
public enum AssignmentRunner {
    public struct Summary: Sendable {
        public var result: AssignmentResult
        public var links: Int, zones: Int, trips: Double
        public var cpuSeconds: Double, wallSeconds: Double
    }

    public static func run(
        model: CityModel, options: AssignmentOptions, output: String?, overwrite: Bool,
        progress: ((Int, Double) -> Void)? = nil
    ) throws -> Summary {
        let (net, odOpt) = try model.loadTraffic()
        guard let od = odOpt else {
            throw InputError(
                SourceLocation(file: model.directory + "/model.yaml"), code: "E-MODEL-042", keyPath: "traffic.demand",
                message: "model '\(model.name)' has no OD demand",
                hint: "add 'demand: demand/od.csv' to the traffic section")
        }
        if let out = output, FileManager.default.fileExists(atPath: out), !overwrite {
            throw RunError(
                "result '\(out)' already exists", hint: "pass --overwrite to replace it, or -o to write elsewhere")
        }
        let c0 = processCPUSeconds()
        let w0 = Date()
        let r = try StaticAssignment.solve(net, od, options: options, progress: progress)
        let s = Summary(
            result: r, links: net.linkCount, zones: net.zoneCount, trips: od.total,
            cpuSeconds: processCPUSeconds() - c0, wallSeconds: Date().timeIntervalSince(w0))
        if let out = output { try write(s, net: net, model: model, options: options, to: out) }
        return s
    }

    static func write(_ s: Summary, net: RoadNetwork, model: CityModel, options: AssignmentOptions, to path: String)
        throws
    {
        try H5File.writeAtomically(path) { f in
            let root = try f.root
            try root.setAttribute("title", "CityTwin static assignment: \(model.name)")
            try root.setAttribute("model", model.directory)
            try root.setAttribute("engine_version", CityTwinVersion.string)
            try root.setAttribute("created", ISO8601DateFormatter().string(from: Date()))
            let g = try root.createGroup("assignment")
            try g.setAttribute(
                "algorithm", "path-based gradient projection (Jayakrishnan et al. 1994), Gauss-Seidel by origin")
            try g.setAttribute("cost_function", "BPR: t0 (1 + alpha (x/C)^beta) + fixed cost")
            try g.setAttribute("target_gap", options.targetGap)
            let r = s.result
            let link = try g.write("link", .int64((0..<Int64(net.linkCount)).map { $0 }))
            try link.makeScale("link")
            try link.setAttribute("long_name", "link index (row of network/links.csv)")
            let it = try g.write("iteration", .int64((0..<r.iterations).map { Int64($0 + 1) }))
            try it.makeScale("iteration")
            func vec(_ name: String, _ v: [Double], _ units: String, _ long: String, dim: H5Dataset) throws {
                let d = try g.write(name, .float64(v))
                try d.setAttribute("units", units)
                try d.setAttribute("long_name", long)
                try d.attach(scale: dim, dim: 0)
            }
            try g.writeStrings("link_id", net.linkIDs)
            try g.writeStrings("from_node", net.from.map { net.nodeIDs[Int($0)] })
            try g.writeStrings("to_node", net.to.map { net.nodeIDs[Int($0)] })
            try vec("flow", r.flow, "veh h-1", "equilibrium link flow", dim: link)
            try vec("travel_time", r.travelTime, "s", "link travel time at the flow", dim: link)
            try vec("cost", r.cost, "s", "generalised cost at the flow", dim: link)
            try vec("capacity", net.capacity, "veh h-1", "link capacity", dim: link)
            try vec("volume_capacity", zip(r.flow, net.capacity).map { $0 / $1 }, "1", "flow / capacity", dim: link)
            try vec("relative_gap", r.gaps, "1", "relative gap (TSGC - SPTT) / TSGC after each iteration", dim: it)
            let kpis: [(String, Double, String)] = [
                ("tstt", r.tstt, "veh s h-1"), ("tsgc", r.tsgc, "veh s h-1"), ("beckmann", r.beckmann, "veh s h-1"),
                ("relative_gap", r.relativeGap, "1"), ("average_excess_cost", r.averageExcessCost, "s"),
                ("iterations", Double(r.iterations), "1"), ("paths", Double(r.pathCount), "1"),
                ("trips", s.trips, "veh h-1"),
            ]
            for (k, v, u) in kpis {
                try g.setAttribute("kpi_" + k, v)
                try g.setAttribute("kpi_" + k + "_units", u)
            }
        }
    }
}
