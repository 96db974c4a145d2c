/// One-to-all shortest paths (Dijkstra 1959) on link costs with a binary heap, reusable across calls (no
/// allocation per search). Ties keep the first-found label, and links are scanned in CSR order, so results are
/// reproducible.
public struct ShortestPathTree {
    public private(set) var dist: [Double]
    /// The link by which each node is reached (-1: origin or unreached).
    public private(set) var predLink: [Int32]
    var heap: [Int32] = []
    var pos: [Int32]            // position in heap, -1 not in heap, -2 settled
    var touched: [Int32] = []

    public init(nodeCount: Int) {
        dist = [Double](repeating: .infinity, count: nodeCount)
        predLink = [Int32](repeating: -1, count: nodeCount)
        pos = [Int32](repeating: -1, count: nodeCount)
    }

    /// Searches from `origin` with `cost[a]` per link (>= 0).
    public mutating func search(_ net: RoadNetwork, from origin: Int, cost: UnsafeBufferPointer<Double>) {
        for v in touched { dist[Int(v)] = .infinity; predLink[Int(v)] = -1; pos[Int(v)] = -1 }
        touched.removeAll(keepingCapacity: true)
        heap.removeAll(keepingCapacity: true)
        dist[origin] = 0
        touched.append(Int32(origin))
        push(Int32(origin))
        let zones = net.zonesAreThrough ? 0 : net.zoneCount
        net.outStart.withUnsafeBufferPointer { os in
            net.outLinks.withUnsafeBufferPointer { ol in
                net.to.withUnsafeBufferPointer { to in
                    while let u = pop() {
                        let ui = Int(u)
                        pos[ui] = -2
                        if ui < zones && ui != origin { continue }   // zones are not passed through
                        let du = dist[ui]
                        for e in Int(os[ui])..<Int(os[ui + 1]) {
                            let a = Int(ol[e])
                            let v = Int(to[a])
                            if pos[v] == -2 { continue }
                            let nd = du + cost[a]
                            if nd < dist[v] {
                                if dist[v] == .infinity { touched.append(Int32(v)) }
                                dist[v] = nd
                                predLink[v] = Int32(a)
                                if pos[v] == -1 { push(Int32(v)) } else { siftUp(Int(pos[v])) }
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
        var v = dest
        while predLink[v] >= 0 {
            let a = predLink[v]
            out.append(a)
            v = Int(net.from[Int(a)])
        }
        out.reverse()
    }

    // MARK: binary heap keyed by dist

    mutating func push(_ v: Int32) {
        heap.append(v)
        pos[Int(v)] = Int32(heap.count - 1)
        siftUp(heap.count - 1)
    }

    mutating func pop() -> Int32? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            pos[Int(last)] = 0
            siftDown(0)
        }
        return top
    }

    mutating func siftUp(_ i0: Int) {
        var i = i0
        let v = heap[i], d = dist[Int(v)]
        while i > 0 {
            let p = (i - 1) >> 1
            let pv = heap[p]
            if dist[Int(pv)] <= d { break }
            heap[i] = pv; pos[Int(pv)] = Int32(i)
            i = p
        }
        heap[i] = v; pos[Int(v)] = Int32(i)
    }

    mutating func siftDown(_ i0: Int) {
        var i = i0
        let n = heap.count
        let v = heap[i], d = dist[Int(v)]
        while true {
            let l = 2 * i + 1
            if l >= n { break }
            var c = l
            if l + 1 < n && dist[Int(heap[l + 1])] < dist[Int(heap[l])] { c = l + 1 }
            if dist[Int(heap[c])] >= d { break }
            heap[i] = heap[c]; pos[Int(heap[i])] = Int32(i)
            i = c
        }
        heap[i] = v; pos[Int(v)] = Int32(i)
    }
}
