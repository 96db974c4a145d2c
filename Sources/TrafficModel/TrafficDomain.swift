import SimCore

/// Mesoscopic queue-based network loading in the spirit of MATSim's QSim (Gawron 1998, "An iterative algorithm
/// to determine the dynamic user equilibrium in a traffic simulation model", Int. J. Mod. Phys. C 9; Cetin,
/// Burri & Nagel 2003, "A large-scale agent-based traffic microsimulation based on queue model") and SUMO's
/// mesosim:
///
/// - a vehicle entering a link at t may leave it at t + length / free speed (free-flow travel);
/// - a link releases at most its flow capacity: an integer accumulator gains C·τ/3600 vehicles per tick τ
///   (capped at max(1, C·τ/3600)), and each vehicle leaving spends one, so the long-run discharge is exactly C;
/// - a link holds at most its storage capacity ⌊length · lanes / jam spacing⌋ vehicles: a full next link blocks
///   the head of the queue and, first-in first-out, everyone behind it (spill-back);
/// - a junction serves its incoming links in an order drawn at random with probability proportional to their
///   capacity, from a counter-based generator keyed by (seed, node, tick), so the draw is the same whatever the
///   partitioning;
/// - a vehicle blocked for longer than the stuck time is moved into the full link anyway, so gridlock resolves.
///
/// The tick has two phases over node partitions. Phase 0 (junctions): each node moves vehicles from the heads
/// of its incoming links and records them in its partition's outbox; it sees the next link's occupancy as of
/// the previous tick (space freed downstream in this tick becomes visible at the next one). Phase 1 (links):
/// each node appends its outbox to its outgoing links and lets departing vehicles in. A link's head is only
/// touched by its end node in phase 0, its tail only by its start node in phase 1, so no partition writes what
/// another reads in the same phase: results are bit-identical for any number of workers and partitions.
public final class TrafficDomain: DomainModel {
    public let name = "traffic"
    public let network: RoadNetwork
    public let plans: VehiclePlans
    public let parameters: QueueParameters
    let tickMs: Int64
    let stuckMs: Int64
    let junctionMs: Int64

    // Partitions of nodes (METIS, weighted by the routes' link flows) and the incoming-link CSR.
    let partOfNode: [Int32]
    let partNodes: [[Int32]]
    let inStart: [Int32], inLinks: [Int32]

    // Link constants (changed only between ticks, by timed edits)
    let freeMs: FieldBuffer<Int64>  // free-flow traversal time (ms)
    let storage: FieldBuffer<Int32>
    let capacityNow: FieldBuffer<Double>  // veh/h (the weights of the junction draws)
    var lanesNow: [Double]
    let flowAdd: FieldBuffer<Int64>  // flow accumulator gain per tick (units: 1 vehicle = unit)
    let flowCap: FieldBuffer<Int64>
    /// One vehicle in a link's queue: its earliest exit time (read by the head check without touching vehicle
    /// data), the vehicle, and where it is in `routeSeq` (its next link is the entry after).
    struct Slot {
        var exit: Int64
        var vehicle: Int32
        var cursor: Int32
    }
    let rings: FieldBuffer<UnsafeMutablePointer<Slot>>  // per link, a power-of-two ring that doubles when full
    let qMask: FieldBuffer<Int64>  // ring size − 1
    static let unit: Int64 = 3_600_000

    // Link state
    let nodeWake: FieldBuffer<Int64>  // earliest time a node has anything to do (a head due, a retry)
    let qHead: FieldBuffer<Int64>  // vehicles that left (popped), by the end node in phase 0
    let qTail: FieldBuffer<Int64>  // vehicles that entered (pushed), by the start node in phase 1
    let outSeen: FieldBuffer<Int64>  // qHead as of the previous tick (what the start node sees)
    let admitted: FieldBuffer<Int32>  // moves into the link decided this tick (phase 0, start node)
    let flowAcc: FieldBuffer<Int64>
    let refilled: FieldBuffer<Int64>  // tick index up to which flowAcc has been refilled
    let travelSum: FieldBuffer<Int64>  // Σ link travel times of vehicles that left (ms)
    let stuckMoves: FieldBuffer<Int64>  // vehicles pushed in over storage
    // Travel times by entry-time bin (only when re-routing asks for them)
    let bins: Int, binMs: Int64
    let binCount: FieldBuffer<Int32>?, binTravel: FieldBuffer<Int64>?

    // Vehicle state
    var routeSeq: FieldBuffer<Int32>  // every route's links followed by -1, vehicle after vehicle (re-routes appended)
    var routeSeqStart: [Int32]  // where each vehicle's route starts in routeSeq
    let vEnter: FieldBuffer<Int64>  // entry onto the current link (+ junction delay), ms
    /// The flood response (nil: none) and its state: dry traversal times, closed links, the last link depths.
    let floodResponse: FloodResponse?
    var dryMs: [Int64] = []
    var closed: FieldBuffer<UInt8>
    /// Changes during the run in time order, how many have taken effect, the links they closed; whether links can
    /// close at all (flood response or closures), and how long a vehicle waits for a closed link to open.
    let timedEdits: [TimedLinkEdit]
    var editsApplied = 0
    let editClosed: FieldBuffer<UInt8>
    let mayClose: Bool
    let closureWaitMs: Int64
    var linkDepth: [Double]
    var rerouted: [UInt8]
    var waterDelayMs: Int64 = 0
    var closedLinkMs: Int64 = 0
    var closedCount = 0
    var clockAfterTick: Int64 = 0
    /// The signals' response to power cuts (nil: none) and its state: the signalised nodes, which are dark, the
    /// links' flow gain with their signals working, and junction-time without signals.
    let signalResponse: SignalResponse?
    let signalNodes: [Int32]
    let dark: FieldBuffer<UInt8>  // per node
    let darkMs: Int64
    var litFlowAdd: [Int64] = []
    var darkCount = 0, darkPeak = 0
    var signalDarkMs: [Int64] = []  // per signalised node
    let vStart: FieldBuffer<Int64>  // actual entry onto the network (-1 not yet)
    // the links each vehicle has driven to their end: length (m) and dry free-flow time (ms), summed in order
    let vDriven: FieldBuffer<Double>
    let vDrivenFreeMs: FieldBuffer<Int64>
    let vArrive: FieldBuffer<Int64>  // arrival (-1 not yet)

    // Per-partition work lists (each touched by its own partition only, or serially in exchange/endTick)
    final class Part {
        var outbox: [(vehicle: Int32, link: Int32, cursor: Int32)] = []
        var popped: [Int32] = []  // links whose head moved this tick (to refresh outSeen)
        // end nodes of links that became non-empty, and when their head is due
        var activations: [(node: Int32, at: Int64)] = []
        var active: [Int32] = []  // nodes with a non-empty incoming link
        var pending: [Int32] = []  // due vehicles not yet on their first link, in (depart, id) order
        var departures: [Int32] = []  // all vehicles starting here, sorted by (depart, id)
        var depNext = 0
        var candidates: [Int32] = []
        var weights: [Double] = []
        var arrived = 0
        var cancelled = 0
        /// Σ over the link entries of this partition of (traversal time in the water − dry traversal time), ms.
        var waterDelayMs: Int64 = 0
    }
    let parts: [Part]
    let nodeActive: FieldBuffer<Bool>  // written by the node's partition in phase 0, serially in exchange
    var now: Int64 = 0  // the tick being run (or last run)
    var tickStart: Int64 = 0  // where the engine's step began
    var tickDue = false  // the engine's step contains a tick
    var needsRebuild = false
    var lastSnapEntries: [Int64], lastSnapExits: [Int64], lastSnapTravel: [Int64]
    /// Vehicles on links, arrived, and due but not yet on their first link (after the last tick).
    var stats = (enRoute: 0, arrived: 0, pending: 0)
    /// Results of the re-planning iterations that produced these plans (relative gap, average excess travel
    /// time s, mean travel time s), written with the outputs; set before the run.
    public var iterationResults: [(relativeGap: Double, averageExcess: Double, meanTravelTime: Double)] = []
    /// A distributed run (`TrafficDomain+Ranks.swift`): the ranks, each node's rank, this rank's partitions, the
    /// links whose tail is here and head elsewhere (`cutOut`) and the reverse (`cutIn`), and what of their queue
    /// counters was last sent.
    var ranks: (any RankGroup)?
    var rankOfNode: [Int32] = []
    var ownedParts = 0..<0
    var cutOut: [Int32] = [], cutIn: [Int32] = []
    var sentTail: [Int64] = [], sentHead: [Int64] = []

    public init(
        network: RoadNetwork, plans: VehiclePlans, parameters: QueueParameters = QueueParameters(), partitions: Int
    ) {
        self.network = network
        self.plans = plans
        self.parameters = parameters
        tickMs = max(1, parameters.tick.milliseconds)
        stuckMs = parameters.stuckTime.milliseconds
        junctionMs = max(0, parameters.junctionDelay.milliseconds)
        let n = network.nodeCount
        let m = network.linkCount
        // incoming CSR
        var ist = [Int32](repeating: 0, count: n + 1)
        for t in network.to { ist[Int(t) + 1] += 1 }
        for v in 0..<n { ist[v + 1] += ist[v] }
        var fill = ist
        var il = [Int32](repeating: 0, count: m)
        for a in 0..<m {
            let t = Int(network.to[a])
            il[Int(fill[t])] = Int32(a)
            fill[t] += 1
        }
        inStart = ist
        inLinks = il
        // partitions
        let pc = max(1, min(partitions, max(n, 1)))
        // METIS refuses only a malformed graph; the coordinate bisection then stands in (results never depend on
        // the partitioning, only the balance and the vehicles crossing between partitions do)
        partOfNode =
            (try? GraphPartition.metis(
                network: network, linkFlow: GraphPartition.linkFlow(plans: plans, links: m), parts: pc))
            ?? Self.bisect(x: network.nodeX, y: network.nodeY, parts: pc)
        var pn = [[Int32]](repeating: [], count: pc)
        for v in 0..<n { pn[Int(partOfNode[v])].append(Int32(v)) }
        partNodes = pn
        parts = (0..<pc).map { _ in Part() }
        nodeActive = FieldBuffer(count: n, repeating: false)
        // link constants
        var ff = [Int64](repeating: 0, count: m)
        var st = [Int32](repeating: 1, count: m)
        var add = [Int64](repeating: 0, count: m)
        var cap = add
        var qm = [Int64](repeating: 0, count: m)
        for a in 0..<m {
            let len = network.length[a]
            let v = network.freeSpeed[a]
            let t = v > 0 ? len / v : network.freeFlowTime[a]
            ff[a] = Int64((t * 1000).rounded(.up))
            let s = Self.storage(length: len, lanes: network.lanes[a], parameters)
            st[a] = s
            add[a] = Self.flowGain(capacity: network.capacity[a], parameters, tickMs: tickMs)
            cap[a] = max(add[a], Self.unit)
            var ring: Int64 = 4
            while ring < Int64(s) + 2 { ring <<= 1 }
            qm[a] = ring - 1
        }
        freeMs = FieldBuffer(ff)
        storage = FieldBuffer(st)
        flowAdd = FieldBuffer(add)
        flowCap = FieldBuffer(cap)
        qMask = FieldBuffer(qm)
        let r = FieldBuffer<UnsafeMutablePointer<Slot>>(count: m, repeating: UnsafeMutablePointer<Slot>(bitPattern: 8)!)
        for a in 0..<m { r[a] = UnsafeMutablePointer<Slot>.allocate(capacity: Int(qm[a] + 1)) }
        rings = r
        nodeWake = FieldBuffer(count: n, repeating: Int64.max)
        qHead = FieldBuffer(count: m, repeating: 0)
        qTail = FieldBuffer(count: m, repeating: 0)
        outSeen = FieldBuffer(count: m, repeating: 0)
        admitted = FieldBuffer(count: m, repeating: 0)
        flowAcc = FieldBuffer(cap)  // links start with a full accumulator (MATSim does the same)
        refilled = FieldBuffer(count: m, repeating: 0)
        travelSum = FieldBuffer(count: m, repeating: 0)
        stuckMoves = FieldBuffer(count: m, repeating: 0)
        if let b = parameters.profileBin, b.milliseconds > 0 {
            binMs = b.milliseconds
            bins = max(1, Int((parameters.profileHorizon.milliseconds + binMs - 1) / binMs))
            binCount = FieldBuffer(count: m * bins, repeating: 0)
            binTravel = FieldBuffer(count: m * bins, repeating: 0)
        } else {
            binMs = 0
            bins = 0
            binCount = nil
            binTravel = nil
        }
        let nv = plans.count
        vStart = FieldBuffer(count: nv, repeating: -1)
        var seq: [Int32] = []
        var seqStart: [Int32] = []
        seq.reserveCapacity(plans.routeLinks.count + nv)
        for h in 0..<nv {
            seqStart.append(Int32(seq.count))
            seq.append(contentsOf: plans.route(h))
            seq.append(-1)
        }
        routeSeq = FieldBuffer(seq)
        routeSeqStart = seqStart
        vArrive = FieldBuffer(count: nv, repeating: -1)
        vEnter = FieldBuffer(count: nv, repeating: 0)
        vDriven = FieldBuffer(count: nv, repeating: 0)
        vDrivenFreeMs = FieldBuffer(count: nv, repeating: 0)
        floodResponse = parameters.flood
        timedEdits = parameters.timedEdits.enumerated().sorted {
            ($0.element.at, $0.offset) < ($1.element.at, $1.offset)
        }
        .map(\.element)
        mayClose = parameters.flood != nil || timedEdits.contains { $0.change == .close }
        closureWaitMs = (parameters.flood?.maxWait ?? parameters.closureWait).milliseconds
        editClosed = FieldBuffer(count: m, repeating: 0)
        capacityNow = FieldBuffer(network.capacity)
        lanesNow = network.lanes
        signalNodes =
            network.nodeSignal.isEmpty || parameters.signals == nil
            ? [] : (0..<n).filter { network.nodeSignal[$0] }.map(Int32.init)
        signalResponse = signalNodes.isEmpty ? nil : parameters.signals
        dark = FieldBuffer(count: n, repeating: 0)
        darkMs = max(0, signalResponse?.darkDelay.milliseconds ?? 0)
        signalDarkMs = [Int64](repeating: 0, count: signalResponse == nil ? 0 : signalNodes.count)
        litFlowAdd = add
        dryMs = ff
        closed = FieldBuffer(count: m, repeating: 0)
        linkDepth = [Double](repeating: 0, count: parameters.flood == nil ? 0 : m)
        rerouted = [UInt8](repeating: 0, count: mayClose ? nv : 0)
        lastSnapEntries = [Int64](repeating: 0, count: m)
        lastSnapExits = lastSnapEntries
        lastSnapTravel = lastSnapEntries
        // departures per partition of the first link's start node, in (depart, id) order
        let order = (0..<nv).sorted { (plans.depart[$0], $0) < (plans.depart[$1], $1) }
        for i in order where plans.routeStart[i + 1] > plans.routeStart[i] {
            let first = Int(plans.routeLinks[Int(plans.routeStart[i])])
            parts[Int(partOfNode[Int(network.from[first])])].departures.append(Int32(i))
        }
    }

    /// Recursive coordinate bisection: split the nodes at the median of the wider extent, in proportion to the
    /// partitions each side gets. Ties break by node index, so the partition is deterministic.
    static func bisect(x: [Double], y: [Double], parts: Int) -> [Int32] {
        var out = [Int32](repeating: 0, count: x.count)
        func go(_ nodes: [Int], _ first: Int, _ count: Int) {
            if count <= 1 || nodes.count <= 1 {
                for v in nodes { out[v] = Int32(first) }
                return
            }
            let xs = nodes.map { x[$0] }
            let ys = nodes.map { y[$0] }
            let wide = (xs.max()! - xs.min()!) >= (ys.max()! - ys.min()!)
            let sorted = nodes.sorted { wide ? (x[$0], $0) < (x[$1], $1) : (y[$0], $0) < (y[$1], $1) }
            let left = count / 2
            let cut = sorted.count * left / count
            go(Array(sorted[..<cut]), first, left)
            go(Array(sorted[cut...]), first + left, count - left)
        }
        go(Array(0..<x.count), 0, parts)
        return out
    }

    deinit { for a in 0..<rings.count where network.linkCount > 0 { rings[a].deallocate() } }

    public var partitionCount: Int { parts.count }
    public var phaseCount: Int { 2 }

    // MARK: step loop contract

    /// Vehicles move at the ticks of a fixed grid. An engine step [t, t + dt) runs the last grid tick it contains
    /// (if any), so other domains' steps need not land on the grid: a step proposed here contains at most one tick
    /// that matters — the next one while anything is on the network or waiting, else the tick of the next
    /// departure (the idle ticks before it are no-ops). Run alone, every step is one tick, on the grid.
    public func proposeStep(at t: SimTime, limit: SimDuration) -> SimDuration {
        let ms = t.milliseconds
        if needsRebuild {
            now = ms
            rebuildWorkLists()
            needsRebuild = false
        }
        let firstTick = (ms + tickMs - 1) / tickMs * tickMs  // the first grid tick at or after t
        var step = firstTick + tickMs - ms
        if stats.enRoute == 0 && stats.pending == 0 {
            var next = Int64.max
            for p in ranks == nil ? 0..<parts.count : ownedParts where parts[p].depNext < parts[p].departures.count {
                next = min(next, plans.depart[Int(parts[p].departures[parts[p].depNext])])
            }
            if ranks != nil { next = earliestOverRanks(next) }
            if next == Int64.max {
                step = limit.milliseconds
            } else {
                let due = max(firstTick, (next + tickMs - 1) / tickMs * tickMs)  // first tick at or after it
                step = due + tickMs - ms
            }
        }
        return SimDuration(milliseconds: max(1, min(step, limit.milliseconds)))
    }

    public func beginTick(at t: SimTime, step: SimDuration) {
        tickStart = t.milliseconds
        let last = (tickStart + step.milliseconds - 1) / tickMs * tickMs  // the last grid tick in [t, t + step)
        tickDue = last >= tickStart
        guard tickDue else { return }
        now = last
        if editsApplied < timedEdits.count && timedEdits[editsApplied].at.milliseconds <= now { applyDueEdits() }
        if mayClose { rerouteDepartures(at: now) }
    }

    public func step(phase: Int, partition: Int) {
        guard tickDue else { return }
        if phase == 0 { junctions(parts[partition]) } else { links(parts[partition], partition) }
    }

    public func exchange(phase: Int) {
        guard phase == 1 else {
            // over ranks: the heads that moved on links whose tail is on another rank
            if ranks != nil && tickDue { sendHeads() }
            return
        }
        // Wake the end nodes of links that became non-empty (serial, so the active lists are consistent); over
        // ranks, a node of another rank is woken there, by the vehicles sent to it.
        let me = Int32(ranks?.rank ?? 0)
        for p in parts {
            for (w, at) in p.activations where ranks == nil || rankOfNode[Int(w)] == me { activate(w, at: at) }
            p.activations.removeAll(keepingCapacity: true)
        }
        if ranks != nil && tickDue { sendTails() }
    }

    @inline(__always) func activate(_ w: Int32, at: Int64) {
        let wi = Int(w)
        if at < nodeWake[wi] { nodeWake[wi] = at }
        if !nodeActive[wi] {
            nodeActive[wi] = true
            parts[Int(partOfNode[wi])].active.append(w)
        }
    }

    public func endTick(at t: SimTime) {
        updateStats()
        // closures and dark junctions count over engine time (the steps between ticks included)
        let dt = t.milliseconds - tickStart
        if mayClose { closedLinkMs += Int64(closedCount) * dt }
        if darkCount > 0 {
            for (k, v) in signalNodes.enumerated() where dark[Int(v)] != 0 { signalDarkMs[k] += dt }
        }
        clockAfterTick = t.milliseconds
    }

    func updateStats() {
        var arrived = 0
        var pending = 0
        var started = 0
        for p in ranks == nil ? 0..<parts.count : ownedParts {
            arrived += parts[p].arrived + parts[p].cancelled
            pending += parts[p].pending.count
            started += parts[p].depNext - parts[p].pending.count
        }
        if ranks != nil { (arrived, pending, started) = sumOverRanks(arrived, pending, started) }
        stats = (enRoute: started - arrived, arrived: arrived, pending: pending)
    }

    // MARK: phase 0: junctions

    @inline(__always) func occupancy(_ a: Int) -> Int64 { qTail[a] - outSeen[a] + Int64(admitted[a]) }

    func junctions(_ part: Part) {
        let T = now
        let tickIndex = UInt64(T / tickMs)
        let rng = Philox4x64(seed: parameters.seed, stream: 0x7261_6666)  // "raff"
        var keep: [Int32] = []
        keep.reserveCapacity(part.active.count)
        for v32 in part.active {
            let v = Int(v32)
            // nothing due here before its wake time: skip (refills are lazy, so skipping changes nothing)
            if nodeWake[v] > T {
                keep.append(v32)
                continue
            }
            let lo = Int(inStart[v])
            let hi = Int(inStart[v + 1])
            // refill the flow accumulators of the node's incoming links and collect those with a vehicle ready
            part.candidates.removeAll(keepingCapacity: true)
            part.weights.removeAll(keepingCapacity: true)
            var anyVehicle = false
            for e in lo..<hi {
                let a = Int(inLinks[e])
                // refill for every tick since the last one (idle links fill up to their cap)
                let since = Int64(tickIndex) - refilled[a]
                if since > 0 {
                    let add = flowAdd[a]
                    let cap = flowCap[a]
                    flowAcc[a] = since >= cap / add + 1 ? cap : min(flowAcc[a] + add * since, cap)
                    refilled[a] = Int64(tickIndex)
                }
                if qTail[a] > qHead[a] {
                    anyVehicle = true
                    if rings[a][Int(qHead[a] & qMask[a])].exit <= T {
                        part.candidates.append(Int32(a))
                        part.weights.append(capacityNow[a])
                    }
                }
            }
            if !anyVehicle {
                nodeActive[v] = false
                nodeWake[v] = Int64.max
                continue
            }
            keep.append(v32)
            // serve the ready links in a capacity-weighted random order
            var k = 0
            while !part.candidates.isEmpty {
                var pick = 0
                if part.candidates.count > 1 {
                    let r = rng.block((tickIndex, UInt64(v), UInt64(k), 0))
                    let u = Philox4x64.unitDouble(r.0) * part.weights.reduce(0, +)
                    var acc = 0.0
                    pick = part.candidates.count - 1
                    for (i, w) in part.weights.enumerated() {
                        acc += w
                        if u < acc {
                            pick = i
                            break
                        }
                    }
                }
                let a = Int(part.candidates.remove(at: pick))
                part.weights.remove(at: pick)
                k += 1
                drain(a, T, part)
            }
            // next wake: the earliest head still on an incoming link; a due head waits for flow capacity (known
            // exactly) or for room downstream (retry next tick)
            var wake = Int64.max
            for e in lo..<hi {
                let a = Int(inLinks[e])
                guard qTail[a] > qHead[a] else { continue }
                let exit = rings[a][Int(qHead[a] & qMask[a])].exit
                if exit > T {
                    wake = min(wake, exit)
                    continue
                }
                let short = Self.unit - flowAcc[a]
                let ticks = short > 0 ? (short + flowAdd[a] - 1) / flowAdd[a] : 1
                wake = min(wake, T + ticks * tickMs)
            }
            nodeWake[v] = wake
        }
        part.active = keep
    }

    /// Moves vehicles off the head of link `a` while they are due, flow capacity lasts and the next link has room.
    @inline(__always) func drain(_ a: Int, _ T: Int64, _ part: Part) {
        let ring = rings[a]
        let mask = qMask[a]
        var moved = false
        while qTail[a] > qHead[a] && flowAcc[a] >= Self.unit {
            let slot = ring[Int(qHead[a] & mask)]
            let exit = slot.exit
            if exit > T { break }
            let h = Int(slot.vehicle)
            let cursor = Int(slot.cursor) + 1
            let n32 = routeSeq[cursor]
            if n32 < 0 {
                // destination reached at the end of this link
                vArrive[h] = T
                part.arrived += 1
            } else {
                let n = Int(n32)
                if closed[n] != 0 {
                    // the next link is under water: wait at the head, or give the trip up after the longest wait
                    guard T - exit >= closureWaitMs else { break }
                    vArrive[h] = Self.cancelledMark
                    part.cancelled += 1
                    qHead[a] += 1
                    moved = true
                    continue
                }
                let occ = occupancy(n)
                let full = occ >= Int64(storage[n])
                // stuck longer: pushed in anyway (MATSim's rule; the ring grows)
                if full && T - exit < stuckMs { break }
                if full { stuckMoves[n] += 1 }
                admitted[n] += 1
                part.outbox.append((Int32(h), n32, Int32(cursor)))
            }
            vDriven[h] += network.length[a]
            vDrivenFreeMs[h] += dryMs[a]
            let entered = vEnter[h]  // the entry (+ junction delay, counted as travel)
            travelSum[a] += T - entered
            if let bc = binCount?.base, let bt = binTravel?.base {
                let k = a * bins + min(Int(entered / binMs), bins - 1)
                bc[k] += 1
                bt[k] += T - entered
            }
            qHead[a] += 1
            flowAcc[a] -= Self.unit
            moved = true
        }
        if moved { part.popped.append(Int32(a)) }
    }

    // MARK: phase 1: links

    func links(_ part: Part, _ index: Int) {
        let T = now
        for (h32, n32, c32) in part.outbox {
            let dm = dark[Int(network.from[Int(n32)])] != 0 ? darkMs : 0
            enter(Int(h32), link: Int(n32), cursor: c32, at: T, part, extra: junctionMs + dm)
        }
        for (_, n32, _) in part.outbox { admitted[Int(n32)] = 0 }
        part.outbox.removeAll(keepingCapacity: true)
        for a in part.popped { outSeen[Int(a)] = qHead[Int(a)] }
        part.popped.removeAll(keepingCapacity: true)
        // departures due by this tick join the pending list; pending vehicles enter while their first link has room
        while part.depNext < part.departures.count, plans.depart[Int(part.departures[part.depNext])] <= T {
            part.pending.append(part.departures[part.depNext])
            part.depNext += 1
        }
        if !part.pending.isEmpty {
            var still: [Int32] = []
            for h32 in part.pending {
                let h = Int(h32)
                let a = Int(plans.routeLinks[Int(plans.routeStart[h])])
                if closed[a] != 0 {
                    // the first link is under water: wait, or give the trip up after the longest wait
                    if T - plans.depart[h] >= closureWaitMs {
                        vArrive[h] = Self.cancelledMark
                        part.cancelled += 1
                    } else {
                        still.append(h32)
                    }
                    continue
                }
                if qTail[a] - qHead[a] < Int64(storage[a]) {  // qHead is settled in this phase
                    vStart[h] = T
                    enter(h, link: a, cursor: routeSeqStart[h], at: T, part)
                } else {
                    still.append(h32)
                }
            }
            part.pending = still
        }
    }

    @inline(__always) func enter(_ h: Int, link a: Int, cursor: Int32, at T: Int64, _ part: Part, extra: Int64 = 0) {
        let exit = T + freeMs[a] + extra
        vEnter[h] = T + extra
        if floodResponse != nil { part.waterDelayMs += freeMs[a] - dryMs[a] }
        if qTail[a] == qHead[a] { part.activations.append((network.to[a], exit)) }
        if qTail[a] - qHead[a] > qMask[a] { grow(a) }
        rings[a][Int(qTail[a] & qMask[a])] = Slot(exit: exit, vehicle: Int32(h), cursor: cursor)
        qTail[a] += 1
    }

    /// Doubles link a's ring, keeping the queue order (called by the link's start node in the links phase; the
    /// end node reads the ring only in the junctions phase).
    func grow(_ a: Int) {
        let old = rings[a]
        let oldMask = qMask[a]
        let size = (oldMask + 1) * 2
        let new = UnsafeMutablePointer<Slot>.allocate(capacity: Int(size))
        var i = qHead[a]
        while i < qTail[a] {
            new[Int(i & (size - 1))] = old[Int(i & oldMask)]
            i += 1
        }
        old.deallocate()
        rings[a] = new
        qMask[a] = size - 1
    }

    /// Makes link a's ring large enough for its queue (`qHead ..< qTail`) before it is filled afresh (its old
    /// contents are dropped).
    func fitRing(_ a: Int) {
        var size = qMask[a] + 1
        while size < qTail[a] - qHead[a] + 1 { size *= 2 }
        if size != qMask[a] + 1 {
            rings[a].deallocate()
            rings[a] = UnsafeMutablePointer<Slot>.allocate(capacity: Int(size))
            qMask[a] = size - 1
        }
    }

    /// After a restore: the per-partition lists from the partition-independent state.
    func rebuildWorkLists() {
        for p in parts {
            p.active.removeAll()
            p.pending.removeAll()
            p.depNext = 0
            p.arrived = 0
            p.cancelled = 0
        }
        nodeActive.fill(false)
        nodeWake.fill(Int64.max)
        for a in 0..<network.linkCount where qTail[a] > qHead[a] {
            let w = Int(network.to[a])
            if !nodeActive[w] {
                nodeActive[w] = true
                parts[Int(partOfNode[w])].active.append(Int32(w))
            }
            // wake at the first tick after the checkpoint; processing then recomputes the exact wake time
            nodeWake[w] = min(nodeWake[w], now)
        }
        for p in parts {
            p.active.sort()
            for h32 in p.departures {
                let h = Int(h32)
                if vStart[h] >= 0 || plans.depart[h] < now && vStart[h] < 0 {
                    // started already, or due and waiting: counted as taken from the departure list
                    if vStart[h] < 0 && vArrive[h] != Self.cancelledMark { p.pending.append(h32) }
                    p.depNext += 1
                } else {
                    break
                }
            }
        }
        for h in 0..<plans.count where vArrive[h] >= 0 { parts[0].arrived += 1 }
        for h in 0..<plans.count where vArrive[h] == Self.cancelledMark { parts[0].cancelled += 1 }
        if ranks != nil { resetSent() }
        updateStats()
    }
}

// MARK: outputs and checkpoints

extension TrafficDomain {
    public var outputSchema: OutputSchema {
        let m = network.linkCount
        let nv = plans.count
        return OutputSchema(
            group: "traffic",
            coordinates: [
                Coordinate(
                    "link", units: "1", longName: "link index (row of network/links.csv)",
                    values: (0..<m).map(Double.init), labels: network.linkIDs),
                Coordinate(
                    "vehicle", units: "1", longName: "vehicle (trip) index", values: (0..<nv).map(Double.init),
                    labels: plans.ids),
                Coordinate(
                    "link_node", units: "1", longName: "point of a link shape (links in order, each from its start)",
                    values: (0..<shapePointCount).map(Double.init)),
            ] + signalCoordinates
                + (iterationResults.isEmpty
                    ? []
                    : [
                        Coordinate(
                            "iteration", units: "1", longName: "re-planning iteration",
                            values: (1...iterationResults.count).map(Double.init))
                    ]),
            snapshots: [
                Variable(
                    "entries", units: "1", longName: "vehicles entering the link in the output interval", dims: ["link"]
                ),
                Variable(
                    "exits", units: "1", longName: "vehicles leaving the link in the output interval", dims: ["link"]),
                Variable(
                    "mean_travel_time", units: "s",
                    longName: "mean link travel time of the vehicles that left in the interval", dims: ["link"],
                    fillValue: .nan),
                Variable("vehicles", units: "1", longName: "vehicles on the link at the output time", dims: ["link"]),
                Variable(
                    "queue", units: "1",
                    longName: "vehicles on the link that could have left (queued) at the output time", dims: ["link"]),
                Variable(
                    "density", units: "km-1", longName: "vehicles per km and lane at the output time", dims: ["link"]),
            ] + floodSnapshotVariables,
            finals: [
                Variable("depart", units: "s", longName: "planned departure since start", dims: ["vehicle"]),
                Variable(
                    "start", units: "s", longName: "entry onto the first link (NaN: never)", dims: ["vehicle"],
                    fillValue: .nan),
                Variable(
                    "arrival", units: "s", longName: "arrival (NaN: not arrived by the end)", dims: ["vehicle"],
                    fillValue: .nan),
                Variable("travel_time", units: "s", longName: "arrival - start", dims: ["vehicle"], fillValue: .nan),
                Variable(
                    "distance", units: "m", longName: "length of the route driven (not arrived: of the planned route)",
                    dims: ["vehicle"]),
                Variable(
                    "delay", units: "s", longName: "travel time - free-flow travel time, plus departure delay",
                    dims: ["vehicle"], fillValue: .nan),
                Variable(
                    "total_entries", units: "1", longName: "vehicles that entered the link during the run",
                    dims: ["link"]),
                Variable(
                    "link_x_from", units: "m", longName: "easting of the link's start node (model CRS)", dims: ["link"],
                    type: .float64),
                Variable(
                    "link_y_from", units: "m", longName: "northing of the link's start node", dims: ["link"],
                    type: .float64),
                Variable(
                    "link_x_to", units: "m", longName: "easting of the link's end node", dims: ["link"],
                    type: .float64),
                Variable(
                    "link_y_to", units: "m", longName: "northing of the link's end node", dims: ["link"], type: .float64
                ),
                Variable("link_length", units: "m", longName: "link length", dims: ["link"], type: .float64),
                Variable("link_lanes", units: "1", longName: "lanes", dims: ["link"], type: .float64),
                Variable(
                    "link_capacity", units: "h-1", longName: "flow capacity (vehicles per hour)", dims: ["link"],
                    type: .float64),
                Variable(
                    "link_free_flow_time", units: "s", longName: "free-flow travel time", dims: ["link"],
                    type: .float64),
                Variable(
                    "link_node_count", units: "1", longName: "points in the link's shape", dims: ["link"],
                    type: .int32),
                Variable(
                    "link_node_x", units: "m", longName: "easting of a link shape point", dims: ["link_node"],
                    type: .float64),
                Variable(
                    "link_node_y", units: "m", longName: "northing of a link shape point", dims: ["link_node"],
                    type: .float64),
            ]
                + (iterationResults.isEmpty
                    ? []
                    : [
                        Variable(
                            "iteration_relative_gap", units: "1",
                            longName:
                                "relative gap sum(experienced - best) / sum(experienced) of each re-planning iteration",
                            dims: ["iteration"], type: .float64),
                        Variable(
                            "iteration_average_excess", units: "s",
                            longName: "average excess travel time of each re-planning iteration", dims: ["iteration"],
                            type: .float64),
                        Variable(
                            "iteration_mean_travel_time", units: "s",
                            longName: "mean trip travel time in each re-planning iteration", dims: ["iteration"],
                            type: .float64),
                    ]) + signalFinalVariables,
            diagnostics: [
                Variable(
                    "en_route", units: "1", longName: "vehicles on links after the tick", dims: ["step"], type: .float64
                ),
                Variable("arrived", units: "1", longName: "vehicles arrived so far", dims: ["step"], type: .float64),
                Variable(
                    "waiting", units: "1", longName: "due vehicles waiting for room on their first link",
                    dims: ["step"], type: .float64),
            ] + signalDiagnosticVariables,
            attributes: [
                "model": "queue (MATSim QSim-like mesoscopic)",
                "trip_mode": "car (every vehicle is one car trip; vehicle_id is <agent>_<leg>)",
                "tick_s": "\(Double(tickMs) / 1000)",
                "jam_spacing_m": "\(parameters.jamSpacing)", "stuck_time_s": "\(parameters.stuckTime.seconds)",
            ],
            geometries: [
                Geometry("link", kind: .line, x: "link_node_x", y: "link_node_y", nodeCount: "link_node_count")
            ])
    }

    /// Points of all link shapes (two per link without a shape table).
    var shapePointCount: Int { network.shapeStart.isEmpty ? 2 * network.linkCount : network.shapeX.count }

    public func diagnostics() -> [Double] {
        [Double(stats.enRoute), Double(stats.arrived), Double(stats.pending)]
            + (signalResponse == nil ? [] : [Double(darkCount)])
    }

    public func snapshot() -> [ArrayData] {
        let m = network.linkCount
        var ent = [Float](repeating: 0, count: m)
        var ex = ent
        var mtt = ent
        var veh = ent
        var q = ent
        var dens = ent
        for a in 0..<m {
            let e = qTail[a]
            let x = qHead[a]
            let tt = travelSum[a]
            ent[a] = Float(e - lastSnapEntries[a])
            ex[a] = Float(x - lastSnapExits[a])
            mtt[a] =
                x > lastSnapExits[a]
                ? Float(Double(tt - lastSnapTravel[a]) / 1000 / Double(x - lastSnapExits[a])) : .nan
            lastSnapEntries[a] = e
            lastSnapExits[a] = x
            lastSnapTravel[a] = tt
            veh[a] = Float(e - x)
            var queued = 0
            var i = x
            while i < e {
                if rings[a][Int(i & qMask[a])].exit <= now { queued += 1 } else { break }
                i += 1
            }
            q[a] = Float(queued)
            dens[a] = Float(Double(e - x) / (network.length[a] / 1000) / max(network.lanes[a], 1))
        }
        return [.float32(ent), .float32(ex), .float32(mtt), .float32(veh), .float32(q), .float32(dens)]
            + floodSnapshots
    }

    /// The length of vehicle h's current route (re-routes before its start included).
    func routeLength(_ h: Int) -> Double {
        var d = 0.0
        var c = Int(routeSeqStart[h])
        while routeSeq[c] >= 0 {
            d += network.length[Int(routeSeq[c])]
            c += 1
        }
        return d
    }

    public func finals() -> [ArrayData] {
        let nv = plans.count
        func sec(_ v: Int64) -> Float { v >= 0 ? Float(Double(v) / 1000) : .nan }
        var dep = [Float](repeating: 0, count: nv)
        var st = dep
        var arr = dep
        var tt = dep
        var dist = dep
        var delay = dep
        for h in 0..<nv {
            dep[h] = Float(Double(plans.depart[h]) / 1000)
            st[h] = sec(vStart[h])
            arr[h] = sec(vArrive[h])
            tt[h] = vArrive[h] >= 0 ? Float(Double(vArrive[h] - vStart[h]) / 1000) : .nan
            dist[h] = Float(vArrive[h] >= 0 ? vDriven[h] : routeLength(h))
            delay[h] =
                vArrive[h] >= 0 ? Float(Double(vArrive[h] - plans.depart[h] - vDrivenFreeMs[h]) / 1000) : .nan
        }
        var out: [ArrayData] = [
            .float32(dep), .float32(st), .float32(arr), .float32(tt), .float32(dist), .float32(delay),
            .float32((0..<network.linkCount).map { Float(qTail[$0]) }),
            .float64(network.from.map { network.nodeX[Int($0)] }),
            .float64(network.from.map { network.nodeY[Int($0)] }),
            .float64(network.to.map { network.nodeX[Int($0)] }), .float64(network.to.map { network.nodeY[Int($0)] }),
        ]
        let shapes = network.linkShapes
        out += [
            .float64(network.length), .float64(network.lanes), .float64(network.capacity),
            .float64(network.freeFlowTime),
        ]
        out += [
            .int32((0..<network.linkCount).map { shapes.start[$0 + 1] - shapes.start[$0] }), .float64(shapes.x),
            .float64(shapes.y),
        ]
        if !iterationResults.isEmpty {
            out += [
                .float64(iterationResults.map(\.relativeGap)), .float64(iterationResults.map(\.averageExcess)),
                .float64(iterationResults.map(\.meanTravelTime)),
            ]
        }
        return out + signalFinals
    }

    public func kpis() -> [KPI] {
        let nv = plans.count
        var vht = 0.0
        var vkt = 0.0
        var delays: [Double] = []
        var completed = 0
        var onNet = 0
        var notStarted = 0
        for h in 0..<nv {
            if vArrive[h] == Self.cancelledMark {
                continue
            } else if vArrive[h] >= 0 {
                completed += 1
                vht += Double(vArrive[h] - vStart[h]) / 3_600_000
                vkt += vDriven[h] / 1000
                delays.append(Double(vArrive[h] - plans.depart[h] - vDrivenFreeMs[h]) / 1000)
            } else if vStart[h] >= 0 {
                onNet += 1
                vht += Double(now - vStart[h]) / 3_600_000
                vkt += vDriven[h] / 1000  // the links fully driven so far
            } else {
                notStarted += 1
            }
        }
        delays.sort()
        let mean = delays.isEmpty ? 0 : delays.reduce(0, +) / Double(delays.count)
        let p95 =
            delays.isEmpty ? 0 : delays[min(delays.count - 1, Int((0.95 * Double(delays.count)).rounded(.up)) - 1)]
        var stuck: Int64 = 0
        for a in 0..<network.linkCount { stuck += stuckMoves[a] }
        return [
            KPI("vehicle_hours", vht, "h"), KPI("vehicle_km", vkt, "km"),
            KPI("mean_delay", mean, "s"), KPI("p95_delay", p95, "s"),
            KPI("trips_completed", Double(completed), "1"), KPI("trips_en_route_at_end", Double(onNet), "1"),
            KPI("trips_not_started", Double(notStarted), "1"), KPI("stuck_moves", Double(stuck), "1"),
        ]
            + (iterationResults.last.map {
                [
                    KPI("iterations", Double(iterationResults.count + 1), "1"),
                    KPI("last_relative_gap", $0.relativeGap, "1"),
                ]
            } ?? []) + floodKPIs + closureKPIs + signalKPIs
    }

    public func checkpointState() -> [NamedArray] { queueState(links: 0..<network.linkCount) + counterState }

    /// The queue contents of `links`, link by link, head to tail (the ring layout is not part of the state).
    func queueState(links: some Sequence<Int>) -> [NamedArray] {
        var qv: [Int32] = []
        var qe: [Int64] = []
        var qc: [Int32] = []
        for a in links {
            var i = qHead[a]
            while i < qTail[a] {
                let sl = rings[a][Int(i & qMask[a])]
                qv.append(sl.vehicle)
                qe.append(sl.exit)
                qc.append(sl.cursor)
                i += 1
            }
        }
        return [
            NamedArray("queue_vehicle", .int32(qv)), NamedArray("queue_exit", .int64(qe)),
            NamedArray("queue_cursor", .int32(qc)),
        ]
    }

    /// Everything of the checkpoint but the queues.
    var counterState: [NamedArray] {
        [
            NamedArray("q_head", .int64(qHead.array)), NamedArray("q_tail", .int64(qTail.array)),
            NamedArray("out_seen", .int64(outSeen.array)), NamedArray("flow_acc", .int64(flowAcc.array)),
            NamedArray("refilled", .int64(refilled.array)),
            NamedArray("travel_sum", .int64(travelSum.array)), NamedArray("stuck_moves", .int64(stuckMoves.array)),
            NamedArray("v_start", .int64(vStart.array)),
            NamedArray("v_arrive", .int64(vArrive.array)),
            NamedArray("snap_entries", .int64(lastSnapEntries)), NamedArray("snap_exits", .int64(lastSnapExits)),
            NamedArray("snap_travel", .int64(lastSnapTravel)), NamedArray("v_enter", .int64(vEnter.array)),
            NamedArray("v_driven", .float64(vDriven.array)),
            NamedArray("v_driven_free_ms", .int64(vDrivenFreeMs.array)),
            // the routes (re-routes appended) and the planning days that made them: a fork from this state runs
            // them without planning again
            NamedArray("route_seq", .int32(routeSeq.array)), NamedArray("route_seq_start", .int32(routeSeqStart)),
            // which vehicles and links the state is of: a resume or fork on another population is refused
            NamedArray(
                "identity",
                .int64([Int64(bitPattern: StableKey.of(plans.ids)), Int64(bitPattern: StableKey.of(network.linkIDs))])),
            NamedArray(
                "iteration_results", shape: [iterationResults.count, 3],
                .float64(iterationResults.flatMap { [$0.relativeGap, $0.averageExcess, $0.meanTravelTime] })),
        ] + closureState + floodState + signalState + profileState
    }

    /// Routes and planning results from a checkpoint (absent from those of earlier versions: the built ones stay).
    func restoreRoutes(from state: [NamedArray]) throws {
        guard let rs = state.first(where: { $0.name == "route_seq" })?.data,
            let rss = state.first(where: { $0.name == "route_seq_start" })?.data
        else { return }
        guard case .int32(let seq) = rs, case .int32(let start) = rss, start.count == plans.count,
            start.allSatisfy({ $0 >= 0 && Int($0) < seq.count })
        else {
            throw RunError(
                "checkpoint traffic routes do not fit the vehicles (\(plans.count))",
                hint: "the checkpoint belongs to another population")
        }
        routeSeq = FieldBuffer(seq)
        routeSeqStart = start
        if case .float64(let r)? = state.first(where: { $0.name == "iteration_results" })?.data, r.count % 3 == 0 {
            iterationResults = stride(from: 0, to: r.count, by: 3).map { (r[$0], r[$0 + 1], r[$0 + 2]) }
        }
    }

    /// The travel-time bins of a planning day (when the run collects them).
    var profileState: [NamedArray] {
        guard let bc = binCount, let bt = binTravel else { return [] }
        return [NamedArray("bin_count", .int32(bc.array)), NamedArray("bin_travel", .int64(bt.array))]
    }

    public func restore(from state: [NamedArray]) throws {
        if case .int64(let id)? = state.first(where: { $0.name == "identity" })?.data, id.count == 2 {
            let mine = [StableKey.of(plans.ids), StableKey.of(network.linkIDs)].map { Int64(bitPattern: $0) }
            if id[0] != mine[0] || id[1] != mine[1] {
                throw RunError(
                    "the checkpoint's traffic state is of other " + (id[0] != mine[0] ? "vehicles" : "links")
                        + " than this job's (the model's tables changed, or another job saved it)",
                    hint: "start the run afresh (or fork from a state of the same model and vehicles)")
            }
        }
        func find(_ name: String, _ count: Int) throws -> ArrayData {
            try state.checkpointArray(
                name, count: count, domain: "traffic", mismatch: "a different network or population")
        }
        func i64(_ f: FieldBuffer<Int64>, _ name: String) throws {
            guard case .int64(let v) = try find(name, f.count) else {
                throw RunError("checkpoint traffic state '\(name)' has the wrong type")
            }
            f.assign(v)
        }
        func i32(_ f: FieldBuffer<Int32>, _ name: String) throws {
            guard case .int32(let v) = try find(name, f.count) else {
                throw RunError("checkpoint traffic state '\(name)' has the wrong type")
            }
            f.assign(v)
        }
        try i64(qHead, "q_head")
        try i64(qTail, "q_tail")
        try i64(outSeen, "out_seen")
        try i64(flowAcc, "flow_acc")
        try i64(refilled, "refilled")
        try i64(travelSum, "travel_sum")
        try i64(stuckMoves, "stuck_moves")
        try i64(vStart, "v_start")
        try i64(vArrive, "v_arrive")
        try i64(vEnter, "v_enter")
        try i64(vDrivenFreeMs, "v_driven_free_ms")
        guard case .float64(let dv) = try find("v_driven", vDriven.count) else {
            throw RunError("checkpoint traffic state 'v_driven' has the wrong type")
        }
        vDriven.assign(dv)
        try restoreRoutes(from: state)
        try restoreClosures(from: state)
        try restoreFlood(from: state)
        try restoreSignals(from: state)
        if let bc = binCount, let bt = binTravel {
            try i32(bc, "bin_count")
            try i64(bt, "bin_travel")
        }
        var total = 0
        for a in 0..<network.linkCount {
            guard qTail[a] >= qHead[a] else {
                throw RunError(
                    "checkpoint traffic queues are inconsistent (link \(network.linkIDs[a]))",
                    hint: "the checkpoint is damaged; start afresh")
            }
            total += Int(qTail[a] - qHead[a])
        }
        guard case .int32(let qv) = try find("queue_vehicle", total),
            case .int64(let qe) = try find("queue_exit", total),
            case .int32(let qc) = try find("queue_cursor", total)
        else { throw RunError("checkpoint traffic queues have the wrong type") }
        var k = 0
        for a in 0..<network.linkCount {
            fitRing(a)
            var i = qHead[a]
            while i < qTail[a] {
                guard qv[k] >= 0 && Int(qv[k]) < plans.count else {
                    throw RunError(
                        "checkpoint traffic queue holds an unknown vehicle",
                        hint: "the checkpoint belongs to another population; start afresh")
                }
                rings[a][Int(i & qMask[a])] = Slot(exit: qe[k], vehicle: qv[k], cursor: qc[k])
                k += 1
                i += 1
            }
        }
        let m = network.linkCount
        guard case .int64(let se) = try find("snap_entries", m), case .int64(let sx) = try find("snap_exits", m),
            case .int64(let st) = try find("snap_travel", m)
        else { throw RunError("checkpoint traffic snapshot counters have the wrong type") }
        lastSnapEntries = se
        lastSnapExits = sx
        lastSnapTravel = st
        admitted.fill(0)
        needsRebuild = true
    }
}

// MARK: inspection (tests, coupling)

extension TrafficDomain {
    /// Cumulative vehicles that entered and left each link.
    public var linkEntries: [Int64] { qTail.array }
    public var linkExits: [Int64] { qHead.array }
    /// Per vehicle: entry onto the network and arrival (ms; -1 not yet).
    public var starts: [Int64] { vStart.array }
    public var arrivals: [Int64] { vArrive.array }

    // coupling: each vehicle's arrival (ms since start, −1 not yet), for the energy domain's drivers
    public var provides: [ExchangeField] {
        [ExchangeField("traffic.vehicle_arrival", units: "ms", site: .entities(ids: plans.ids))]
    }

    public func read(_ field: String, at indices: [Int32], into values: inout [Double]) {
        guard field == "traffic.vehicle_arrival" else { return }
        for (k, i) in indices.enumerated() { values[k] = Double(vArrive[Int(i)]) }
        // over ranks an arrival is known where it happened; arrivals only grow from −1
        if let ranks { values.withUnsafeMutableBufferPointer { ranks.allReduceMax($0) } }
    }

    /// The water on the links (flood → traffic) and the supply at the signals (energy → traffic).
    public var requires: [ExchangeField] { floodRequirement + signalRequirement }

    public func receive(_ field: String, _ values: [Double]) {
        switch field {
        case "flood.water_depth": receiveDepths(values)
        case "energy.supply": receiveSupply(values)
        default: break
        }
    }
    /// Storage capacity of each link (vehicles).
    public var storageCapacity: [Int32] { storage.array }
    public var enRoute: Int { stats.enRoute }
}

// MARK: re-routing support

extension TrafficDomain {
    /// Mean travel time per link and entry-time bin of this run (free-flow where nobody entered); nil unless
    /// `QueueParameters.profileBin` was set.
    public func travelTimeProfile() -> TravelTimeProfile? {
        guard let bc = binCount, let bt = binTravel else { return nil }
        let m = network.linkCount
        var s = [Double](repeating: 0, count: m * bins)
        for a in 0..<m {
            let ff = Double(freeMs[a]) / 1000
            for b in 0..<bins {
                let k = a * bins + b
                s[k] = bc[k] > 0 ? max(ff, Double(bt[k]) / 1000 / Double(bc[k])) : ff
            }
        }
        return TravelTimeProfile(binMs: binMs, bins: bins, seconds: s)
    }

    /// Free-flow traversal time of link a in the model (ms, rounded up as the model does).
    public func freeFlowMilliseconds(_ a: Int) -> Int64 { freeMs[a] }
}
