import ArgumentParser
import CityImport
import EnergyModel
import Foundation
import ScenarioJobs
import SimCore

extension PowerFlow.Method: ExpressibleByArgument {}

struct PowerFlowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "powerflow",
        abstract:
            "AC power flow of a grid (reference-format folder with its profiles, or a pandapower JSON file); results to HDF5 and CSV."
    )
    @Argument(
        help:
            "Folder with network.json (and profiles_load_relative.csv / profiles_sgen_relative.csv), or a pandapower .json."
    ) var network: String
    @Option(help: "Profile steps to solve from the first (default: all the profiles have; 1 without profiles).")
    var steps: Int?
    @Option(help: "newton or current-injection (falls back to Newton where it does not converge).") var method:
        PowerFlow.Method = .currentInjection
    @Option(help: "Worker threads (chunks of steps in parallel; results do not depend on it).") var workers: Int =
        ProcessInfo.processInfo.activeProcessorCount
    @Option(
        help:
            "Steps per chunk: each chunk starts afresh (DC start) and chunks are solved in parallel; part of the result's definition."
    ) var chunkSteps: Int = 96
    @Option(
        name: .shortAndLong,
        help: "Result file (.h5) or folder; default results/<grid>-powerflow.h5 (CSV tables beside it).") var output:
        String?
    @Flag(help: "Replace an existing result (only once the new run has completed).") var overwrite = false
    @Flag(help: "HDF5 only, no CSV tables.") var noCSV = false
    @Flag(
        help:
            "Keep the per-step summary only (no per-bus, line and transformer tables): for long series of large grids.")
    var summaryOnly = false
    @Flag(help: "Print one JSON line of figures instead of the summary (benchmarks).") var json = false

    func validate() throws {
        if let s = steps, s < 1 { throw ValidationError("--steps must be at least 1 (got \(s))") }
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        guard chunkSteps >= 1 else { throw ValidationError("--chunk-steps must be at least 1") }
    }

    func run() throws {
        do {
            var o = PowerFlowRunner.Options()
            o.steps = steps
            o.chunkSteps = chunkSteps
            o.method = method
            o.workers = workers
            o.overwrite = overwrite
            o.csv = !noCSV
            o.summaryOnly = summaryOnly
            let name = URL(fileURLWithPath: network).deletingPathExtension().lastPathComponent
            let out = output ?? "results/\(name)-powerflow.h5"
            let s = try PowerFlowRunner.run(network: network, output: out, options: o)
            let sm = s.result.summary
            if json {
                let fig: [String: Any] = [
                    "grid": s.grid, "buses": s.buses, "steps": s.steps, "workers": workers, "method": method.rawValue,
                    "solve_s": s.result.solveSeconds, "ms_per_pf": s.perFlowMilliseconds,
                    "iterations_max": Int(sm.iterations.max()!),
                    "iterations_mean": Double(sm.iterations.reduce(0) { $0 + Int($1) }) / Double(s.steps),
                    "newton_fallbacks": sm.newtonSteps, "mismatch_max_mva": sm.mismatchMVA.max()!,
                    "result": s.outputs[0],
                ]
                print(
                    String(
                        data: try JSONSerialization.data(withJSONObject: fig, options: [.sortedKeys]), encoding: .utf8)!
                )
                return
            }
            print(
                "power flow of '\(s.grid)': \(s.buses) buses, \(s.lines) lines, \(s.trafos) transformers, \(s.steps) step\(s.steps == 1 ? "" : "s")"
            )
            print(
                "  method           \(method.rawValue)\(sm.newtonSteps > 0 ? " (\(sm.newtonSteps) Newton fallbacks)" : "")"
            )
            print(
                "  iterations       \(sm.iterations.min()!)–\(sm.iterations.max()!), largest mismatch \(String(format: "%.2e", sm.mismatchMVA.max()!)) MVA"
            )
            print(
                "  energy           load \(String(format: "%.4f", sm.loadP.reduce(0, +) / 4)) MWh, losses \(String(format: "%.4f", sm.lossP.reduce(0, +) / 4)) MWh (at 15-min steps)"
            )
            print(
                "  voltage          \(String(format: "%.5f", sm.vmMin.min()!))–\(String(format: "%.5f", sm.vmMax.max()!)) pu"
            )
            print(
                "  loading          lines ≤ \(String(format: "%.1f", sm.maxLineLoading.max()!)) %, transformers ≤ \(String(format: "%.1f", sm.maxTrafoLoading.max()!)) %"
            )
            print(
                "  time             \(String(format: "%.3f", s.perFlowMilliseconds)) ms per power flow (\(String(format: "%.2f", s.result.solveSeconds)) s wall, \(workers) worker\(workers == 1 ? "" : "s"))"
            )
            for p in s.outputs { print("result: \(p)") }
        } catch { throw Exit.fail(error) }
    }
}

extension Import {
    struct GridCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "grid",
            abstract:
                "A synthetic distribution grid on an OpenStreetMap extract's streets and buildings, added to a model directory (energy section)."
        )
        @Argument(help: "OpenStreetMap extract (.osm.pbf), the same the model's roads came from.") var pbf: String
        @Option(help: "kW per dwelling after diversity (ADMD).") var householdADMD: Double = 2.0
        @Option(help: "W/m² of non-residential floor at peak.") var commercialPeak: Double = 40
        @Option(name: .shortAndLong, help: "Model directory with a model.yaml (e.g. Data/monaco).") var output: String
        @Flag(help: "Replace an existing energy section.") var overwrite = false
        func validate() throws {
            guard householdADMD > 0, householdADMD < 50 else {
                throw ValidationError("--household-admd must be in (0, 50) kW")
            }
            guard commercialPeak > 0, commercialPeak < 500 else {
                throw ValidationError("--commercial-peak must be in (0, 500) W/m²")
            }
        }
        func run() throws {
            do {
                let r = try OSM.read(pbf)
                var o = SyntheticGrid.Options()
                o.householdADMD = householdADMD
                o.commercialPeak = commercialPeak
                let name = URL(fileURLWithPath: output).lastPathComponent
                let g = try SyntheticGrid.build(
                    network: r.network, buildings: r.buildings, power: r.power, name: name, options: o)
                // the grid must solve before it is written
                let (net, _) = try g.grid.busBranchModel(origin: pbf)
                let s = try PowerFlow(net).solve(pd: net.pd, qd: net.qd)
                guard s.converged else {
                    throw RunError(
                        "the synthetic grid does not solve at peak demand",
                        hint: "lower --household-admd / --commercial-peak")
                }
                try SyntheticGrid.write(
                    g, to: output,
                    provenance:
                        "synthetic grid on © OpenStreetMap contributors (ODbL 1.0) streets and buildings; CityTwin import grid"
                )
                try SyntheticGrid.addEnergySection(to: output, overwrite: overwrite)
                let vmin = zip(s.vm, net.busType).filter { $0.1 != .isolated }.map(\.0).min() ?? 0
                print(
                    "wrote \(output)/grid: \(g.grid.buses.count) buses, \(g.grid.lines.count) cables, \(g.grid.trafos.count) secondary substations, "
                        + "\(g.primaries) primary substation\(g.primaries == 1 ? "" : "s") (\(g.mappedPrimaries) mapped in OSM), \(g.feeders) MV feeders, "
                        + "\(g.buildings.count) buildings, \(g.buildings.reduce(0) { $0 + $1.dwellings }) dwellings; planning peak \(String(format: "%.1f", g.peakMW)) MW, "
                        + "lowest voltage at peak \(String(format: "%.4f", vmin)) pu, losses \(String(format: "%.2f", s.lossP)) MW"
                )
            } catch { throw Exit.fail(error) }
        }
    }
}
