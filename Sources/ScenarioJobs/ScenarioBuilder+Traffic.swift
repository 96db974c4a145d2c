import Foundation
import SimCore
import TrafficModel

extension ScenarioBuilder {
    /// The model's network and vehicles with the job's network changes applied. Vehicles whose route uses a
    /// closed link are routed again on free-flow times from where their first link starts to where their last link
    /// ends; those left without any route are dropped and counted.
    public static func trafficSetup(job: Job, model: CityModel) throws -> (
        network: RoadNetwork, plans: VehiclePlans, dropped: Int, rerouted: Int
    ) {
        let (base, _) = try model.loadTraffic()
        let plans: VehiclePlans
        if let p = job.traffic?.vehicles {
            plans = try VehiclePlans.fromCSV(try InputFile.text(p, what: "the vehicles table"), file: p, on: base)
        } else {
            plans = try model.loadVehicles(on: base)
        }
        guard !job.networkChanges.isEmpty else { return (base, plans, 0, 0) }
        let edits: [LinkEdit] = job.networkChanges.map { c in
            switch c.kind {
            case .closeLink: .close(links: c.links)
            case .setLanes: .setLanes(links: c.links, lanes: c.lanes ?? 1)
            case .addLanes: .addLanes(links: c.links, lanes: c.lanes ?? 0)
            case .setSpeed: .setSpeed(links: c.links, kmh: c.speedKmh ?? 50)
            case .setCapacity: .setCapacity(links: c.links, vph: c.capacity ?? 1)
            case .addLink:
                .add(
                    id: c.id ?? "", from: c.from ?? "", to: c.to ?? "", lanes: c.lanes ?? 1, kmh: c.speedKmh ?? 50,
                    vph: c.capacity ?? 1, length: c.length)
            }
        }
        let (kept, newIndex, problems) = base.applying(edits)
        if !problems.isEmpty {
            throw InputError(
                problems.map { p in
                    let c = job.networkChanges[p.edit]
                    let message =
                        p.code == "E-JOB-061" || p.code == "E-JOB-062"
                        ? p.message : "model '\(model.name)' \(p.message)"
                    return Diagnostic(
                        c.location, code: p.code, keyPath: "changes.\(c.name)" + (p.key.isEmpty ? "" : ".\(p.key)"),
                        message: message, hint: p.hint)
                })
        }
        let r = plans.rerouted(from: base, to: kept, newIndex: newIndex)
        return (kept, r.plans, r.dropped, r.rerouted)
    }
}
