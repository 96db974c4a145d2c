import FloodModel
import Foundation
import SimCore

/// The identity of a job's results, for matching checkpoints (and, later, study runs) to jobs: a hash of what the
/// resolved job *means*, never of where it was written. Locations (file, line), comments, the job file's own path
/// and the worker, partition and checkpoint settings do not enter; files the job names enter by their content, and
/// the model by its model.yaml, so a moved job file or one reached by another relative path keeps its hash.
extension Job {
    public var resultHash: String { fnv1a(identity) }

    /// The canonical description that is hashed (one `key=value` per line).
    public var identity: String {
        var lines = [
            "name=\(name)", "start=\(startISO)", "duration=\(duration.milliseconds)",
            "output_interval=\(outputInterval.milliseconds)", "seed=\(seed)",
            "model=\(Self.digest(modelDirectory + "/model.yaml"))",
        ]
        if let f = flood { lines.append("flood=" + Self.identity(f)) }
        if let t = traffic { lines.append("traffic=" + Self.identity(t)) }
        if let e = energy { lines.append("energy=" + Self.identity(e)) }
        for c in changes {
            lines.append("change=\(c.kind.rawValue)|\(c.line)|\(c.amount)|\(c.width.map { "\($0)" } ?? "-")")
        }
        for (name, c) in couplings.sorted(by: { $0.key < $1.key }) {
            lines.append("coupling=\(name)|\(c.enabled)|\(c.outside.map { "\($0)" } ?? "-")")
        }
        for c in networkChanges {
            lines.append("network_change=" + Self.identity(c))
        }
        // a fork's results depend on the state it starts from: the saved run and the time
        if let f = fork { lines.append("fork=\(f.stateHash)@\(f.clock.milliseconds)") }
        return lines.joined(separator: "\n")
    }

    static func identity(_ c: NetworkChange) -> String {
        let values = [c.lanes, c.speedKmh, c.capacity, c.length].map { $0.map { "\($0)" } ?? "-" }
        let ends = [c.id, c.from, c.to].map { $0 ?? "-" }
        return "\(c.kind.rawValue)|\(c.links)|\(values)|\(ends)" + (c.at.map { "|at \($0.milliseconds)" } ?? "")
    }

    static func identity(_ f: FloodJobSettings) -> String {
        var s = "\(f.precision.rawValue)|\(f.theta)|\(f.alpha)|\(f.advection)|\(f.maxStep.milliseconds)|"
        s += "\(f.boundaries.map { "\($0)" } ?? "-")|\(f.seaLevel.map { "\($0)" } ?? "-")|"
        switch f.rainfall {
        case .none: s += "rain:none"
        case .series(let t, let v): s += "rain:series\(t.map(\.milliseconds))\(v)"
        case .designStorm(let a, let b, let c, let duration, let step, let peak, let start):
            s += "rain:storm\([a, b, c, peak])\([duration, step, start].map(\.milliseconds))"
        case .gridded(let t, let files): s += "rain:grids\(t.map(\.milliseconds))\(files.map(digest))"
        }
        for i in f.inflows { s += "|inflow:\(i.name)\(i.points)\(i.times.map(\.milliseconds))\(i.discharge)" }
        s +=
            "|manning:"
            + f.manningOverrides.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
                separator: ",")
        s += "|\(f.infiltration)|\(f.drainageMmPerHour)|\(f.inundationDepth)"
        switch f.initial {
        case nil: break
        case .depth(let file): s += "|initial-depth:\(digest(file))"
        case .levelGrid(let file): s += "|initial-level:\(digest(file))"
        case .level(let v, let pts): s += "|initial-level:\(v)\(pts)"
        }
        return s
    }

    static func identity(_ t: TrafficJobSettings) -> String {
        let times = [t.tick, t.stuckTime, t.departureJitter, t.junctionDelay].map(\.milliseconds)
        let factors = [t.jamSpacing, t.flowCapacityFactor, t.storageCapacityFactor, t.demandScale, t.rerouteShare]
        let f = t.floodResponse
        let flood = "\(f.closeDepth)|\(f.maxWait.milliseconds)|\(f.interval.milliseconds)"
        let g = t.signalResponse
        let signals = "\(g.darkDelay.milliseconds)|\(g.capacityFactor)|\(g.interval.milliseconds)"
        let zones = t.demandZones.map { "\($0.name)=\($0.scale)@\($0.polygon)" }.joined(separator: ";")
        return "\(times)|\(factors)|\(t.iterations)|\(t.vehicles.map(digest) ?? "-")|\(flood)|\(signals)"
            + (zones.isEmpty ? "" : "|zones:" + zones)
    }

    static func identity(_ e: EnergyJobSettings) -> String {
        var s = "\(e.step.milliseconds)|\([e.evShare, e.pvShare, e.heatPumpShare, e.demandGrowth])|"
        s += "\([e.temperatureMean, e.temperatureAmplitude, e.clearness])|\(e.weatherFile.map(digest) ?? "-")|"
        s += "\(e.repairDelay.milliseconds)|"
        s += e.hardening.map { "\($0.target)=\($0.raise)" }.joined(separator: ",") + "|"
        s += e.outages.map { "\($0.asset)@\($0.from.milliseconds)-\($0.to.milliseconds)" }.joined(separator: ",")
        s += "|" + e.reinforce.map { "\($0.asset)+\($0.transformers)" }.joined(separator: ",") + "|"
        s += e.addCables.map { "\($0.from)~\($0.to)" }.joined(separator: ",")
        return s
    }

    /// A digest of a file's content (FNV-1a, 64 bit), streamed; "missing" if it cannot be read.
    static func digest(_ path: String) -> String { (try? InputFile.digest(path)) ?? "missing" }
}
