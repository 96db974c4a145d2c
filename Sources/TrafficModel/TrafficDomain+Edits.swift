import SimCore

/// A change to links that takes effect during a run: a road closed at 07:00, a lane opened, a speed limit or a
/// capacity set (a job's `changes:` with `at:`, and the changes a fork adds to the run it starts from).
public struct TimedLinkEdit: Sendable, Equatable {
    public enum Change: Sendable, Equatable {
        case close
        case setLanes(Double)
        case addLanes(Double)
        case setSpeed(kmh: Double)
        case setCapacity(vph: Double)
    }
    public var at: SimDuration
    public var change: Change
    /// Link indices of the network the run is built on.
    public var links: [Int32]
    public init(at: SimDuration, change: Change, links: [Int32]) {
        self.at = at
        self.change = change
        self.links = links
    }
}

// MARK: changes during the run

extension TrafficDomain {
    /// Applies every edit due at the tick `now`, in order. The flow accumulators of changed links are first brought
    /// up to the last tick before the edit's time at the old rate, so the new capacity counts from exactly that
    /// tick whatever the engine's steps; vehicles on a link whose speed changes cover the rest of it at the new
    /// speed; a closure routes again, on the current travel times, every vehicle whose remaining route crosses it
    /// (as the flood response does), and vehicles that find no open route wait at most `closureWait`.
    func applyDueEdits() {
        var closureChanged = false
        while editsApplied < timedEdits.count, timedEdits[editsApplied].at.milliseconds <= now {
            let e = timedEdits[editsApplied]
            let before = (e.at.milliseconds + tickMs - 1) / tickMs - 1  // the last tick before the edit's time
            for a32 in e.links {
                let a = Int(a32)
                if case .close = e.change {
                    if editClosed[a] == 0 {
                        editClosed[a] = 1
                        if closed[a] == 0 {
                            closed[a] = 1
                            closedCount += 1
                            closureChanged = true
                        }
                    }
                    continue
                }
                refill(a, upTo: max(before, refilled[a]))
                setConstants(a, e.change)
                if case .setSpeed = e.change {
                    let ms = currentTraversalMs(a)
                    if ms != freeMs[a] { rescale(a, to: ms, at: now, water: false) }
                }
            }
            editsApplied += 1
        }
        if closureChanged { reroute(at: now) }
    }

    /// The link's constants after an edit (lanes with their capacity per lane, storage, speed, flow capacity),
    /// without touching its state: also what a restore replays for the edits applied before the checkpoint.
    func setConstants(_ a: Int, _ change: TimedLinkEdit.Change) {
        switch change {
        case .close:
            editClosed[a] = 1
        case .setLanes(let l), .addLanes(let l):
            let set = if case .setLanes = change { true } else { false }
            let old = max(lanesNow[a], 1)
            let new = max(1, set ? l : lanesNow[a] + l)
            capacityNow[a] *= new / old
            lanesNow[a] = new
            storage[a] = Self.storage(length: network.length[a], lanes: new, parameters)
            setFlow(a)
        case .setSpeed(let kmh):
            dryMs[a] = Int64((network.length[a] / (kmh / 3.6) * 1000).rounded(.up))
        case .setCapacity(let vph):
            capacityNow[a] = vph
            setFlow(a)
        }
    }

    /// Flow gain and cap from the link's current capacity (at the all-way-stop rate while its end node is dark).
    func setFlow(_ a: Int) {
        let add = Self.flowGain(capacity: capacityNow[a], parameters, tickMs: tickMs)
        litFlowAdd[a] = add
        flowCap[a] = max(add, Self.unit)
        if let s = signalResponse, dark[Int(network.to[a])] != 0 {
            flowAdd[a] = max(1, Int64((Double(add) * s.capacityFactor).rounded()))
        } else {
            flowAdd[a] = add
        }
    }

    /// Traversal time of link a now: dry, or in the water on it when the domain responds to floods.
    func currentTraversalMs(_ a: Int) -> Int64 {
        guard let f = floodResponse else { return dryMs[a] }
        return traversalMs(a, depth: min(linkDepth[a], f.closeDepth))
    }

    /// Storage capacity ⌊length · lanes · factor / jam spacing⌋, at least one vehicle.
    static func storage(length: Double, lanes: Double, _ p: QueueParameters) -> Int32 {
        Int32(max(1, (length * max(lanes, 1) * p.storageCapacityFactor / p.jamSpacing).rounded(.down)))
    }

    /// Flow accumulator gain per tick (units of 1/3,600,000 vehicle) of a capacity in veh/h.
    static func flowGain(capacity: Double, _ p: QueueParameters, tickMs: Int64) -> Int64 {
        let perTick = capacity * p.flowCapacityFactor * Double(tickMs) / 1000
        return max(1, Int64((perTick * 1000).rounded()))
    }

    // MARK: closures: state, outputs

    /// The closure state (when links can close: the flood response or closures in the edits): traversal times,
    /// closed links, re-routed vehicles, link-hours closed, and how many edits have taken effect.
    var closureState: [NamedArray] {
        guard mayClose || !timedEdits.isEmpty else { return [] }
        return [
            NamedArray("free_ms", .int64(freeMs.array)), NamedArray("closed", .uint8(closed.array)),
            NamedArray("rerouted", .uint8(rerouted)),
            NamedArray("closure_counters", .int64([closedLinkMs, clockAfterTick, Int64(editsApplied)])),
        ]
    }

    /// Takes the closure state back and replays the constants of the edits applied before the checkpoint. A state
    /// saved without closures (a fork adding the first one) keeps what the domain was built with.
    func restoreClosures(from state: [NamedArray]) throws {
        guard mayClose || !timedEdits.isEmpty else { return }
        let m = network.linkCount
        guard let counters = state.first(where: { $0.name == "closure_counters" })?.data else { return }
        guard case .int64(let c) = counters, c.count == 3, c[2] >= 0, Int(c[2]) <= timedEdits.count,
            case .int64(let fm)? = state.first(where: { $0.name == "free_ms" })?.data, fm.count == m,
            case .uint8(let cl)? = state.first(where: { $0.name == "closed" })?.data, cl.count == m,
            case .uint8(let rr)? = state.first(where: { $0.name == "rerouted" })?.data
        else {
            throw RunError(
                "checkpoint traffic closure state does not fit this network and its changes",
                hint: "start the run afresh")
        }
        editsApplied = Int(c[2])
        for e in timedEdits.prefix(editsApplied) { for a in e.links { setConstants(Int(a), e.change) } }
        freeMs.assign(fm)
        closed.assign(cl)
        closedCount = cl.reduce(0) { $0 + Int($1) }
        if rr.count == rerouted.count { rerouted = rr }
        closedLinkMs = c[0]
        clockAfterTick = c[1]
    }

    /// Re-routed and cancelled trips and link-hours closed, for closures by edits in a run without the flood
    /// response (which reports them itself).
    var closureKPIs: [KPI] {
        guard floodResponse == nil, mayClose else { return [] }
        let cancelled = (0..<plans.count).filter { vArrive[$0] == Self.cancelledMark }.count
        return [
            KPI("trips_rerouted", Double(rerouted.reduce(0) { $0 + Int($1) }), "1"),
            KPI("trips_cancelled", Double(cancelled), "1"),
            KPI("link_hours_closed", Double(closedLinkMs) / 3_600_000, "h"),
        ]
    }
}
