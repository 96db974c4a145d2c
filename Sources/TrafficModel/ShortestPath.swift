/// One-to-all shortest paths (Dijkstra 1959) on link costs with a binary heap, reusable across calls (no
/// allocation per search). Ties keep the first-found label and links are scanned in CSR order, so results are
/// reproducible. `search(…, targets:)` stops once the given nodes are settled.
public struct ShortestPathTree {
    public internal(set) var dist: [Double]
    /// The link by which each node is reached (-1: origin or unreached).
    public internal(set) var predLink: [Int32]
    var heapKey: [Double] = [], heapNode: [Int32] = []
    var pos: [Int32]  // position in heap, -1 not in heap, -2 settled
    var touched: [Int32] = []
    var isTarget: [Bool]
    // link labels, for networks with turn restrictions, and the heaps of the searches in ShortestPath+Turns.swift
    var linkDist: [Double] = [], linkPred: [Int32] = []
    var linkHeap = QuadHeap(), nodeHeap = QuadHeap()
    var linkMode = false

    public init(nodeCount: Int) {
        dist = [Double](repeating: .infinity, count: nodeCount)
        predLink = [Int32](repeating: -1, count: nodeCount)
        pos = [Int32](repeating: -1, count: nodeCount)
        isTarget = [Bool](repeating: false, count: nodeCount)
    }

    /// Searches from `origin` with `cost[a]` per link (>= 0); with `targets`, stops when all are settled (the
    /// labels of the targets and of the nodes on their paths are then final).
    public mutating func search(
        _ net: RoadNetwork, from origin: Int, cost: UnsafeBufferPointer<Double>,
        targets: UnsafeBufferPointer<Int32>? = nil
    ) {
        if net.hasTurnRestrictions {
            searchLinks(net, from: origin, start: 0, targets: targets.map { Array($0) } ?? []) { a, _ in cost[a] }
            return
        }
        linkMode = false
        let zones = net.zonesAreThrough ? 0 : net.zoneCount
        let n = dist.count
        if heapKey.count < n + 1 {
            heapKey = [Double](repeating: 0, count: n + 1)
            heapNode = [Int32](repeating: 0, count: n + 1)
        }
        var remaining = 0
        net.outStart.withUnsafeBufferPointer { os in
            net.outLinks.withUnsafeBufferPointer { ol in
                net.to.withUnsafeBufferPointer { to in
                    dist.withUnsafeMutableBufferPointer { dist in
                        predLink.withUnsafeMutableBufferPointer { pred in
                            pos.withUnsafeMutableBufferPointer { pos in
                                isTarget.withUnsafeMutableBufferPointer { isT in
                                    heapKey.withUnsafeMutableBufferPointer { hk in
                                        heapNode.withUnsafeMutableBufferPointer { hn in
                                            for v in touched {
                                                dist[Int(v)] = .infinity
                                                pred[Int(v)] = -1
                                                pos[Int(v)] = -1
                                            }
                                            touched.removeAll(keepingCapacity: true)
                                            if let t = targets {
                                                for v in t where !isT[Int(v)] && Int(v) != origin {
                                                    isT[Int(v)] = true
                                                    remaining += 1
                                                }
                                            }
                                            // 4-ary min-heap of (key, node), keys stored in the heap (no indirection while sifting)
                                            var size = 0
                                            @inline(__always) func place(_ i: Int, _ k: Double, _ v: Int32) {
                                                hk[i] = k
                                                hn[i] = v
                                                pos[Int(v)] = Int32(i)
                                            }
                                            @inline(__always) func up(_ i0: Int, _ k: Double, _ v: Int32) {
                                                var i = i0
                                                while i > 0 {
                                                    let p = (i - 1) >> 2
                                                    if hk[p] <= k { break }
                                                    place(i, hk[p], hn[p])
                                                    i = p
                                                }
                                                place(i, k, v)
                                            }
                                            @inline(__always) func down(_ k: Double, _ v: Int32) {
                                                var i = 0
                                                while true {
                                                    let c0 = 4 * i + 1
                                                    if c0 >= size { break }
                                                    var c = c0
                                                    var ck = hk[c0]
                                                    let end = min(c0 + 4, size)
                                                    var j = c0 + 1
                                                    while j < end {
                                                        if hk[j] < ck {
                                                            c = j
                                                            ck = hk[j]
                                                        }
                                                        j += 1
                                                    }
                                                    if ck >= k { break }
                                                    place(i, ck, hn[c])
                                                    i = c
                                                }
                                                place(i, k, v)
                                            }
                                            dist[origin] = 0
                                            touched.append(Int32(origin))
                                            place(0, 0, Int32(origin))
                                            size = 1
                                            while size > 0 {
                                                let u = hn[0]
                                                size -= 1
                                                if size > 0 { down(hk[size], hn[size]) }
                                                let ui = Int(u)
                                                pos[ui] = -2
                                                if remaining > 0 && isT[ui] {
                                                    isT[ui] = false
                                                    remaining -= 1
                                                    if remaining == 0 { break }
                                                }
                                                // zones are not passed through
                                                if ui < zones && ui != origin { continue }
                                                let du = dist[ui]
                                                for e in Int(os[ui])..<Int(os[ui + 1]) {
                                                    let a = Int(ol[e])
                                                    let v = Int(to[a])
                                                    let pv = pos[v]
                                                    if pv == -2 { continue }
                                                    let nd = du + cost[a]
                                                    if nd < dist[v] {
                                                        if pv == -1 && dist[v] == .infinity { touched.append(Int32(v)) }
                                                        dist[v] = nd
                                                        pred[v] = Int32(a)
                                                        if pv == -1 {
                                                            size += 1
                                                            up(size - 1, nd, Int32(v))
                                                        } else {
                                                            up(Int(pv), nd, Int32(v))
                                                        }
                                                    }
                                                }
                                            }
                                            // targets left unreached keep no flag for the next search
                                            if let t = targets, remaining > 0 { for v in t { isT[Int(v)] = false } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Links of the path to `dest`, origin first (empty if unreached or dest is the origin).
    public func path(to dest: Int, _ net: RoadNetwork, into out: inout [Int32]) {
        out.removeAll(keepingCapacity: true)
        if linkMode {
            var l = predLink[dest]
            while l >= 0 {
                out.append(l)
                l = linkPred[Int(l)]
            }
            out.reverse()
            return
        }
        var v = dest
        while predLink[v] >= 0 {
            let a = predLink[v]
            out.append(a)
            v = Int(net.from[Int(a)])
        }
        out.reverse()
    }
}
