import EnergyModel
import Foundation
import SimCore
import TrafficModel

/// A plausible distribution grid for a city that publishes none, laid on its real streets and buildings
/// (docs/energy.md has the method and its assumptions):
///
/// 1. Demand: every building of at least `minFloorArea` gets a load: dwellings = residential floor area /
///    `dwellingArea` at an after-diversity maximum demand (ADMD) of `householdADMD` kW each, plus non-residential
///    floor area at `commercialPeak` W/m² (power factor `powerFactor`). Residential vs. other floor follows the
///    population generator (`building=*` tags; untagged `yes` buildings split `mixedResidentialShare`).
/// 2. Secondary substations (MV/LV): the loaded street nodes are grouped on a `clusterSize` grid; a group whose
///    peak exceeds a 630 kVA transformer at `plannedLoading` is split along its longer axis into equal-demand
///    parts. Each group's transformer sits at the street node nearest its demand centroid, sized from a
///    SimBench-like catalogue (250/400/630 kVA, 20/0.4 kV, Dyn5). A group whose farthest customer is more than
///    `maxLVReach` of street away is split again (LV voltage drop).
/// 3. LV feeders follow the streets: the shortest-path tree (by length) from the transformer's node to every
///    loaded node of its group; one cable per street segment (SimBench LV cable data).
/// 4. Primary substations (HV/MV): at mapped `power=substation` features when the extract has them, else at the
///    street nodes nearest k-means centres of the secondary substations (k = total peak / `primaryRating`), the
///    external grid at the MV busbar (on-load tap changer holding `busbarVoltage`). Secondary substations are
///    dealt to MV feeders by angle around their primary, at most `feederCapacity` MVA each, and each feeder is
///    the street shortest-path tree from the busbar to its transformers (SimBench MV cable data). Feeders are
///    radial and independent: the energy domain solves them as partitions.
public enum SyntheticGrid {
    public struct Options: Sendable {
        public var minFloorArea = 30.0, dwellingArea = 80.0, mixedResidentialShare = 0.6
        public var householdADMD = 2.0  // kW per dwelling after diversity
        public var commercialPeak = 40.0  // W/m² of non-residential floor
        public var powerFactor = 0.95
        public var clusterSize = 200.0  // m
        public var maxLVReach = 350.0  // m of street from a secondary substation to its farthest customer
        public var plannedLoading = 0.8
        public var primaryRating = 40.0  // MVA per primary substation
        public var feederCapacity = 6.0  // MVA per MV feeder
        public var busbarVoltage = 1.02
        public var mvKV = 20.0, lvKV = 0.4
        public init() {}
    }
    /// A building with its load and where it is connected.
    public struct BuildingLoad: Sendable {
        public var building: Int, x: Double, y: Double
        public var dwellings: Int, residentialFloor: Double, otherFloor: Double, roofArea: Double, peakKW: Double
        public var load: Int, bus: Int, trafo: Int, feeder: Int
    }
    public struct Asset: Sendable {
        public var kind: String, element: Int, x: Double, y: Double, criticalDepth: Double, name: String
    }
    public struct Result: Sendable {
        public var grid: Grid
        public var buildings: [BuildingLoad]
        public var assets: [Asset]
        public var busXY: [(Double, Double)]
        public var feeders: Int, primaries: Int, mappedPrimaries: Int
        public var peakMW: Double
    }

    static let residential: Set<String> = [
        "residential", "apartments", "house", "detached", "terraced", "semidetached_house", "dormitory",
    ]
    /// 20/0.4 kV Dyn5 distribution transformers: the 630 kVA unit is the one in SimBench 1-LV-urban6; 250 and 400 kVA
    /// follow the same family (pandapower standard types "0.25/0.4 MVA 20/0.4 kV").
    static let trafoTypes: [(sn: Double, vk: Double, vkr: Double, pfe: Double, i0: Double)] = [
        (0.25, 6.0, 1.44, 0.8, 0.32), (0.4, 6.0, 1.425, 1.35, 0.3375), (0.63, 6.0, 1.0952380952, 1.65, 0.261915),
    ]
    /// Cables (Ω/km, nF/km, kA): LV as the main cable of SimBench 1-LV-urban6, MV as the cable of SimBench 1-MV-urban.
    public static let lvCable = CableType.simbenchLV
    public static let mvCable = CableType.simbenchMV

    public static func build(
        network net: RoadNetwork, buildings: [OSM.Building], power: [OSM.PowerFeature], name: String,
        options o: Options = Options()
    ) throws -> Result {
        let n = net.nodeCount
        // undirected street graph (both directions of every link, shortest length)
        var adj = [[(Int, Double)]](repeating: [], count: n)
        for a in 0..<net.linkCount {
            let f = Int(net.from[a])
            let t = Int(net.to[a])
            if f == t { continue }
            adj[f].append((t, net.length[a]))
            adj[t].append((f, net.length[a]))
        }
        let connected = (0..<n).map { !adj[$0].isEmpty }
        // nearest connected node: bucket grid
        let cell = 100.0
        var buckets: [Int64: [Int]] = [:]
        func key(_ x: Double, _ y: Double) -> Int64 {
            Int64((x / cell).rounded(.down)) << 32 | (Int64((y / cell).rounded(.down)) & 0xFFFF_FFFF)
        }
        for v in 0..<n where connected[v] { buckets[key(net.nodeX[v], net.nodeY[v]), default: []].append(v) }
        func nearest(_ x: Double, _ y: Double) -> Int {
            var best = -1
            var bd = Double.infinity
            for r in 0...60 {
                let cx = Int64((x / cell).rounded(.down))
                let cy = Int64((y / cell).rounded(.down))
                for dx in -Int64(r)...Int64(r) {
                    for dy in -Int64(r)...Int64(r) where max(abs(dx), abs(dy)) == Int64(r) {
                        for v in buckets[(cx + dx) << 32 | ((cy + dy) & 0xFFFF_FFFF)] ?? [] {
                            let d = hypot(net.nodeX[v] - x, net.nodeY[v] - y)
                            if d < bd || (d == bd && v < best) {
                                bd = d
                                best = v
                            }
                        }
                    }
                }
                if best >= 0 && Double(r) * cell > bd + cell { break }
            }
            return best
        }
        guard buckets.count > 0 else {
            throw RunError("the street network has no connected nodes", hint: "import the roads first")
        }
        // 1. demand per building
        var loads: [BuildingLoad] = []
        var nodeDemand = [Double](repeating: 0, count: n)
        var nodeBuildings = [[Int]](repeating: [], count: n)
        for (i, b) in buildings.enumerated() {
            let floor = b.area * b.levels
            guard floor >= o.minFloorArea else { continue }
            let mixed = b.type == "yes" && b.amenity.isEmpty && b.shop.isEmpty
            let res = residential.contains(b.type) ? floor : mixed ? floor * o.mixedResidentialShare : 0
            let dwellings = res > 0 ? max(1, Int((res / o.dwellingArea).rounded())) : 0
            let other = floor - res
            let peak = Double(dwellings) * o.householdADMD + other * o.commercialPeak / 1000
            guard peak > 0 else { continue }
            let v = nearest(b.x, b.y)
            nodeDemand[v] += peak
            nodeBuildings[v].append(loads.count)
            loads.append(
                BuildingLoad(
                    building: i, x: b.x, y: b.y, dwellings: dwellings, residentialFloor: res, otherFloor: other,
                    roofArea: b.area,
                    peakKW: peak, load: loads.count, bus: -1, trafo: -1, feeder: -1))
        }
        guard !loads.isEmpty else {
            throw RunError(
                "no building with a floor area of at least \(Int(o.minFloorArea)) m²",
                hint: "the extract has no mapped buildings")
        }
        // 2. secondary substation groups
        let maxGroup = 630.0 * o.plannedLoading  // kW at the power factor ≈ kVA · pf; planning at kVA
        var cells: [Int64: [Int]] = [:]
        for v in 0..<n where nodeDemand[v] > 0 {
            cells[
                Int64((net.nodeX[v] / o.clusterSize).rounded(.down)) << 32
                    | (Int64((net.nodeY[v] / o.clusterSize).rounded(.down)) & 0xFFFF_FFFF), default: []
            ].append(v)
        }
        var groups: [[Int]] = []
        func split(_ nodes: [Int]) {
            let total = nodes.reduce(0.0) { $0 + nodeDemand[$1] } / o.powerFactor
            if total <= maxGroup || nodes.count == 1 {
                groups.append(nodes)
                return
            }
            let xs = nodes.map { net.nodeX[$0] }
            let ys = nodes.map { net.nodeY[$0] }
            let alongX = (xs.max()! - xs.min()!) >= (ys.max()! - ys.min()!)
            let sorted = nodes.sorted {
                alongX ? (net.nodeX[$0], $0) < (net.nodeX[$1], $1) : (net.nodeY[$0], $0) < (net.nodeY[$1], $1)
            }
            var acc = 0.0
            var cut = 1
            for (k, v) in sorted.enumerated() {
                acc += nodeDemand[v] / o.powerFactor
                if acc >= total / 2 {
                    cut = max(1, min(k + 1, sorted.count - 1))
                    break
                }
            }
            split(Array(sorted[..<cut]))
            split(Array(sorted[cut...]))
        }
        for k in cells.keys.sorted() { split(cells[k]!.sorted()) }
        // transformer node per group: nearest street node to the demand centroid
        func centre(_ g: [Int]) -> (Int, Double) {
            let w = g.reduce(0.0) { $0 + nodeDemand[$1] }
            let cx = g.reduce(0.0) { $0 + net.nodeX[$1] * nodeDemand[$1] } / w
            let cy = g.reduce(0.0) { $0 + net.nodeY[$1] * nodeDemand[$1] } / w
            let best = g.min {
                (hypot(net.nodeX[$0] - cx, net.nodeY[$0] - cy), $0) < (
                    hypot(net.nodeX[$1] - cx, net.nodeY[$1] - cy), $1
                )
            }!
            return (best, w)
        }
        var trafoNode: [Int] = []
        var groupPeak: [Double] = []
        for g in groups {
            let (n, w) = centre(g)
            trafoNode.append(n)
            groupPeak.append(w)
        }
        var grid = Grid(name: name, snMVA: 1, fHz: 50)
        var busXY: [(Double, Double)] = []
        var assets: [Asset] = []
        func addBus(_ kv: Double, _ v: Int, _ label: String) -> Int {
            grid.buses.append(.init(id: grid.buses.count, name: label, vnKV: kv))
            busXY.append((net.nodeX[v], net.nodeY[v]))
            return grid.buses.count - 1
        }
        /// Longest street distance from `root` to any of `targets` (Dijkstra with early exit).
        func reach(_ root: Int, _ targets: Set<Int>) -> Double {
            var dist = [Int: Double]()
            var done = Set<Int>()
            var heap = MinHeap()
            var far = 0.0
            heap.push(0, root)
            dist[root] = 0
            var remaining = targets.subtracting([root])
            while let (d, u) = heap.pop(), !remaining.isEmpty {
                if done.contains(u) { continue }
                done.insert(u)
                if remaining.remove(u) != nil { far = d }
                for (v, len) in adj[u] where !done.contains(v) && d + len < dist[v] ?? .infinity {
                    dist[v] = d + len
                    heap.push(d + len, v)
                }
            }
            return remaining.isEmpty ? far : .infinity
        }
        /// Shortest-path tree (Dijkstra by length) from `root` reaching `targets`; returns parent links on the paths.
        func streetTree(_ root: Int, _ targets: Set<Int>) -> [(child: Int, parent: Int, length: Double)] {
            var dist = [Int: Double]()
            var parent = [Int: (Int, Double)]()
            var done = Set<Int>()
            var heap = MinHeap()
            heap.push(0, root)
            dist[root] = 0
            var remaining = targets.subtracting([root])
            while let (d, u) = heap.pop(), !remaining.isEmpty {
                if done.contains(u) { continue }
                done.insert(u)
                remaining.remove(u)
                for (v, len) in adj[u] where !done.contains(v) {
                    let nd = d + len
                    if nd < dist[v] ?? .infinity || (nd == dist[v] && u < parent[v]!.0) {
                        dist[v] = nd
                        parent[v] = (u, len)
                        heap.push(nd, v)
                    }
                }
            }
            var edges: [Int: (Int, Double)] = [:]
            for t in targets.sorted() where t != root {
                var c = t
                while c != root, edges[c] == nil, let p = parent[c] {
                    edges[c] = p
                    c = p.0
                }
            }
            return edges.keys.sorted().map { ($0, edges[$0]!.0, edges[$0]!.1) }
        }
        /// A street segment's cable, with as many parallel cables as the peak downstream needs at the planned loading.
        func addLine(
            _ a: Int, _ b: Int, _ len: Double, _ c: CableType, _ kv: Double,
            _ downstreamKW: Double, _ label: String
        ) {
            let km = max(len, 1) / 1000
            let amps = downstreamKW / o.powerFactor / (3.0.squareRoot() * kv) / 1000  // kA
            let par = max(1, Int((amps / (c.imax * o.plannedLoading)).rounded(.up)))
            grid.lines.append(
                .init(
                    name: label, fromBus: a, toBus: b, rOhm: c.r * km, xOhm: c.x * km,
                    bMicroS: c.c * km * 2 * .pi * 50 * 1e-3,
                    parallel: par, maxIkA: c.imax))
        }
        /// Peak below each tree edge (children before parents): the demand at the child plus everything hanging off it.
        func downstream(_ tree: [(child: Int, parent: Int, length: Double)], _ demand: [Int: Double]) -> [Double] {
            var below = demand
            var children: [Int: [Int]] = [:]
            for e in tree { children[e.parent, default: []].append(e.child) }
            var order: [Int] = []
            var stack = tree.isEmpty ? [] : [tree.map(\.parent).first { p in !tree.contains { $0.child == p } }!]
            while let v = stack.popLast() {
                order.append(v)
                stack += children[v] ?? []
            }
            for v in order.reversed() { for c in children[v] ?? [] { below[v, default: 0] += below[c] ?? 0 } }
            return tree.map { below[$0.child] ?? 0 }
        }
        // LV feeders longer than `maxLVReach` along the streets are split (voltage drop), as a planner would
        var k = 0
        while k < groups.count {
            let g = groups[k]
            if g.count > 1 && reach(trafoNode[k], Set(g)) > o.maxLVReach {
                let xs = g.map { net.nodeX[$0] }
                let ys = g.map { net.nodeY[$0] }
                let alongX = (xs.max()! - xs.min()!) >= (ys.max()! - ys.min()!)
                let sorted = g.sorted {
                    alongX ? (net.nodeX[$0], $0) < (net.nodeX[$1], $1) : (net.nodeY[$0], $0) < (net.nodeY[$1], $1)
                }
                let halves = [Array(sorted[..<(sorted.count / 2)]), Array(sorted[(sorted.count / 2)...])]
                groups.remove(at: k)
                trafoNode.remove(at: k)
                groupPeak.remove(at: k)
                for h in halves.reversed() {
                    let (node, peak) = centre(h)
                    groups.insert(h, at: k)
                    trafoNode.insert(node, at: k)
                    groupPeak.insert(peak, at: k)
                }
                continue
            }
            k += 1
        }
        // 3. LV networks
        var trafoMVBusNode: [Int] = []
        var lvBusOfGroup: [[Int: Int]] = []
        for (gi, g) in groups.enumerated() {
            let root = trafoNode[gi]
            var busOf: [Int: Int] = [:]
            busOf[root] = addBus(o.lvKV, root, "LV\(gi) \(net.nodeIDs[root])")
            for e in streetTree(root, Set(g)) {
                for v in [e.parent, e.child] where busOf[v] == nil {
                    busOf[v] = addBus(o.lvKV, v, "LV\(gi) \(net.nodeIDs[v])")
                }
            }
            let tree = streetTree(root, Set(g))
            let below = downstream(tree, Dictionary(uniqueKeysWithValues: g.map { ($0, nodeDemand[$0]) }))
            for (k, e) in tree.enumerated() {
                addLine(
                    busOf[e.parent]!, busOf[e.child]!, e.length, lvCable, o.lvKV, below[k],
                    "LV\(gi) cable \(net.nodeIDs[e.parent])-\(net.nodeIDs[e.child])")
            }
            lvBusOfGroup.append(busOf)
            trafoMVBusNode.append(root)
            for v in g {
                for l in nodeBuildings[v] {
                    loads[l].bus = busOf[v] ?? busOf[root]!
                    loads[l].trafo = gi
                }
            }
        }
        // 4. primaries: mapped substations, else k-means over the secondary substations
        let totalMW = groupPeak.reduce(0, +) / 1000
        let mapped = power.filter { $0.power == "substation" && !["minor_distribution"].contains($0.substation) }
        var centres: [(Double, Double)] = mapped.map { ($0.x, $0.y) }
        if centres.isEmpty {
            let k = max(1, Int((totalMW / o.primaryRating).rounded(.up)))
            let pts = trafoNode.map { (net.nodeX[$0], net.nodeY[$0]) }
            let w = groupPeak
            // farthest-point start from the demand centroid, then Lloyd iterations weighted by demand
            let W = w.reduce(0, +)
            centres = [
                (zip(pts, w).reduce(0.0) { $0 + $1.0.0 * $1.1 } / W, zip(pts, w).reduce(0.0) { $0 + $1.0.1 * $1.1 } / W)
            ]
            while centres.count < k {
                let far = pts.indices.max { a, b in
                    let da = centres.map { hypot(pts[a].0 - $0.0, pts[a].1 - $0.1) }.min()!
                    let db = centres.map { hypot(pts[b].0 - $0.0, pts[b].1 - $0.1) }.min()!
                    return (da, -a) < (db, -b)
                }!
                centres.append(pts[far])
            }
            for _ in 0..<20 {
                var sx = [Double](repeating: 0, count: k)
                var sy = sx
                var sw = sx
                for (i, p) in pts.enumerated() {
                    let c = (0..<k).min {
                        (hypot(p.0 - centres[$0].0, p.1 - centres[$0].1), $0) < (
                            hypot(p.0 - centres[$1].0, p.1 - centres[$1].1), $1
                        )
                    }!
                    sx[c] += p.0 * w[i]
                    sy[c] += p.1 * w[i]
                    sw[c] += w[i]
                }
                for c in 0..<k where sw[c] > 0 { centres[c] = (sx[c] / sw[c], sy[c] / sw[c]) }
            }
        }
        let primaryNode = centres.map { nearest($0.0, $0.1) }
        var feeders = 0
        for (pi, pnode) in primaryNode.enumerated() {
            let busbar = addBus(o.mvKV, pnode, "MV busbar \(pi)")
            grid.extGrids.append(.init(name: "primary substation \(pi)", bus: busbar, vmPU: o.busbarVoltage))
            assets.append(
                Asset(
                    kind: "primary", element: pi, x: net.nodeX[pnode], y: net.nodeY[pnode], criticalDepth: 0.5,
                    name: "primary substation \(pi)"))
            // secondaries served from here, by angle
            let mine = groups.indices.filter { gi in
                let p = (net.nodeX[trafoNode[gi]], net.nodeY[trafoNode[gi]])
                return (0..<primaryNode.count).min {
                    (hypot(p.0 - net.nodeX[primaryNode[$0]], p.1 - net.nodeY[primaryNode[$0]]), $0) < (
                        hypot(p.0 - net.nodeX[primaryNode[$1]], p.1 - net.nodeY[primaryNode[$1]]), $1
                    )
                } == pi
            }.sorted { a, b in
                let aa = atan2(net.nodeY[trafoNode[a]] - net.nodeY[pnode], net.nodeX[trafoNode[a]] - net.nodeX[pnode])
                let ab = atan2(net.nodeY[trafoNode[b]] - net.nodeY[pnode], net.nodeX[trafoNode[b]] - net.nodeX[pnode])
                return (aa, a) < (ab, b)
            }
            var feederGroups: [[Int]] = []
            var acc = 0.0
            for gi in mine {
                if feederGroups.isEmpty || acc + groupPeak[gi] / 1000 / o.powerFactor > o.feederCapacity {
                    feederGroups.append([])
                    acc = 0
                }
                feederGroups[feederGroups.count - 1].append(gi)
                acc += groupPeak[gi] / 1000 / o.powerFactor
            }
            for fg in feederGroups {
                let f = feeders
                feeders += 1
                var busOf: [Int: Int] = [pnode: busbar]
                let tree = streetTree(pnode, Set(fg.map { trafoNode[$0] }))
                for e in tree {
                    for v in [e.parent, e.child] where busOf[v] == nil {
                        busOf[v] = addBus(o.mvKV, v, "MV\(f) \(net.nodeIDs[v])")
                    }
                }
                var atNode: [Int: Double] = [:]
                for gi in fg { atNode[trafoNode[gi], default: 0] += groupPeak[gi] }
                let below = downstream(tree, atNode)
                for (k, e) in tree.enumerated() {
                    addLine(
                        busOf[e.parent]!, busOf[e.child]!, e.length, mvCable, o.mvKV, below[k],
                        "MV\(f) cable \(net.nodeIDs[e.parent])-\(net.nodeIDs[e.child])")
                }
                for gi in fg {
                    let kva = groupPeak[gi] / o.powerFactor / o.plannedLoading
                    let t = trafoTypes.first { $0.sn * 1000 >= kva } ?? trafoTypes.last!
                    let par = max(1, Int((kva / (t.sn * 1000)).rounded(.up)))
                    let node = trafoNode[gi]
                    grid.trafos.append(
                        .init(
                            name: "MV\(f)/LV\(gi) \(Int(t.sn * 1000)) kVA", hvBus: busOf[node]!,
                            lvBus: lvBusOfGroup[gi][node]!, snMVA: t.sn,
                            vnHVkV: o.mvKV, vnLVkV: o.lvKV, vkPercent: t.vk, vkrPercent: t.vkr, pfeKW: t.pfe,
                            i0Percent: t.i0,
                            shiftDeg: 150, parallel: par))
                    assets.append(
                        Asset(
                            kind: "secondary", element: grid.trafos.count - 1, x: net.nodeX[node], y: net.nodeY[node],
                            criticalDepth: 0.3,
                            name: "secondary substation \(gi)"))
                    for l in loads.indices where loads[l].trafo == gi { loads[l].feeder = f }
                }
            }
        }
        // loads: one per building, constant power at the power factor (peak; the energy domain scales by its agents)
        let tanPhi = (1 - o.powerFactor * o.powerFactor).squareRoot() / o.powerFactor
        for l in loads {
            grid.loads.append(
                .init(
                    name: "building \(l.building)", bus: l.bus, pMW: l.peakKW / 1000, qMvar: l.peakKW / 1000 * tanPhi,
                    profile: l.dwellings > 0 && l.residentialFloor >= l.otherFloor ? "H0-A" : "G1-A"))
        }
        return Result(
            grid: grid, buildings: loads, assets: assets, busXY: busXY, feeders: feeders, primaries: primaryNode.count,
            mappedPrimaries: mapped.count, peakMW: totalMW)
    }
}

/// A binary min-heap of (key, node), ties by node: deterministic order.
struct MinHeap {
    var items: [(Double, Int)] = []
    mutating func push(_ k: Double, _ v: Int) {
        items.append((k, v))
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if items[p] <= items[i] { break }
            items.swapAt(p, i)
            i = p
        }
    }
    mutating func pop() -> (Double, Int)? {
        guard !items.isEmpty else { return nil }
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var m = i
                if l < items.count && items[l] < items[m] { m = l }
                if r < items.count && items[r] < items[m] { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}

extension SyntheticGrid {
    /// Writes the grid into a model directory: grid/network.json (the reference format, plus bus coordinates),
    /// grid/buildings.csv (each building's load, dwellings, floor areas, roof area and connection) and
    /// grid/assets.csv (substations with their position and critical water depth).
    public static func write(_ r: Result, to dir: String, provenance: String) throws {
        let g = r.grid
        let gdir = dir + "/grid"
        try FileManager.default.createDirectory(atPath: gdir, withIntermediateDirectories: true)
        func num(_ v: Double) -> Any { v }
        var buses: [[String: Any]] = []
        for (k, b) in g.buses.enumerated() {
            buses.append([
                "id": b.id, "name": b.name, "vn_kv": b.vnKV, "in_service": true,
                "x": (r.busXY[k].0 * 100).rounded() / 100, "y": (r.busXY[k].1 * 100).rounded() / 100,
            ])
        }
        let lines: [[String: Any]] = g.lines.enumerated().map { (k, l) in
            [
                "id": k, "name": l.name, "from_bus": l.fromBus, "to_bus": l.toBus, "r_ohm": l.rOhm, "x_ohm": l.xOhm,
                "b_us": l.bMicroS, "g_us": 0.0,
                "max_i_ka": l.maxIkA, "parallel": l.parallel, "in_service": true,
            ]
        }
        let trafos: [[String: Any]] = g.trafos.enumerated().map { (k, t) in
            [
                "id": k, "name": t.name, "hv_bus": t.hvBus, "lv_bus": t.lvBus, "sn_mva": t.snMVA, "vn_hv_kv": t.vnHVkV,
                "vn_lv_kv": t.vnLVkV,
                "vk_percent": t.vkPercent, "vkr_percent": t.vkrPercent, "pfe_kw": t.pfeKW, "i0_percent": t.i0Percent,
                "shift_degree": t.shiftDeg,
                "parallel": t.parallel, "in_service": true,
            ]
        }
        let loads: [[String: Any]] = g.loads.enumerated().map { (k, l) in
            [
                "id": k, "name": l.name, "bus": l.bus, "p_mw": l.pMW, "q_mvar": l.qMvar, "scaling": 1.0,
                "in_service": true, "profile": l.profile ?? "",
            ]
        }
        let ext: [[String: Any]] = g.extGrids.enumerated().map { (k, e) in
            ["id": k, "name": e.name, "bus": e.bus, "vm_pu": e.vmPU, "va_degree": 0.0, "in_service": true]
        }
        let obj: [String: Any] = [
            "name": g.name, "source": provenance, "f_hz": g.fHz, "sn_mva": g.snMVA, "bus": buses, "line": lines,
            "trafo": trafos,
            "load": loads, "sgen": [Any](), "ext_grid": ext, "switch": [Any](),
        ]
        let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
        try writeFileAtomically(gdir + "/network.json", String(decoding: data, as: UTF8.self))
        var b = "load,building,x,y,dwellings,residential_floor_m2,other_floor_m2,roof_m2,peak_kw,bus,secondary,feeder\n"
        for l in r.buildings {
            b +=
                "\(l.load),\(l.building),\(String(format: "%.2f", l.x)),\(String(format: "%.2f", l.y)),\(l.dwellings),\(String(format: "%.1f", l.residentialFloor)),"
            b +=
                "\(String(format: "%.1f", l.otherFloor)),\(String(format: "%.1f", l.roofArea)),\(String(format: "%.3f", l.peakKW)),\(l.bus),\(l.trafo),\(l.feeder)\n"
        }
        try writeFileAtomically(gdir + "/buildings.csv", b)
        var a = "kind,element,name,x,y,critical_depth_m\n"
        for s in r.assets {
            a +=
                "\(s.kind),\(s.element),\(s.name),\(String(format: "%.2f", s.x)),\(String(format: "%.2f", s.y)),\(s.criticalDepth)\n"
        }
        try writeFileAtomically(gdir + "/assets.csv", a)
    }
}

extension SyntheticGrid {
    /// Adds (or, with `overwrite`, replaces) the `energy:` section of a model's model.yaml.
    public static func addEnergySection(to dir: String, overwrite: Bool) throws {
        let yamlPath = dir + "/model.yaml"
        guard let text = try? String(contentsOfFile: yamlPath, encoding: .utf8) else {
            throw RunError(
                "'\(dir)' has no model.yaml to add the grid to", hint: "import the terrain or the roads first")
        }
        var lines = try NetworkModelWriter.removeSection("energy", from: text, path: yamlPath, overwrite: overwrite)
        lines += [
            "energy:", "  grid: grid/network.json", "  buildings: grid/buildings.csv", "  assets: grid/assets.csv",
        ]
        try writeFileAtomically(yamlPath, lines.joined(separator: "\n") + "\n")
    }
}
