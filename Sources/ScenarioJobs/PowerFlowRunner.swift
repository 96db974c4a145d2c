import CityImport
import EnergyModel
import Foundation
import SimCore
import SimIO

/// `citytwin powerflow`: a grid in the reference format (network.json, optional profiles_load_relative.csv and
/// profiles_sgen_relative.csv) or a pandapower JSON file, solved for N profile steps; bus, line and transformer
/// results and a per-step summary to HDF5, and the same as CSV tables next to it. The result appears only when
/// everything is written (temporary names, then rename); an existing result is kept unless `overwrite`.
public enum PowerFlowRunner {
    public struct Options: Sendable {
        public var steps: Int? = nil
        public var method: PowerFlow.Method = .currentInjection
        public var workers = 1
        public var chunkSteps = 96
        public var overwrite = false
        public var csv = true
        /// Per-step summary only (no per-bus/line/transformer tables).
        public var summaryOnly = false
        public init() {}
    }
    public struct Summary: Sendable {
        public var grid: String, buses: Int, lines: Int, trafos: Int, steps: Int
        public var result: PowerFlowSeries.Result
        public var perFlowMilliseconds: Double
        public var outputs: [String]
    }

    public static func load(_ path: String) throws -> (Grid, ProfileTable?, ProfileTable?, String) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw InputError(
                SourceLocation(file: path), code: "E-GRID-001", message: "no such file or folder",
                hint: "give a folder with network.json, or a pandapower .json file")
        }
        if !isDir.boolValue {
            return (try GridReader.readPandapower(path), nil, nil, path)
        }
        let grid = try GridReader.readReference(path)
        let lp = path + "/profiles_load_relative.csv"
        let sp = path + "/profiles_sgen_relative.csv"
        let loads = FileManager.default.fileExists(atPath: lp) ? try ProfileReader.read(lp) : nil
        let sgens = FileManager.default.fileExists(atPath: sp) ? try ProfileReader.read(sp) : nil
        return (grid, loads, sgens, path + "/network.json")
    }

    public static func run(
        network path: String, output: String, options: Options, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws -> Summary {
        let (grid, loads, sgens, origin) = try load(path)
        let (net, map) = try grid.busBranchModel(origin: origin)
        let series = try PowerFlowSeries(
            grid: grid, network: net, mapping: map, loadProfiles: loads, sgenProfiles: sgens, origin: origin)
        let available = series.availableSteps
        let steps = options.steps ?? available
        guard steps >= 1 else { throw RunError("--steps must be at least 1") }
        guard steps <= available else {
            throw RunError(
                "\(steps) steps asked for, but \(loads == nil && sgens == nil ? "the grid has no profiles (one snapshot)" : "the profiles have \(available) steps")",
                hint: loads == nil && sgens == nil
                    ? "add profiles_load_relative.csv / profiles_sgen_relative.csv, or drop --steps"
                    : "use --steps \(available) or fewer")
        }
        let h5 = output.hasSuffix(".h5") ? output : output + "/powerflow.h5"
        let dir = URL(fileURLWithPath: h5).deletingLastPathComponent().path
        let csvDir = dir + "/" + URL(fileURLWithPath: h5).deletingPathExtension().lastPathComponent + "-csv"
        if !options.overwrite {
            for p in [h5] + (options.csv ? [csvDir] : []) where FileManager.default.fileExists(atPath: p) {
                throw RunError(
                    "result '\(p)' already exists",
                    hint:
                        "pass --overwrite to replace it (only once the new run has completed), or -o to write elsewhere"
                )
            }
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var opts = PowerFlow.Options()
        opts.method = options.method
        let r = try series.run(
            steps: steps, options: opts, workers: options.workers, chunkSteps: options.chunkSteps,
            storeAssets: !options.summaryOnly,
            progress: progress.map { p in { @Sendable done in p(done, steps) } })
        guard let bad = r.summary.converged.firstIndex(of: 0) else {
            let times = (0..<steps).map { loads?.times[$0] ?? sgens?.times[$0] ?? "step \($0)" }
            try writeHDF5(
                r, grid: grid, times: times, method: options.method, source: origin, summaryOnly: options.summaryOnly,
                to: h5)
            var outputs = [h5]
            if options.csv {
                try writeCSV(
                    r, grid: grid, times: times, summaryOnly: options.summaryOnly, to: csvDir,
                    overwrite: options.overwrite)
                outputs.append(csvDir)
            }
            return Summary(
                grid: grid.name, buses: grid.buses.count, lines: grid.lines.count, trafos: grid.trafos.count,
                steps: steps, result: r,
                perFlowMilliseconds: r.solveSeconds * 1000 / Double(steps), outputs: outputs)
        }
        throw RunError(
            "the power flow did not converge at step \(bad) (mismatch \(r.summary.mismatchMVA[bad]) MVA)",
            hint: "the demand may exceed what the grid can carry (voltage collapse); nothing was written")
    }

    static func writeHDF5(
        _ r: PowerFlowSeries.Result, grid: Grid, times: [String], method: PowerFlow.Method, source: String,
        summaryOnly: Bool, to path: String
    ) throws {
        try H5File.writeAtomically(path) { f in
            let root = try f.root
            try root.setAttribute("title", "CityTwin power flow: \(grid.name)")
            try root.setAttribute("source", source)
            try root.setAttribute("engine_version", CityTwinVersion.string)
            try root.setAttribute("created", ISO8601DateFormatter().string(from: Date()))
            try root.setAttribute(
                "method",
                method == .newton
                    ? "Newton-Raphson, polar, sparse LU (KLU)"
                    : "fixed-point current injection on the factorised admittance matrix (KLU), Newton fallback")
            try root.setAttribute("sn_mva", grid.snMVA)
            let step = try root.write("step", .int64((0..<Int64(r.steps)).map { $0 }))
            try step.makeScale("step")
            try root.writeStrings("time", times)
            if !summaryOnly { try writeAssetTables(r, grid: grid, root: root, step: step) }
            let s = try root.createGroup("summary")
            let sm = r.summary
            for (name, v, units, long) in [
                ("load_p_mw", sm.loadP, "MW", "total load"), ("load_q_mvar", sm.loadQ, "Mvar", "total reactive load"),
                ("sgen_p_mw", sm.sgenP, "MW", "total generation of static generators"),
                ("slack_p_mw", sm.slackP, "MW", "supply from the external grid"),
                ("slack_q_mvar", sm.slackQ, "Mvar", "reactive supply from the external grid"),
                ("losses_p_mw", sm.lossP, "MW", "line and transformer losses"),
                ("losses_q_mvar", sm.lossQ, "Mvar", "reactive losses"),
                ("vm_min_pu", sm.vmMin, "1", "lowest bus voltage"), ("vm_max_pu", sm.vmMax, "1", "highest bus voltage"),
                ("max_line_loading_percent", sm.maxLineLoading, "percent", "highest line loading"),
                ("max_trafo_loading_percent", sm.maxTrafoLoading, "percent", "highest transformer loading"),
                ("mismatch_mva", sm.mismatchMVA, "MVA", "largest power mismatch at the solution"),
            ] as [(String, [Double], String, String)] {
                let d = try s.write(name, .float64(v))
                try d.setAttribute("units", units)
                try d.setAttribute("long_name", long)
                try d.attach(scale: step, dim: 0)
            }
            let it = try s.write("iterations", .int32(sm.iterations))
            try it.attach(scale: step, dim: 0)
            let cv = try s.write("converged", .uint8(sm.converged))
            try cv.attach(scale: step, dim: 0)
        }
    }

    /// /bus, /line and /trafo: per step and asset, with their dimension scales.
    static func writeAssetTables(_ r: PowerFlowSeries.Result, grid: Grid, root: H5Group, step: H5Dataset) throws {
        let n = r.steps
        func table(
            _ g: H5Group, _ name: String, _ v: [Double], _ cols: Int, _ units: String, _ long: String, _ dim: H5Dataset
        ) throws {
            let d = try g.write(name, .float64(v), shape: [n, cols], compress: n * cols > 4096)
            try d.setAttribute("units", units)
            try d.setAttribute("long_name", long)
            try d.attach(scale: step, dim: 0)
            try d.attach(scale: dim, dim: 1)
        }
        let bus = try root.createGroup("bus")
        let bid = try bus.write("bus", .int64(grid.buses.map { Int64($0.id) }))
        try bid.makeScale("bus")
        try bus.writeStrings("name", grid.buses.map(\.name))
        let vn = try bus.write("vn_kv", .float64(grid.buses.map(\.vnKV)))
        try vn.attach(scale: bid, dim: 0)
        try vn.setAttribute("units", "kV")
        try table(bus, "vm_pu", r.vm, grid.buses.count, "1", "voltage magnitude (per unit of vn_kv)", bid)
        try table(bus, "va_degree", r.vaDeg, grid.buses.count, "degree", "voltage angle", bid)
        let line = try root.createGroup("line")
        let lid = try line.write("line", .int64((0..<Int64(grid.lines.count)).map { $0 }))
        try lid.makeScale("line")
        try line.writeStrings("name", grid.lines.map(\.name))
        try table(
            line, "loading_percent", r.lineLoading, grid.lines.count, "percent", "current / (max_i_ka · df · parallel)",
            lid)
        try table(line, "p_from_mw", r.linePFrom, grid.lines.count, "MW", "active power into the line at from_bus", lid)
        let trafo = try root.createGroup("trafo")
        let tid = try trafo.write("trafo", .int64((0..<Int64(grid.trafos.count)).map { $0 }))
        try tid.makeScale("trafo")
        try trafo.writeStrings("name", grid.trafos.map(\.name))
        try table(
            trafo, "loading_percent", r.trafoLoading, grid.trafos.count, "percent",
            "√3·V_n·I / S_n at the more loaded side", tid)
        try table(
            trafo, "p_hv_mw", r.trafoPHV, grid.trafos.count, "MW", "active power into the transformer at hv_bus", tid)
    }

    /// Wide CSV tables (one row per step, one column per asset, as the reference files) and the summary.
    static func writeCSV(
        _ r: PowerFlowSeries.Result, grid: Grid, times: [String], summaryOnly: Bool, to dir: String, overwrite: Bool
    ) throws {
        let tmp = dir + ".tmp"
        try? FileManager.default.removeItem(atPath: tmp)
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        func wide(_ name: String, _ v: [Double], _ heads: [String]) throws {
            var s = "step,time," + heads.joined(separator: ",") + "\n"
            let c = heads.count
            for t in 0..<r.steps {
                s += "\(t),\(times[t])"
                for k in 0..<c {
                    s += ","
                    s += String(v[t * c + k])
                }
                s += "\n"
            }
            try s.write(toFile: tmp + "/" + name, atomically: false, encoding: .utf8)
        }
        if !summaryOnly {
            try wide("vm_pu.csv", r.vm, grid.buses.map { "bus_\($0.id)" })
            try wide("va_degree.csv", r.vaDeg, grid.buses.map { "bus_\($0.id)" })
            try wide("line_loading_percent.csv", r.lineLoading, (0..<grid.lines.count).map { "line_\($0)" })
            try wide("trafo_loading_percent.csv", r.trafoLoading, (0..<grid.trafos.count).map { "trafo_\($0)" })
        }
        let sm = r.summary
        var s =
            "step,time,load_p_mw,load_q_mvar,sgen_p_mw,slack_p_mw,slack_q_mvar,losses_p_mw,vm_min_pu,vm_max_pu,max_line_loading_percent,max_trafo_loading_percent,iterations,mismatch_mva\n"
        for t in 0..<r.steps {
            s +=
                [
                    String(t), times[t], String(sm.loadP[t]), String(sm.loadQ[t]), String(sm.sgenP[t]),
                    String(sm.slackP[t]), String(sm.slackQ[t]), String(sm.lossP[t]),
                    String(sm.vmMin[t]), String(sm.vmMax[t]), String(sm.maxLineLoading[t]),
                    String(sm.maxTrafoLoading[t]), String(sm.iterations[t]), String(sm.mismatchMVA[t]),
                ].joined(separator: ",") + "\n"
        }
        try s.write(toFile: tmp + "/summary.csv", atomically: false, encoding: .utf8)
        if overwrite { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.moveItem(atPath: tmp, toPath: dir)
    }
}
