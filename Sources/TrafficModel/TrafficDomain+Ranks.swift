import SimCore

/// The queue model over MPI ranks: each rank steps the METIS partitions it owns, so each node — and with it the
/// head of every link ending there and the tail of every link starting there — belongs to one rank. A vehicle
/// crossing to a link whose end node is on another rank travels as a message; nothing else is shared.
///
/// - After the junctions phase, the head of each cut link that moved is sent to the rank of its start node: it
///   admits departures against the current head, and sees it as the link's `outSeen` in the next tick (the value
///   the threaded run's end node writes in the links phase).
/// - After the links phase, the vehicles pushed onto each cut link go to the rank of its end node, in push order,
///   with their state (entry time, distance and free-flow time driven); that rank appends them to its copy of the
///   link's queue and wakes the end node exactly as the threaded run's `enter` would have.
/// - The counters of the step (`stats`, the next departure) are reduced over ranks every tick.
///
/// `synchronize` makes the whole state current everywhere: counters and per-vehicle times only grow, so an exact
/// maximum over ranks gives the newest copy; flow accumulators and queue contents come from the link's end node.
/// The flood and signal responses (which re-route and rescale vehicles serially) keep the domain replicated.
extension TrafficDomain {
    public func distribute(over ranks: any RankGroup) -> Bool {
        guard ranks.size > 1, parts.count >= ranks.size, floodResponse == nil, signalResponse == nil,
            binCount == nil, timedEdits.isEmpty
        else { return false }
        var rankOfPart = [Int32](repeating: 0, count: parts.count)
        for r in 0..<ranks.size { for p in ranks.owned(parts.count, rank: r) { rankOfPart[p] = Int32(r) } }
        rankOfNode = partOfNode.map { rankOfPart[Int($0)] }
        let me = Int32(ranks.rank)
        for a in 0..<network.linkCount {
            let s = rankOfNode[Int(network.from[a])]
            let e = rankOfNode[Int(network.to[a])]
            if s == e { continue }
            if s == me { cutOut.append(Int32(a)) }
            if e == me { cutIn.append(Int32(a)) }
        }
        ownedParts = ranks.owned(parts.count)
        self.ranks = ranks
        resetSent()
        return true
    }

    /// Nothing of the cut links' queues is pending (at the start and after a restore).
    func resetSent() {
        sentTail = cutOut.map { qTail[Int($0)] }
        sentHead = cutIn.map { qHead[Int($0)] }
    }

    /// Junctions phase done: the new heads of cut links ending here, to the ranks of their start nodes.
    func sendHeads() {
        guard let ranks else { return }
        var sends = [[Int64]](repeating: [], count: ranks.size)
        for (k, a32) in cutIn.enumerated() {
            let a = Int(a32)
            guard qHead[a] != sentHead[k] else { continue }
            sentHead[k] = qHead[a]
            sends[Int(rankOfNode[Int(network.from[a])])] += [Int64(a), qHead[a]]
        }
        for msg in ranks.allToAll(sends) {
            for i in stride(from: 0, to: msg.count, by: 2) {
                let a = Int(msg[i])
                qHead[a] = msg[i + 1]
                outSeen[a] = msg[i + 1]
            }
        }
    }

    /// Words per vehicle sent across: link, exit, vehicle, cursor, entry, distance driven (bits), free-flow ms.
    static var crossingWords: Int { 7 }

    /// Links phase done: the vehicles pushed onto cut links starting here, to the ranks of their end nodes.
    func sendTails() {
        guard let ranks else { return }
        var sends = [[Int64]](repeating: [], count: ranks.size)
        for (k, a32) in cutOut.enumerated() {
            let a = Int(a32)
            guard qTail[a] > sentTail[k] else { continue }
            let e = Int(rankOfNode[Int(network.to[a])])
            var i = sentTail[k]
            while i < qTail[a] {
                let sl = rings[a][Int(i & qMask[a])]
                let h = Int(sl.vehicle)
                sends[e] += [
                    Int64(a), sl.exit, Int64(sl.vehicle), Int64(sl.cursor), vEnter[h],
                    Int64(bitPattern: vDriven[h].bitPattern), vDrivenFreeMs[h],
                ]
                i += 1
            }
            sentTail[k] = qTail[a]
        }
        let w = Self.crossingWords
        for msg in ranks.allToAll(sends) {
            for i in stride(from: 0, to: msg.count, by: w) {
                let a = Int(msg[i])
                let h = Int(msg[i + 2])
                vEnter[h] = msg[i + 4]
                vDriven[h] = Double(bitPattern: UInt64(bitPattern: msg[i + 5]))
                vDrivenFreeMs[h] = msg[i + 6]
                if qTail[a] == qHead[a] { activate(network.to[a], at: msg[i + 1]) }
                if qTail[a] - qHead[a] > qMask[a] { grow(a) }
                rings[a][Int(qTail[a] & qMask[a])] = Slot(
                    exit: msg[i + 1], vehicle: Int32(h), cursor: Int32(msg[i + 3]))
                qTail[a] += 1
            }
        }
    }

    /// The step's counters summed over ranks (exact integers, in rank order).
    func sumOverRanks(_ a: Int, _ b: Int, _ c: Int) -> (Int, Int, Int) {
        guard let ranks else { return (a, b, c) }
        var v = [Int64](repeating: 0, count: 3 * ranks.size)
        v[3 * ranks.rank] = Int64(a)
        v[3 * ranks.rank + 1] = Int64(b)
        v[3 * ranks.rank + 2] = Int64(c)
        v.withUnsafeMutableBytes { buf in
            ranks.allGather(
                buf, offsets: (0..<ranks.size).map { $0 * 24 }, counts: Array(repeating: 24, count: ranks.size))
        }
        var out = (0, 0, 0)
        for r in 0..<ranks.size {
            out.0 += Int(v[3 * r])
            out.1 += Int(v[3 * r + 1])
            out.2 += Int(v[3 * r + 2])
        }
        return out
    }

    /// The earliest of every rank's next departure.
    func earliestOverRanks(_ t: Int64) -> Int64 {
        guard let ranks else { return t }
        var v = [t == Int64.max ? Int64.min : -t]
        v.withUnsafeMutableBufferPointer { ranks.allReduceMax($0) }
        return v[0] == Int64.min ? Int64.max : -v[0]
    }

    public func synchronize() {
        guard let ranks else { return }
        func newest(_ f: FieldBuffer<Int64>) {
            ranks.allReduceMax(UnsafeMutableBufferPointer(start: f.base, count: f.count))
        }
        for f in [qTail, qHead, outSeen, travelSum, stuckMoves, refilled, vStart, vArrive, vEnter, vDrivenFreeMs] {
            newest(f)
        }
        ranks.allReduceMax(UnsafeMutableBufferPointer(start: vDriven.base, count: vDriven.count))
        // flow accumulators and queues: the end node's rank holds them
        let me = Int32(ranks.rank)
        for a in 0..<network.linkCount where rankOfNode[Int(network.to[a])] != me { flowAcc[a] = Int64.min }
        newest(flowAcc)
        var mine: [Int64] = []
        for a in 0..<network.linkCount where rankOfNode[Int(network.to[a])] == me {
            var i = qHead[a]
            while i < qTail[a] {
                let sl = rings[a][Int(i & qMask[a])]
                mine += [sl.exit, Int64(sl.vehicle), Int64(sl.cursor)]
                i += 1
            }
        }
        let got = ranks.allToAll((0..<ranks.size).map { $0 == ranks.rank ? [] : mine })
        var at = [Int](repeating: 0, count: ranks.size)
        for a in 0..<network.linkCount {
            let r = Int(rankOfNode[Int(network.to[a])])
            guard r != ranks.rank else { continue }
            fitRing(a)
            var i = qHead[a]
            while i < qTail[a] {
                let k = at[r]
                rings[a][Int(i & qMask[a])] = Slot(
                    exit: got[r][k], vehicle: Int32(got[r][k + 1]), cursor: Int32(got[r][k + 2]))
                at[r] += 3
                i += 1
            }
        }
        resetSent()
    }
}

extension TrafficDomain {
    /// Counters and per-vehicle times that only grow: the newest copy of each is the largest over the parts.
    static var growingArrays: [String] {
        [
            "q_head", "q_tail", "out_seen", "refilled", "travel_sum", "stuck_moves", "v_start", "v_arrive", "v_enter",
            "v_driven_free_ms", "v_driven",
        ]
    }

    /// Everything but the queues as this rank has it, and the queues of the links whose end node is here
    /// (`head_links`, `queue_count` per link, then the slots link after link).
    public func checkpointPart() -> [NamedArray] {
        guard let ranks else { return checkpointState() }
        let me = Int32(ranks.rank)
        let links = (0..<network.linkCount).filter { rankOfNode[Int(network.to[$0])] == me }
        return counterState + queueState(links: links) + [
            NamedArray("head_links", .int32(links.map(Int32.init))),
            NamedArray("queue_count", .int64(links.map { qTail[$0] - qHead[$0] })),
        ]
    }

    /// Growing arrays by their maximum over the parts, flow accumulators and queues from the part of each link's
    /// end node, the rest from the first part; then the usual restore.
    public func restore(fromParts parts: [[NamedArray]]) throws {
        func damaged(_ what: String) -> RunError {
            RunError("checkpoint traffic parts: \(what)", hint: "the checkpoint is damaged; start afresh")
        }
        func find(_ p: [NamedArray], _ name: String) throws -> ArrayData {
            guard let a = p.first(where: { $0.name == name }) else { throw damaged("'\(name)' missing") }
            return a.data
        }
        let m = network.linkCount
        var merged = parts[0].filter {
            !Self.growingArrays.contains($0.name) && !$0.name.hasPrefix("queue_") && $0.name != "flow_acc"
                && $0.name != "head_links"
        }
        for name in Self.growingArrays {
            switch try find(parts[0], name) {
            case .int64(var v):
                for p in parts.dropFirst() {
                    guard case .int64(let w) = try find(p, name), w.count == v.count else { throw damaged(name) }
                    for k in v.indices { v[k] = max(v[k], w[k]) }
                }
                merged.append(NamedArray(name, .int64(v)))
            case .float64(var v):
                for p in parts.dropFirst() {
                    guard case .float64(let w) = try find(p, name), w.count == v.count else { throw damaged(name) }
                    for k in v.indices { v[k] = max(v[k], w[k]) }
                }
                merged.append(NamedArray(name, .float64(v)))
            default: throw damaged("'\(name)' has the wrong type")
            }
        }
        // each link's end node was on exactly one rank: its part has the link's accumulator and queue
        var owner = [Int](repeating: -1, count: m)
        var offset = [Int](repeating: 0, count: m)
        var count = [Int](repeating: 0, count: m)
        var slots: [(v: [Int32], e: [Int64], c: [Int32])] = []
        var flow = [Int64](repeating: 0, count: m)
        for (r, p) in parts.enumerated() {
            guard case .int32(let links) = try find(p, "head_links"), case .int64(let cnt) = try find(p, "queue_count"),
                case .int32(let qv) = try find(p, "queue_vehicle"), case .int64(let qe) = try find(p, "queue_exit"),
                case .int32(let qc) = try find(p, "queue_cursor"), case .int64(let fa) = try find(p, "flow_acc"),
                links.count == cnt.count, fa.count == m, qv.count == qe.count, qv.count == qc.count,
                Int(cnt.reduce(0, +)) == qv.count
            else { throw damaged("rank \(r)'s queues are inconsistent") }
            var o = 0
            for (k, a32) in links.enumerated() {
                let a = Int(a32)
                guard a >= 0, a < m, owner[a] < 0 else { throw damaged("link \(a32) held twice") }
                owner[a] = r
                offset[a] = o
                count[a] = Int(cnt[k])
                flow[a] = fa[a]
                o += Int(cnt[k])
            }
            slots.append((qv, qe, qc))
        }
        guard !owner.contains(-1) else { throw damaged("a link's queue is in no part") }
        var qv: [Int32] = []
        var qe: [Int64] = []
        var qc: [Int32] = []
        for a in 0..<m {
            let s = slots[owner[a]]
            qv += s.v[offset[a]..<(offset[a] + count[a])]
            qe += s.e[offset[a]..<(offset[a] + count[a])]
            qc += s.c[offset[a]..<(offset[a] + count[a])]
        }
        merged += [
            NamedArray("flow_acc", .int64(flow)), NamedArray("queue_vehicle", .int32(qv)),
            NamedArray("queue_exit", .int64(qe)), NamedArray("queue_cursor", .int32(qc)),
        ]
        try restore(from: merged)
    }
}
