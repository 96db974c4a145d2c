/// Shortest paths that respect turn restrictions: labels sit on links (the time of reaching a link's end), so
/// "no left turn from a into b" is a missing transition a → b (link-based Dijkstra; the line graph of the road
/// network). A node's label is that of the first of its incoming links to be settled, and paths follow the links'
/// own predecessors.
extension ShortestPathTree {
    /// Link-to-link routes honouring every turn, the first (out of `from`) and the last (into each target) too:
    /// for each target link, the links strictly between `from` and it (nil if unreachable).
    public mutating func routes(_ net: RoadNetwork, fromLink from: Int32, to targets: [Int32], cost: UnsafeBufferPointer<Double>) -> [[Int32]?] {
        let m = net.linkCount
        if linkDist.count < m {
            linkDist = [Double](repeating: .infinity, count: m); linkPred = [Int32](repeating: -1, count: m); linkPos = [Int32](repeating: -1, count: m)
        }
        if heapKey.count < m + 1 { heapKey = [Double](repeating: 0, count: m + 1); heapNode = [Int32](repeating: 0, count: m + 1) }
        for l in linkTouched { linkDist[Int(l)] = .infinity; linkPred[Int(l)] = -1; linkPos[Int(l)] = -1 }
        linkTouched.removeAll(keepingCapacity: true)
        var want = Set(targets), size = 0
        func place(_ i: Int, _ k: Double, _ l: Int32) { heapKey[i] = k; heapNode[i] = l; linkPos[Int(l)] = Int32(i) }
        func up(_ i0: Int, _ k: Double, _ l: Int32) {
            var i = i0
            while i > 0 { let p = (i - 1) >> 2; if heapKey[p] <= k { break }; place(i, heapKey[p], heapNode[p]); i = p }
            place(i, k, l)
        }
        func down(_ k: Double, _ l: Int32) {
            var i = 0
            while true {
                let c0 = 4 * i + 1
                if c0 >= size { break }
                var c = c0, ck = heapKey[c0], j = c0 + 1
                while j < min(c0 + 4, size) { if heapKey[j] < ck { c = j; ck = heapKey[j] }; j += 1 }
                if ck >= k { break }
                place(i, ck, heapNode[c]); i = c
            }
            place(i, k, l)
        }
        let zones = net.zonesAreThrough ? 0 : net.zoneCount
        func expand(_ l: Int, _ dl: Double) {
            let v = Int(net.to[l])
            if v < zones { return }
            for e in Int(net.outStart[v])..<Int(net.outStart[v + 1]) {
                let b = Int(net.outLinks[e])
                if net.isBanned(l, b) { continue }
                let pb = linkPos[b], nd = dl + cost[b]
                if pb == -2 || nd >= linkDist[b] { continue }
                if linkDist[b] == .infinity { linkTouched.append(Int32(b)) }
                linkDist[b] = nd; linkPred[b] = Int32(l)
                if pb == -1 { size += 1; up(size - 1, nd, Int32(b)) } else { up(Int(pb), nd, Int32(b)) }
            }
        }
        linkDist[Int(from)] = 0; linkPos[Int(from)] = -2; linkTouched.append(from)
        want.remove(from)
        expand(Int(from), 0)
        while size > 0 && !want.isEmpty {
            let l = Int(heapNode[0]), dl = heapKey[0]
            size -= 1
            if size > 0 { down(heapKey[size], heapNode[size]) }
            linkPos[l] = -2
            want.remove(Int32(l))
            expand(l, dl)
        }
        return targets.map { t in
            if t == from { return [] }
            guard linkPos[Int(t)] == -2 else { return nil }
            var r: [Int32] = [], l = linkPred[Int(t)]
            while l >= 0 && l != from { r.append(l); l = linkPred[Int(l)] }
            return r.reversed()
        }
    }

    mutating func searchLinks(_ net: RoadNetwork, from origin: Int, start: Double, targets: [Int32], cost: (Int, Double) -> Double) {
        linkMode = true
        let m = net.linkCount
        if linkDist.count < m {
            linkDist = [Double](repeating: .infinity, count: m); linkPred = [Int32](repeating: -1, count: m); linkPos = [Int32](repeating: -1, count: m)
        }
        if heapKey.count < m + 1 { heapKey = [Double](repeating: 0, count: m + 1); heapNode = [Int32](repeating: 0, count: m + 1) }
        for l in linkTouched { linkDist[Int(l)] = .infinity; linkPred[Int(l)] = -1; linkPos[Int(l)] = -1 }
        linkTouched.removeAll(keepingCapacity: true)
        for v in touched { dist[Int(v)] = .infinity; predLink[Int(v)] = -1; pos[Int(v)] = -1 }
        touched.removeAll(keepingCapacity: true)
        var remaining = 0
        for v in targets where !isTarget[Int(v)] && Int(v) != origin { isTarget[Int(v)] = true; remaining += 1 }
        let zones = net.zonesAreThrough ? 0 : net.zoneCount
        var size = 0
        func place(_ i: Int, _ k: Double, _ l: Int32) { heapKey[i] = k; heapNode[i] = l; linkPos[Int(l)] = Int32(i) }
        func up(_ i0: Int, _ k: Double, _ l: Int32) {
            var i = i0
            while i > 0 { let p = (i - 1) >> 2; if heapKey[p] <= k { break }; place(i, heapKey[p], heapNode[p]); i = p }
            place(i, k, l)
        }
        func down(_ k: Double, _ l: Int32) {
            var i = 0
            while true {
                let c0 = 4 * i + 1
                if c0 >= size { break }
                var c = c0, ck = heapKey[c0], j = c0 + 1
                while j < min(c0 + 4, size) { if heapKey[j] < ck { c = j; ck = heapKey[j] }; j += 1 }
                if ck >= k { break }
                place(i, ck, heapNode[c]); i = c
            }
            place(i, k, l)
        }
        func relax(_ b: Int, _ nd: Double, _ pred: Int32) {
            let pb = linkPos[b]
            if pb == -2 || nd >= linkDist[b] { return }
            if linkDist[b] == .infinity { linkTouched.append(Int32(b)) }
            linkDist[b] = nd; linkPred[b] = pred
            if pb == -1 { size += 1; up(size - 1, nd, Int32(b)) } else { up(Int(pb), nd, Int32(b)) }
        }
        dist[origin] = start; touched.append(Int32(origin)); pos[origin] = -2
        for e in Int(net.outStart[origin])..<Int(net.outStart[origin + 1]) {
            let b = Int(net.outLinks[e])
            relax(b, start + cost(b, start), -1)
        }
        while size > 0 {
            let l = Int(heapNode[0]), dl = heapKey[0]
            size -= 1
            if size > 0 { down(heapKey[size], heapNode[size]) }
            linkPos[l] = -2
            let v = Int(net.to[l])
            if dist[v] == .infinity {
                dist[v] = dl; predLink[v] = Int32(l); touched.append(Int32(v))
                if remaining > 0 && isTarget[v] { isTarget[v] = false; remaining -= 1; if remaining == 0 { break } }
            }
            if v < zones && v != origin { continue }
            for e in Int(net.outStart[v])..<Int(net.outStart[v + 1]) {
                let b = Int(net.outLinks[e])
                if net.isBanned(l, b) { continue }
                relax(b, dl + cost(b, dl), Int32(l))
            }
        }
        if remaining > 0 { for v in targets { isTarget[Int(v)] = false } }
    }
}
