/// A 4-ary min-heap of (key, item) with decrease-key, its storage reused between searches. `pos[item]` is the
/// item's place in the heap, -1 if never pushed since `reset`, -2 once popped; `touched` lists the items pushed.
struct QuadHeap {
    var key: [Double] = [], item: [Int32] = [], pos: [Int32] = []
    var touched: [Int32] = []
    var size = 0

    mutating func reset(universe n: Int) {
        if pos.count < n {
            pos = [Int32](repeating: -1, count: n)
            key = [Double](repeating: 0, count: n + 1)
            item = [Int32](repeating: 0, count: n + 1)
        }
        for t in touched { pos[Int(t)] = -1 }
        touched.removeAll(keepingCapacity: true)
        size = 0
    }
    @inline(__always) func popped(_ x: Int) -> Bool { pos[x] == -2 }
    @inline(__always) mutating func place(_ i: Int, _ k: Double, _ x: Int32) {
        key[i] = k
        item[i] = x
        pos[Int(x)] = Int32(i)
    }
    mutating func up(_ i0: Int, _ k: Double, _ x: Int32) {
        var i = i0
        while i > 0 {
            let p = (i - 1) >> 2
            if key[p] <= k { break }
            place(i, key[p], item[p])
            i = p
        }
        place(i, k, x)
    }
    /// Inserts x with key k, or lowers its key to k (k must be lower than its current key).
    mutating func pushOrDecrease(_ x: Int32, _ k: Double) {
        let p = pos[Int(x)]
        if p == -1 {
            touched.append(x)
            size += 1
            up(size - 1, k, x)
        } else {
            up(Int(p), k, x)
        }
    }
    mutating func pop() -> (item: Int32, key: Double)? {
        guard size > 0 else { return nil }
        let top = (item[0], key[0])
        size -= 1
        if size > 0 {
            let k = key[size]
            let x = item[size]
            var i = 0
            while true {
                let c0 = 4 * i + 1
                if c0 >= size { break }
                var c = c0
                var ck = key[c0]
                var j = c0 + 1
                while j < min(c0 + 4, size) {
                    if key[j] < ck {
                        c = j
                        ck = key[j]
                    }
                    j += 1
                }
                if ck >= k { break }
                place(i, ck, item[c])
                i = c
            }
            place(i, k, x)
        }
        pos[Int(top.0)] = -2
        return top
    }
}

/// Shortest paths that respect turn restrictions: labels sit on links (the time of reaching a link's end), so
/// "no left turn from a into b" is a missing transition a → b (link-based Dijkstra; the line graph of the road
/// network). A node's label is that of the first of its incoming links to be settled, and paths follow the links'
/// own predecessors.
extension ShortestPathTree {
    mutating func resetLinks(_ m: Int) {
        if linkDist.count < m {
            linkDist = [Double](repeating: .infinity, count: m)
            linkPred = [Int32](repeating: -1, count: m)
        }
        for l in linkHeap.touched {
            linkDist[Int(l)] = .infinity
            linkPred[Int(l)] = -1
        }
        linkHeap.reset(universe: m)
    }

    /// Relaxes the links out of link l's end node at label dl (turn restrictions and zones honoured).
    @inline(__always) mutating func expandLink(
        _ net: RoadNetwork, _ l: Int, _ dl: Double, origin: Int, zones: Int, cost: (Int, Double) -> Double
    ) {
        let v = Int(net.to[l])
        if v < zones && v != origin { return }
        for e in Int(net.outStart[v])..<Int(net.outStart[v + 1]) {
            let b = Int(net.outLinks[e])
            if net.isBanned(l, b) || linkHeap.popped(b) { continue }
            let nd = dl + cost(b, dl)
            if nd < linkDist[b] {
                linkDist[b] = nd
                linkPred[b] = Int32(l)
                linkHeap.pushOrDecrease(Int32(b), nd)
            }
        }
    }

    /// Link-to-link routes honouring every turn, the first (out of `from`) and the last (into each target) too:
    /// for each target link, the links strictly between `from` and it (nil if unreachable).
    public mutating func routes(
        _ net: RoadNetwork, fromLink from: Int32, to targets: [Int32], cost: UnsafeBufferPointer<Double>
    ) -> [[Int32]?] {
        resetLinks(net.linkCount)
        var want = Set(targets)
        want.remove(from)
        linkDist[Int(from)] = 0
        linkHeap.pushOrDecrease(from, 0)
        _ = linkHeap.pop()
        expandLink(net, Int(from), 0, origin: -1, zones: net.zonesAreThrough ? 0 : net.zoneCount) { b, _ in cost[b] }
        while !want.isEmpty, let (l, dl) = linkHeap.pop() {
            want.remove(l)
            expandLink(net, Int(l), dl, origin: -1, zones: net.zonesAreThrough ? 0 : net.zoneCount) { b, _ in cost[b] }
        }
        return targets.map { t in
            if t == from { return [] }
            guard linkHeap.popped(Int(t)) else { return nil }
            var r: [Int32] = []
            var l = linkPred[Int(t)]
            while l >= 0 && l != from {
                r.append(l)
                l = linkPred[Int(l)]
            }
            return r.reversed()
        }
    }

    mutating func searchLinks(
        _ net: RoadNetwork, from origin: Int, start: Double, targets: [Int32], cost: (Int, Double) -> Double
    ) {
        linkMode = true
        resetLinks(net.linkCount)
        for v in touched {
            dist[Int(v)] = .infinity
            predLink[Int(v)] = -1
            pos[Int(v)] = -1
        }
        touched.removeAll(keepingCapacity: true)
        var remaining = 0
        for v in targets where !isTarget[Int(v)] && Int(v) != origin {
            isTarget[Int(v)] = true
            remaining += 1
        }
        let zones = net.zonesAreThrough ? 0 : net.zoneCount
        dist[origin] = start
        touched.append(Int32(origin))
        for e in Int(net.outStart[origin])..<Int(net.outStart[origin + 1]) {
            let b = Int(net.outLinks[e])
            let nd = start + cost(b, start)
            if nd < linkDist[b] {
                linkDist[b] = nd
                linkPred[b] = -1
                linkHeap.pushOrDecrease(Int32(b), nd)
            }
        }
        while let (l32, dl) = linkHeap.pop() {
            let l = Int(l32)
            let v = Int(net.to[l])
            if dist[v] == .infinity {
                dist[v] = dl
                predLink[v] = l32
                touched.append(Int32(v))
                if remaining > 0 && isTarget[v] {
                    isTarget[v] = false
                    remaining -= 1
                    if remaining == 0 { break }
                }
            }
            expandLink(net, l, dl, origin: origin, zones: zones, cost: cost)
        }
        if remaining > 0 { for v in targets { isTarget[Int(v)] = false } }
    }

    /// Node-based label setting with a label-dependent link cost (the time-dependent search without turn
    /// restrictions); stops when `target` is settled.
    mutating func searchNodes(
        _ net: RoadNetwork, from origin: Int, start: Double, target: Int, cost: (Int, Double) -> Double
    ) {
        linkMode = false
        for v in touched {
            dist[Int(v)] = .infinity
            predLink[Int(v)] = -1
            pos[Int(v)] = -1
        }
        touched.removeAll(keepingCapacity: true)
        nodeHeap.reset(universe: net.nodeCount)
        let zones = net.zonesAreThrough ? 0 : net.zoneCount
        dist[origin] = start
        touched.append(Int32(origin))
        nodeHeap.pushOrDecrease(Int32(origin), start)
        while let (u32, du) = nodeHeap.pop() {
            let u = Int(u32)
            if u == target { break }
            if u < zones && u != origin { continue }
            for e in Int(net.outStart[u])..<Int(net.outStart[u + 1]) {
                let a = Int(net.outLinks[e])
                let v = Int(net.to[a])
                if nodeHeap.popped(v) { continue }
                let nd = du + cost(a, du)
                if nd < dist[v] {
                    if dist[v] == .infinity { touched.append(Int32(v)) }
                    dist[v] = nd
                    predLink[v] = Int32(a)
                    nodeHeap.pushOrDecrease(Int32(v), nd)
                }
            }
        }
    }
}

extension ShortestPathTree {
    /// Fastest routes on static link costs from link `from` to each target link: `[from] + between + [target]`
    /// (`[from]` when the target is `from`), nil if unreachable. Turn restrictions are honoured at every turn,
    /// the first and the last included (link-based search); without any, the faster node-based search is used.
    public mutating func linkRoutes(
        _ net: RoadNetwork, from: Int32, to targets: [Int32], cost: UnsafeBufferPointer<Double>
    ) -> [[Int32]?] {
        if net.hasTurnRestrictions {
            let between = routes(net, fromLink: from, to: targets, cost: cost)
            return zip(targets, between).map { t, b in t == from ? [from] : b.map { [from] + $0 + [t] } }
        }
        let start = Int(net.to[Int(from)])
        let nodes = targets.map { net.from[Int($0)] }
        nodes.withUnsafeBufferPointer { search(net, from: start, cost: cost, targets: $0) }
        var mid: [Int32] = []
        return targets.map { t in
            if t == from { return [from] }
            let end = Int(net.from[Int(t)])
            guard end == start || dist[end].isFinite else { return nil }
            path(to: end, net, into: &mid)
            return [from] + mid + [t]
        }
    }
}
