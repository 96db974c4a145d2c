import CityImport
import EnergyModel
import FloodModel
import Foundation
import SimCore
import SimEngine
import TrafficModel

/// A job's scenario assembled into domains, ready to step. `run` and `validate` both build it here, through the
/// same code, so anything a run would refuse is refused by `validate` too; only the traffic re-planning days
/// (`traffic.iterations`, simulations in their own right) are left to the run.
public struct Scenario {
    public var domains: [any DomainModel]
    /// One line per domain for `validate` ("flood on 380 x 374 cells of 10 m", …).
    public var summary: [String] = []
    /// Cells of the flood grid (0 without flood), for the throughput figure.
    public var floodCells = 0
    public var workers: Int
    /// The couplings the engine exchanges (`couplings:` in the job switches them off).
    public var couplings: [Coupling] = []
    /// True when a stop request ended the planning days before the domains were complete (nothing to run yet).
    public var interrupted = false
    /// The city model's CRS (EPSG code, 0: none).
    public var epsg = 0

    /// Builds the domains of `job` on `model`. With `planning`, the traffic domain gets the routes of
    /// `traffic.iterations` re-planning days (checkpointed and resumed by it; reported through `message`). A fork
    /// passes the `state` it starts from: its traffic routes are those planned before it, not planned again.
    public static func assemble(
        job: Job, model: CityModel, workers: Int, partitions: Int?, planning: PlanningRun?,
        state: [String: [NamedArray]]? = nil, message: (String) -> Void = { _ in }
    ) throws -> Scenario {
        var scenario = Scenario(domains: [], workers: workers)
        scenario.epsg = model.epsg
        if job.flood != nil {
            let setup = try ScenarioBuilder.floodSetup(job: job, model: model)
            let g = setup.geometry
            let count = partitions ?? job.partitions ?? PartitionLayout.defaultCount(rows: g.ny, workers: workers)
            let f = makeFloodDomain(setup, partitions: count)
            scenario.domains.append(f)
            scenario.floodCells = g.count
            scenario.summary.append("flood on \(g.nx) x \(g.ny) cells of \(g.cellSize) m")
        }
        var trafficPlans: (VehiclePlans, RoadNetwork)?
        if let t = job.traffic {
            let setup = try ScenarioBuilder.trafficSetup(job: job, model: model)
            let network = setup.network
            if setup.rerouted + setup.dropped > 0 {
                message(
                    "network changes: \(setup.rerouted) vehicles re-routed around closed links, \(setup.dropped) "
                        + "left without a route (dropped)")
            }
            let plans =
                t.demandZones.isEmpty
                ? setup.plans.scaled(by: t.demandScale, jitter: t.departureJitter, seed: job.seed)
                : setup.plans.scaled(
                    by: try ScenarioBuilder.demandFactors(job: job, model: model, network: network, plans: setup.plans),
                    jitter: t.departureJitter, seed: job.seed)
            var p = QueueParameters()
            p.tick = t.tick
            p.stuckTime = t.stuckTime
            p.jamSpacing = t.jamSpacing
            p.flowCapacityFactor = t.flowCapacityFactor
            p.storageCapacityFactor = t.storageCapacityFactor
            p.seed = job.seed
            p.junctionDelay = t.junctionDelay
            p.timedEdits = setup.timed
            // links respond to the water when the job floods and the coupling is on
            if job.flood != nil && job.couplings["flood_traffic"]?.enabled ?? true { p.flood = t.floodResponse }
            // signals go dark in outages when the job runs the grid and the coupling is on
            if job.energy != nil && job.couplings["energy_traffic"]?.enabled ?? true { p.signals = t.signalResponse }
            let count = partitions ?? job.partitions ?? max(1, 8 * workers)
            var finalPlans = plans
            var its: [TrafficPlanner.Iteration] = []
            if let routes = state?["traffic"], t.iterations > 1 {
                finalPlans = try plans.withRoutes(from: routes)
            } else if let planning, t.iterations > 1 {
                // the planned day is the normal one: dry roads, working signals, no incidents
                var dry = p
                dry.flood = nil
                dry.signals = nil
                dry.timedEdits = []
                guard
                    let planned = try planning.plan(
                        network: network, plans: plans, parameters: dry, iterations: t.iterations,
                        rerouteShare: t.rerouteShare, horizon: job.duration, workers: workers,
                        partitions: count, seed: job.seed,
                        progress: { it in
                            message(
                                "iteration \(it.index): relative gap \(String(format: "%.4f", it.relativeGap)), mean "
                                    + "trip \(String(format: "%.1f", it.meanTravelTime)) s, \(it.rerouted) re-routed")
                        })
                else {
                    scenario.interrupted = true
                    return scenario
                }
                (finalPlans, its) = planned
            }
            let d = TrafficDomain(network: network, plans: finalPlans, parameters: p, partitions: count)
            d.iterationResults = its.map { ($0.relativeGap, $0.averageExcess, $0.meanTravelTime) }
            scenario.domains.append(d)
            trafficPlans = (finalPlans, network)
            scenario.summary.append(
                "traffic: \(finalPlans.count) vehicles on \(network.linkCount) links"
                    + (setup.rerouted + setup.dropped > 0
                        ? " (\(setup.rerouted) re-routed, \(setup.dropped) dropped by network changes)" : ""))
        }
        if job.energy != nil {
            var setup = try ScenarioBuilder.energySetup(job: job, model: model)
            if let (plans, net) = trafficPlans {
                // occupancy and EVs follow the traffic population's activity schedules
                let (drivers, unmatched) = DriverMatching.drivers(
                    plans: plans, network: net, buildings: setup.buildings)
                setup.drivers = drivers
                setup.vehicleIDs = plans.ids
                message(
                    "energy: \(drivers.count) drivers of the traffic population placed in their home buildings"
                        + (unmatched > 0 ? " (\(unmatched) vehicles without a person_leg id left out)" : ""))
            }
            let e = try EnergyDomain(setup)
            scenario.domains.append(e)
            let dwellings = setup.buildings.reduce(0) { $0 + $1.dwellings }
            scenario.summary.append(
                "energy: \(setup.buildings.count) buildings, \(dwellings) dwellings on \(setup.grid.buses.count) "
                    + "buses, \(setup.assets.count) substations")
        }
        // the couplings between the domains, through the engine (flood → energy, traffic → energy, …)
        // couplings a domain leaves out of its model when switched off (so it requires nothing) are still valid keys
        var off: [String] = []
        if job.traffic != nil && job.flood != nil { off.append("flood_traffic") }
        if job.traffic != nil && job.energy != nil { off.append("energy_traffic") }
        scenario.couplings = try Coupling.connect(
            scenario.domains, settings: job.couplings, origin: SourceLocation(file: job.file),
            switchedOff: off.filter { job.couplings[$0]?.enabled == false })
        if !scenario.couplings.isEmpty {
            scenario.summary.append("couplings: " + scenario.couplings.map(\.name).joined(separator: ", "))
        }
        return scenario
    }
}
