import ArgumentParser
import CityImport
import Foundation
import ScenarioJobs
import SimCore
import TrafficModel

extension Import {
    struct TNTPCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tntp",
            abstract: "A TNTP network (and trip table, node coordinates) as a traffic model directory.")
        @Argument(help: "The *_net.tntp file.") var network: String
        @Option(help: "The *_trips.tntp trip table.") var trips: String?
        @Option(help: "The *_node.tntp coordinates.") var nodes: String?
        @Option(help: "Generalised cost: minutes per toll unit (ChicagoSketch: 0.02).") var tollWeight: Double = 0
        @Option(help: "Generalised cost: minutes per length unit (ChicagoSketch: 0.04).") var distanceWeight: Double = 0
        @Option(help: "Model name (default: the file name without _net.tntp).") var name: String?
        @Option(name: .shortAndLong, help: "Output model directory.") var output: String
        @Flag(help: "Replace an existing model in the output directory.") var overwrite = false
        func run() throws {
            do {
                let net = try TNTP.readNetwork(
                    network, nodePath: nodes, options: .init(tollWeight: tollWeight, distanceWeight: distanceWeight))
                let od = try trips.map { try TNTP.readTrips($0, zones: net.zoneCount) }
                let base = URL(fileURLWithPath: network).lastPathComponent.replacingOccurrences(
                    of: "_net.tntp", with: "")
                var desc = "TNTP network \(URL(fileURLWithPath: network).lastPathComponent)"
                if tollWeight != 0 || distanceWeight != 0 {
                    desc +=
                        "; generalised cost = time + \(tollWeight) min/toll unit + \(distanceWeight) min/length unit"
                }
                try NetworkModelWriter.write(
                    net, demand: od, name: name ?? base, description: desc,
                    provenance:
                        "Transportation Networks for Research (bstabler/TransportationNetworks),"
                        + " research use; cite the source",
                    to: output, overwrite: overwrite)
                print(
                    "wrote \(output): \(net.nodeCount) nodes, \(net.linkCount) links, \(net.zoneCount) zones"
                        + (od.map { ", \(fmtNum($0.total)) trips in \($0.pairCount) OD pairs" } ?? ""))
            } catch { throw Exit.fail(error) }
        }
    }
}

extension Import {
    struct SUMOCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sumo",
            abstract: "A SUMO network (.net.xml, or plain .nod.xml + .edg.xml) and routes as a traffic model directory."
        )
        @Option(help: "SUMO network (.net.xml[.gz]).") var net: String?
        @Option(help: "Plain nodes (.nod.xml[.gz]); with --edges instead of --net.") var nodes: String?
        @Option(help: "Plain edges (.edg.xml[.gz]).") var edges: String?
        @Option(help: "Plain connections (.con.xml[.gz]): turn restrictions, with --nodes/--edges.") var connections:
            String?
        @Option(help: "Routes (.rou.xml[.gz]): vehicles with explicit routes.") var routes: String?
        @Option(help: "Capacity per lane (veh/h); SUMO networks carry none.") var capacityPerLane: Double = 1800
        @Option(help: "Model name.") var name: String?
        @Option(name: .shortAndLong, help: "Output model directory.") var output: String
        @Flag(help: "Replace an existing model in the output directory.") var overwrite = false
        func validate() throws {
            if (net == nil) == (nodes == nil || edges == nil) {
                throw ValidationError("give either --net, or --nodes and --edges")
            }
            if !(capacityPerLane > 0) { throw ValidationError("--capacity-per-lane must be > 0") }
        }
        func run() throws {
            do {
                let opts = SUMO.Options(capacityPerLane: capacityPerLane)
                let network =
                    try net.map { try SUMO.readNet($0, options: opts) }
                    ?? SUMO.readPlain(nodes: nodes!, edges: edges!, connections: connections, options: opts)
                let plans = try routes.map { try SUMO.readRoutes($0, network: network) }
                let src = net ?? edges!
                try NetworkModelWriter.write(
                    network, demand: nil, vehicles: plans, name: name ?? URL(fileURLWithPath: output).lastPathComponent,
                    description:
                        "SUMO network \(URL(fileURLWithPath: src).lastPathComponent)"
                        + "; \(fmtNum(capacityPerLane)) veh/h per lane"
                        + (routes.map { "; routes \(URL(fileURLWithPath: $0).lastPathComponent)" } ?? ""),
                    provenance: "Eclipse SUMO files (see their own provenance)", to: output, overwrite: overwrite)
                print(
                    "wrote \(output): \(network.nodeCount) nodes, \(network.linkCount) links"
                        + (plans.map { ", \($0.count) vehicles" } ?? ""))
            } catch { throw Exit.fail(error) }
        }
    }
}

extension Import {
    struct MATSimCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "matsim",
            abstract:
                "A MATSim network and population (car legs of the selected plans),"
                + " or SUMO routes on it, as a traffic model directory."
        )
        @Option(help: "MATSim network (network.xml[.gz]).") var network: String
        @Option(help: "MATSim population (plans.xml[.gz]).") var plans: String?
        @Option(help: "SUMO routes (.rou.xml[.gz]) whose edge ids are this network's link ids, instead of --plans.")
        var routes: String?
        @Flag(help: "Route every car leg of --plans on free-flow travel times, ignoring the plans' routes.")
        var reroute = false
        @Option(help: "Model name.") var name: String?
        @Option(
            help:
                "The network's CRS (MATSim files do not say it), e.g. EPSG:31468 for the Berlin scenario's DHDN / GK4.")
        var crs: String?
        @Option(name: .shortAndLong, help: "Output model directory.") var output: String
        @Flag(help: "Replace an existing model in the output directory.") var overwrite = false
        func validate() throws {
            if let crs, !(crs.hasPrefix("EPSG:") && Int(crs.dropFirst(5)).map { $0 > 0 } == true) {
                throw ValidationError("--crs must look like EPSG:31468 (got '\(crs)')")
            }
            if plans != nil && routes != nil { throw ValidationError("give --plans or --routes, not both") }
            if reroute && plans == nil { throw ValidationError("--reroute needs --plans") }
        }
        func run() throws {
            do {
                let net = try MATSim.readNetwork(network)
                var vehicles: VehiclePlans? = nil
                var note = ""
                if let p = plans {
                    var o = MATSim.Options()
                    o.reroute = reroute
                    let (v, s) = try MATSim.readPlans(p, network: net, options: o)
                    vehicles = v
                    note =
                        "; \(s.persons) persons, \(s.carLegs) car legs (\(s.routedByUs) routed here)"
                        + (s.otherModes.isEmpty
                            ? ""
                            : ", other legs skipped: "
                                + s.otherModes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(
                                    separator: ", "))
                } else if let r = routes {
                    vehicles = try SUMO.readRoutes(r, network: net)
                }
                try NetworkModelWriter.write(
                    net, demand: nil, vehicles: vehicles, name: name ?? URL(fileURLWithPath: output).lastPathComponent,
                    description: "MATSim network \(URL(fileURLWithPath: network).lastPathComponent)"
                        + (plans.map { "; plans \(URL(fileURLWithPath: $0).lastPathComponent)" } ?? "")
                        + (routes.map { "; routes \(URL(fileURLWithPath: $0).lastPathComponent)" } ?? ""),
                    provenance: "MATSim files (see their own provenance and licence)", crs: crs, to: output,
                    overwrite: overwrite)
                print(
                    "wrote \(output): \(net.nodeCount) nodes, \(net.linkCount) links"
                        + (vehicles.map { ", \($0.count) vehicles" } ?? "") + note)
            } catch { throw Exit.fail(error) }
        }
    }
}

extension Import {
    struct OSMCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "osm",
            abstract:
                "Roads (and a synthetic population from the buildings) of an OpenStreetMap PBF,"
                + " added to a model directory."
        )
        @Argument(help: "OpenStreetMap extract (.osm.pbf).") var pbf: String
        @Flag(help: "Also generate a synthetic population from the buildings (see Data/PROVENANCE.md).")
        var population = false
        @Flag(
            help: "Also rasterise roads, buildings, green areas and water into landcover.asc (flood roughness)."
        ) var landcover = false
        @Option(help: "Seed of the population.") var seed: UInt64 = 1
        @Option(help: "Share of residents who drive.") var carShare: Double = 0.35
        @Option(
            name: .shortAndLong,
            help: "Model directory: added to its model.yaml if it has one (e.g. Data/monaco), else a new model.")
        var output: String
        @Flag(help: "Replace an existing traffic section or model.") var overwrite = false
        func validate() throws {
            guard carShare > 0, carShare <= 1 else { throw ValidationError("--car-share must be in (0, 1]") }
        }
        func run() throws {
            do {
                let r = try OSM.read(pbf)
                var plans: VehiclePlans? = nil
                var note = ""
                if population {
                    var o = SyntheticPopulation.Options()
                    o.seed = seed
                    o.carShare = carShare
                    let (p, s) = SyntheticPopulation.generate(network: r.network, buildings: r.buildings, options: o)
                    plans = p
                    note =
                        "; \(r.buildings.count) buildings: \(s.residents) residents,"
                        + " \(s.jobs) jobs, \(s.drivers) drivers, \(s.vehicles) car trips"
                }
                let hasTerrain =
                    (try? String(contentsOfFile: output + "/model.yaml", encoding: .utf8))?.contains("terrain:") == true
                if landcover {
                    guard hasTerrain else {
                        throw RunError(
                            "--landcover needs a model with terrain and landcover.asc in '\(output)'",
                            hint: "import the terrain first (citytwin import terrain)")
                    }
                    let counts = try LandCoverRaster.update(modelDirectory: output, from: r)
                    note +=
                        "; land cover: "
                        + counts.sorted { $0.key < $1.key }.map { "class \($0.key) \($0.value) cells" }.joined(
                            separator: ", ")
                }
                if hasTerrain {
                    try NetworkModelWriter.addTraffic(
                        r.network, vehicles: plans, geometry: r.geometry, to: output, overwrite: overwrite,
                        endpointsOnly: population)
                } else {
                    try NetworkModelWriter.write(
                        r.network, demand: nil, vehicles: plans, name: URL(fileURLWithPath: output).lastPathComponent,
                        description: "OpenStreetMap roads of \(URL(fileURLWithPath: pbf).lastPathComponent)",
                        provenance: "© OpenStreetMap contributors, ODbL 1.0", crs: "EPSG:\(r.projection.epsg)",
                        to: output, overwrite: overwrite,
                        endpointsOnly: population)
                }
                print(
                    "wrote \(output): \(r.network.nodeCount) nodes, \(r.network.linkCount)"
                        + " links (EPSG:\(r.projection.epsg); \(r.droppedLinks) links outside the largest"
                        + " connected part left out; \(r.restrictions) turn restrictions"
                        + (r.unmatchedRestrictions > 0 ? ", \(r.unmatchedRestrictions) not matching the roads" : "")
                        + ")" + note)
            } catch { throw Exit.fail(error) }
        }
    }
}

struct Assign: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Static user-equilibrium traffic assignment of a model's OD demand (path-based gradient projection).")
    @Argument(help: "Model directory with a traffic section and demand (e.g. one made by 'citytwin import tntp').")
    var model: String
    @Option(help: "Stop at this relative gap.") var gap: Double = 1e-6
    @Option(help: "Stop after this many iterations.") var maxIterations: Int = 1000
    @Option(help: "Worker threads (shortest-path searches of the gap).") var workers: Int = ProcessInfo.processInfo
        .activeProcessorCount
    @Option(name: .shortAndLong, help: "Result file (.h5); default results/<model>-assignment.h5.") var output: String?
    @Flag(help: "Replace an existing result.") var overwrite = false
    @Flag(help: "No per-iteration lines.") var quiet = false

    func validate() throws {
        guard gap > 0, gap < 1 else { throw ValidationError("--gap must be between 0 and 1 (got \(gap))") }
        guard maxIterations >= 1 else { throw ValidationError("--max-iterations must be at least 1") }
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
    }

    func run() throws {
        do {
            let m = try CityModel.load(directory: model)
            let out = output ?? "results/\(m.name)-assignment.h5"
            let dir = URL(fileURLWithPath: out).deletingLastPathComponent().path
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let quiet = quiet
            let s = try AssignmentRunner.run(
                model: m, options: AssignmentOptions(targetGap: gap, maxIterations: maxIterations, workers: workers),
                output: out, overwrite: overwrite
            ) { it, g in
                if !quiet && (it <= 10 || it % 10 == 0) {
                    printErr("iteration \(it): relative gap \(String(format: "%.3e", g))")
                }
            }
            let r = s.result
            print("assignment of '\(m.name)': \(s.links) links, \(s.zones) zones, \(fmtNum(s.trips)) trips")
            print("  iterations       \(r.iterations)\(r.converged ? "" : " (stopped before the target gap)")")
            print("  relative gap     \(String(format: "%.3e", r.relativeGap))")
            print(
                "  TSTT             \(String(format: "%.6f", r.tstt))"
                    + " veh·s/h (\(String(format: "%.4f", r.tstt / 60)) veh·min/h)"
            )
            print(
                "  Beckmann         \(String(format: "%.6f", r.beckmann))"
                    + " veh·s/h (\(String(format: "%.4f", r.beckmann / 60)) veh·min/h)"
            )
            print("  avg excess cost  \(String(format: "%.3e", r.averageExcessCost)) s")
            print(
                "  time             \(String(format: "%.2f", s.wallSeconds))"
                    + " s wall, \(String(format: "%.2f", s.cpuSeconds)) s CPU"
            )
            print("result: \(out)")
            if !r.converged { throw ExitCode(1) }
        } catch let e as ExitCode { throw e } catch { throw Exit.fail(error) }
    }
}
