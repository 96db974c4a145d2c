import COSM
import Foundation
import SimCore
import TrafficModel

/// OpenStreetMap PBF (read by libosmium) → road network and buildings.
///
/// Roads: ways with a drivable `highway` value are split at junctions (nodes shared by two or more road ways, and
/// way ends) into links; a two-way road gives a link each way. Defaults per highway type (lanes per direction,
/// speed, capacity per lane) are in `OSM.roadTypes`; the `lanes`, `lanes:forward/backward`, `maxspeed`, `oneway`
/// (yes / -1), `junction=roundabout` and `access=no|private` tags override them. Coordinates are projected to the
/// UTM zone of the data. Only the largest strongly connected part of the network is kept, so every link can reach
/// every other (cut-off roads at the extract's edge would otherwise strand vehicles). Turn restrictions are not
/// read yet.
///
/// Buildings: closed ways tagged `building`, with centroid, footprint area, `building:levels`, `amenity`, `shop`.
public enum OSM {
    /// Lanes per direction, free speed (km/h), capacity per lane (veh/h), one-way by default.
    public struct RoadType: Sendable {
        public var lanes: Double, speedKmh: Double, capacityPerLane: Double, oneway: Bool
    }

    /// A `highway=traffic_signals` node this close (m, along the road) before a junction controls it: the
    /// stop-line mapping of OSM's signal tagging guidelines puts signals on each approach, a few metres up to a
    /// carriageway width away from the junction node.
    static let signalReach = 30.0

    /// Urban defaults, in the spirit of MATSim's and SUMO's OSM type maps (our own values).
    public static let roadTypes: [String: RoadType] = [
        "motorway": .init(lanes: 2, speedKmh: 110, capacityPerLane: 2000, oneway: true),
        "motorway_link": .init(lanes: 1, speedKmh: 60, capacityPerLane: 1500, oneway: true),
        "trunk": .init(lanes: 2, speedKmh: 80, capacityPerLane: 1800, oneway: false),
        "trunk_link": .init(lanes: 1, speedKmh: 50, capacityPerLane: 1500, oneway: true),
        "primary": .init(lanes: 1, speedKmh: 50, capacityPerLane: 1500, oneway: false),
        "primary_link": .init(lanes: 1, speedKmh: 40, capacityPerLane: 1200, oneway: true),
        "secondary": .init(lanes: 1, speedKmh: 50, capacityPerLane: 1000, oneway: false),
        "secondary_link": .init(lanes: 1, speedKmh: 40, capacityPerLane: 1000, oneway: true),
        "tertiary": .init(lanes: 1, speedKmh: 40, capacityPerLane: 800, oneway: false),
        "tertiary_link": .init(lanes: 1, speedKmh: 30, capacityPerLane: 800, oneway: true),
        "unclassified": .init(lanes: 1, speedKmh: 40, capacityPerLane: 600, oneway: false),
        "residential": .init(lanes: 1, speedKmh: 30, capacityPerLane: 600, oneway: false),
        "living_street": .init(lanes: 1, speedKmh: 10, capacityPerLane: 300, oneway: false),
        "service": .init(lanes: 1, speedKmh: 20, capacityPerLane: 300, oneway: false),
        "road": .init(lanes: 1, speedKmh: 30, capacityPerLane: 600, oneway: false),
    ]

    public struct Building: Sendable, Equatable {
        public var x: Double, y: Double
        public var area: Double
        public var levels: Double
        public var type: String
        public var amenity: String, shop: String
    }

    public struct Result: Sendable {
        public var network: RoadNetwork
        public var buildings: [Building]
        public var projection: UTMProjection
        /// Link geometry (projected polyline, start to end), for exports and maps.
        public var geometry: [[(x: Double, y: Double)]]
        public var droppedLinks: Int
        /// Restriction relations turned into banned turns, and those that did not match the network.
        public var restrictions = 0, unmatchedRestrictions = 0
        /// Areas for land cover, projected: kind 2 building, 3 green, 4 water.
        public var areas: [(kind: Int, ring: [(x: Double, y: Double)])] = []
        /// Every drivable road as a projected polyline with its carriageway width (m), for land cover.
        public var roadLines: [(width: Double, line: [(x: Double, y: Double)])] = []
        /// Mapped substations and transformers (power=substation / power=transformer), projected.
        public var power: [PowerFeature] = []
    }

    /// A mapped power asset: `power` is "substation" or "transformer"; `substation` the OSM kind
    /// (transmission, distribution, minor_distribution, …); `voltage` as tagged ("63000;20000").
    public struct PowerFeature: Sendable, Equatable {
        public var x: Double, y: Double
        public var power: String, substation: String, voltage: String, name: String
    }

    /// `maxspeed` in km/h ("50", "30 mph", "FR:urban"); nil if unreadable.
    static func speed(_ s: String) -> Double? {
        let t = s.trimmingCharacters(in: .whitespaces).lowercased()
        if let v = Double(t) { return v }
        if t.hasSuffix("mph"), let v = Double(t.dropLast(3).trimmingCharacters(in: .whitespaces)) {
            return v * 1.609344
        }
        switch t {
        case "fr:urban", "de:urban", "it:urban", "mc:urban", "urban": return 50
        case "fr:rural", "it:rural": return 80
        case "fr:motorway", "it:motorway": return 130
        case "walk", "fr:walk", "de:walk": return 7
        case "de:living_street", "fr:living_street": return 10
        default: return nil
        }
    }

    public static func read(_ path: String) throws -> Result {
        guard FileManager.default.fileExists(atPath: path) else {
            throw InputError(
                SourceLocation(file: path), code: "E-OSM-001", message: "no such file",
                hint: "check the path to the .osm.pbf")
        }
        var err = [CChar](repeating: 0, count: 512)
        guard let d = cosm_read(path, &err, err.count) else {
            throw InputError(
                SourceLocation(file: path), code: "E-OSM-002",
                message:
                    "libosmium cannot read it: "
                    + String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
                hint: "is it an OpenStreetMap PBF file (.osm.pbf)?")
        }
        defer { cosm_free(d) }
        let wayCount = cosm_way_count(d)
        let start = cosm_way_node_start(d)!
        let ids = cosm_way_node_ids(d)
        let lon = cosm_way_node_lon(d)
        let lat = cosm_way_node_lat(d)
        func tag(_ w: Int, _ t: cosm_way_tag) -> String { String(cString: cosm_way_tag(d, w, Int32(t.rawValue))) }
        // drivable ways
        var road: [Int] = []
        for w in 0..<wayCount {
            guard roadTypes[tag(w, COSM_HIGHWAY)] != nil else { continue }
            let access = tag(w, COSM_ACCESS)
            if access == "no" || access == "private" { continue }
            if start[w + 1] - start[w] >= 2 { road.append(w) }
        }
        guard let firstWay = road.first else {
            throw InputError(
                SourceLocation(file: path), code: "E-OSM-003", message: "no drivable roads in the file",
                hint: "the extract has no highway=* ways of a road type")
        }
        let proj = UTMProjection(longitude: lon![Int(start[firstWay])], latitude: lat![Int(start[firstWay])])
        // junctions: nodes used by two or more road ways or at a way's end
        var uses: [Int64: Int] = [:]
        for w in road {
            for k in Int(start[w])..<Int(start[w + 1]) { uses[ids![k], default: 0] += 1 }
            uses[ids![Int(start[w])], default: 0] += 1
            uses[ids![Int(start[w + 1]) - 1], default: 0] += 1
        }
        var nodeIndex: [Int64: Int32] = [:]
        var nodeIDs: [String] = []
        var nx: [Double] = []
        var ny: [Double] = []
        func node(_ k: Int) -> Int32 {
            if let i = nodeIndex[ids![k]] { return i }
            let p = proj.forward(longitude: lon![k], latitude: lat![k])
            let i = Int32(nodeIDs.count)
            nodeIndex[ids![k]] = i
            nodeIDs.append(String(ids![k]))
            nx.append(p.x)
            ny.append(p.y)
            return i
        }
        // signals: a traffic_signals node at a junction, or on an approach within `signalReach` of the junction
        // it controls (OSM maps signals either way: at the junction or at each stop line)
        var signalIDs = Set<Int64>()
        if let sp = cosm_signal_ids(d) {
            for i in 0..<cosm_signal_count(d) { signalIDs.insert(sp[i]) }
        }
        var signalised = Set<Int32>()
        var lid: [String] = []
        var from: [Int32] = []
        var to: [Int32] = []
        var len: [Double] = []
        var lanes: [Double] = []
        var spd: [Double] = []
        var cap: [Double] = []
        var geom: [[(x: Double, y: Double)]] = []
        for w in road {
            let hw = tag(w, COSM_HIGHWAY)
            let t = roadTypes[hw]!
            let ow = tag(w, COSM_ONEWAY)
            let oneway =
                ow == "yes" || ow == "true" || ow == "1" || tag(w, COSM_JUNCTION) == "roundabout"
                || (t.oneway && ow != "no")
            let reverse = ow == "-1"
            let v = speed(tag(w, COSM_MAXSPEED)) ?? t.speedKmh
            let total = Double(tag(w, COSM_LANES))
            let fwdLanes =
                Double(tag(w, COSM_LANES_FORWARD))
                ?? (total.map { oneway || reverse ? $0 : ($0 / 2).rounded(.up) } ?? t.lanes)
            let bwdLanes = Double(tag(w, COSM_LANES_BACKWARD)) ?? (total.map { ($0 / 2).rounded(.up) } ?? t.lanes)
            var seg: [Int] = [Int(start[w])]
            let wayID = cosm_way_id(d, w)
            var part = 0
            for k in (Int(start[w]) + 1)..<Int(start[w + 1]) {
                seg.append(k)
                let last = k == Int(start[w + 1]) - 1
                guard last || (uses[ids![k]] ?? 0) > 1 else { continue }
                let pts = seg.map { proj.forward(longitude: lon![$0], latitude: lat![$0]) }
                var length = 0.0
                for i in 1..<pts.count { length += hypot(pts[i].x - pts[i - 1].x, pts[i].y - pts[i - 1].y) }
                let a = node(seg.first!)
                let b = node(seg.last!)
                if a != b && length > 0.5 && !signalIDs.isEmpty {
                    var along = 0.0
                    for (i, k) in seg.enumerated() {
                        if i > 0 { along += hypot(pts[i].x - pts[i - 1].x, pts[i].y - pts[i - 1].y) }
                        guard signalIDs.contains(ids![k]) else { continue }
                        if length - along <= Self.signalReach && !reverse { signalised.insert(b) }
                        if along <= Self.signalReach && (!oneway || reverse) { signalised.insert(a) }
                    }
                }
                if a != b && length > 0.5 {
                    func add(_ f: Int32, _ tn: Int32, _ dir: String, _ l: Double, _ g: [(x: Double, y: Double)]) {
                        lid.append("\(wayID)-\(part)\(dir)")
                        from.append(f)
                        to.append(tn)
                        len.append(length)
                        lanes.append(max(1, l))
                        spd.append(v / 3.6)
                        cap.append(max(1, l) * t.capacityPerLane)
                        geom.append(g)
                    }
                    let g = pts.map { (x: $0.x, y: $0.y) }
                    if !reverse { add(a, b, "f", fwdLanes, g) }
                    if !oneway || reverse { add(b, a, "b", reverse ? (total ?? t.lanes) : bwdLanes, g.reversed()) }
                }
                part += 1
                seg = [k]
            }
        }
        // keep the largest strongly connected component
        let n = nodeIDs.count
        let full = RoadNetwork(
            nodeIDs: nodeIDs, nodeX: nx, nodeY: ny, zoneCount: 0, zonesAreThrough: true, linkIDs: lid, from: from,
            to: to,
            length: len, lanes: lanes, freeSpeed: spd, capacity: cap,
            freeFlowTime: (0..<lid.count).map { len[$0] / spd[$0] },
            bprAlpha: [Double](repeating: 0.15, count: lid.count), bprBeta: [Double](repeating: 4, count: lid.count),
            fixedCost: [Double](repeating: 0, count: lid.count))
        let comp = largestStronglyConnected(full)
        var keepNode = [Int32](repeating: -1, count: n)
        var kIDs: [String] = []
        var kx: [Double] = []
        var ky: [Double] = []
        for v in 0..<n where comp[v] {
            keepNode[v] = Int32(kIDs.count)
            kIDs.append(nodeIDs[v])
            kx.append(nx[v])
            ky.append(ny[v])
        }
        var k = (
            lid: [String](), from: [Int32](), to: [Int32](), len: [Double](), lanes: [Double](), spd: [Double](),
            cap: [Double](), geom: [[(x: Double, y: Double)]]()
        )
        for a in 0..<lid.count where comp[Int(from[a])] && comp[Int(to[a])] {
            k.lid.append(lid[a])
            k.from.append(keepNode[Int(from[a])])
            k.to.append(keepNode[Int(to[a])])
            k.len.append(len[a])
            k.lanes.append(lanes[a])
            k.spd.append(spd[a])
            k.cap.append(cap[a])
            k.geom.append(geom[a])
        }
        let m = k.lid.count
        var net = RoadNetwork(
            nodeIDs: kIDs, nodeX: kx, nodeY: ky, zoneCount: 0, zonesAreThrough: true, linkIDs: k.lid, from: k.from,
            to: k.to,
            length: k.len, lanes: k.lanes, freeSpeed: k.spd, capacity: k.cap,
            freeFlowTime: (0..<m).map { k.len[$0] / k.spd[$0] },
            bprAlpha: [Double](repeating: 0.15, count: m), bprBeta: [Double](repeating: 4, count: m),
            fixedCost: [Double](repeating: 0, count: m))
        net.nodeSignal = (0..<n).filter { comp[$0] }.map { signalised.contains(Int32($0)) }
        // turn restrictions: from-way links ending at the via node, to-way links starting there
        var wayLinks: [Int64: [Int32]] = [:]
        for (a, id) in k.lid.enumerated() {
            if let dash = id.firstIndex(of: "-"), let w = Int64(id[..<dash]) {
                wayLinks[w, default: []].append(Int32(a))
            }
        }
        var banned: [(from: Int32, to: Int32)] = []
        var matched = 0
        var unmatched = 0
        for r in 0..<cosm_restriction_count(d) {
            let kind = String(cString: cosm_restriction_kind(d, r))
            guard
                let via = nodeIndex[cosm_restriction_via(d, r)].flatMap({
                    keepNode[Int($0)] >= 0 ? keepNode[Int($0)] : nil
                })
            else {
                unmatched += 1
                continue
            }
            let ins = (wayLinks[cosm_restriction_from(d, r)] ?? []).filter { k.to[Int($0)] == via }
            let outs = (wayLinks[cosm_restriction_to(d, r)] ?? []).filter { k.from[Int($0)] == via }
            guard !ins.isEmpty, !outs.isEmpty else {
                unmatched += 1
                continue
            }
            matched += 1
            for a in ins {
                if kind.hasPrefix("no_") {
                    for b in outs { banned.append((a, b)) }
                } else if kind.hasPrefix("only_") {
                    // every other turn out of the via node is banned
                    for e in Int(net.outStart[Int(via)])..<Int(net.outStart[Int(via) + 1]) {
                        let b = net.outLinks[e]
                        if !outs.contains(b) { banned.append((a, b)) }
                    }
                }
            }
        }
        net.setBannedTurns(banned)
        // buildings
        var buildings: [Building] = []
        let bc = cosm_building_count(d)
        if bc > 0 {
            let bl = cosm_building_lon(d)!
            let bt = cosm_building_lat(d)!
            let ba = cosm_building_area(d)!
            func btag(_ b: Int, _ t: cosm_building_tag) -> String {
                String(cString: cosm_building_tag(d, b, Int32(t.rawValue)))
            }
            for b in 0..<bc {
                let p = proj.forward(longitude: bl[b], latitude: bt[b])
                let levels = Double(btag(b, COSM_LEVELS).split(separator: ";").first.map(String.init) ?? "") ?? 2
                buildings.append(
                    Building(
                        x: p.x, y: p.y, area: ba[b], levels: max(1, min(levels, 80)), type: btag(b, COSM_BUILDING),
                        amenity: btag(b, COSM_AMENITY), shop: btag(b, COSM_SHOP)))
            }
        }
        var areas: [(kind: Int, ring: [(x: Double, y: Double)])] = []
        let ac = cosm_area_count(d)
        if ac > 0 {
            let kinds = cosm_area_kind(d)!
            let st = cosm_area_start(d)!
            let alon = cosm_area_lon(d)!
            let alat = cosm_area_lat(d)!
            for a in 0..<ac {
                let ring = (Int(st[a])..<Int(st[a + 1])).map { k -> (x: Double, y: Double) in
                    let p = proj.forward(longitude: alon[k], latitude: alat[k])
                    return (p.x, p.y)
                }
                areas.append((Int(kinds[a]), ring))
            }
        }
        var power: [PowerFeature] = []
        let pc = cosm_power_count(d)
        if pc > 0 {
            let pl = cosm_power_lon(d)!
            let pt = cosm_power_lat(d)!
            func ptag(_ i: Int, _ t: cosm_power_tag) -> String {
                String(cString: cosm_power_tag(d, i, Int32(t.rawValue)))
            }
            for i in 0..<pc {
                let p = proj.forward(longitude: pl[i], latitude: pt[i])
                power.append(
                    PowerFeature(
                        x: p.x, y: p.y, power: ptag(i, COSM_POWER), substation: ptag(i, COSM_SUBSTATION),
                        voltage: ptag(i, COSM_VOLTAGE), name: ptag(i, COSM_POWER_NAME)))
            }
        }
        var roadLines: [(width: Double, line: [(x: Double, y: Double)])] = []
        for w in road {
            let t = roadTypes[tag(w, COSM_HIGHWAY)]!
            let lanesTotal = Double(tag(w, COSM_LANES)) ?? (t.oneway ? t.lanes : 2 * t.lanes)
            let line = (Int(start[w])..<Int(start[w + 1])).map { k -> (x: Double, y: Double) in
                let p = proj.forward(longitude: lon![k], latitude: lat![k])
                return (p.x, p.y)
            }
            roadLines.append((max(3, 3.25 * lanesTotal), line))
        }
        return Result(
            network: net, buildings: buildings, projection: proj, geometry: k.geom, droppedLinks: lid.count - m,
            restrictions: matched, unmatchedRestrictions: unmatched, areas: areas, roadLines: roadLines, power: power)
    }

    /// Nodes in the largest strongly connected component (iterative Kosaraju).
    static func largestStronglyConnected(_ net: RoadNetwork) -> [Bool] {
        let n = net.nodeCount
        var order: [Int] = []
        var seen = [Bool](repeating: false, count: n)
        for s in 0..<n where !seen[s] {
            var stack: [(Int, Int)] = [(s, Int(net.outStart[s]))]
            seen[s] = true
            while let (v, e0) = stack.popLast() {
                var e = e0
                if e < Int(net.outStart[v + 1]) {
                    let w = Int(net.to[Int(net.outLinks[e])])
                    e += 1
                    stack.append((v, e))
                    if !seen[w] {
                        seen[w] = true
                        stack.append((w, Int(net.outStart[w])))
                    }
                } else {
                    order.append(v)
                }
            }
        }
        // reverse graph
        var rstart = [Int](repeating: 0, count: n + 1)
        for a in 0..<net.linkCount { rstart[Int(net.to[a]) + 1] += 1 }
        for v in 0..<n { rstart[v + 1] += rstart[v] }
        var fill = rstart
        var rfrom = [Int](repeating: 0, count: net.linkCount)
        for a in 0..<net.linkCount {
            let t = Int(net.to[a])
            rfrom[fill[t]] = Int(net.from[a])
            fill[t] += 1
        }
        var comp = [Int](repeating: -1, count: n)
        var sizes: [Int] = []
        for s in order.reversed() where comp[s] < 0 {
            let c = sizes.count
            var size = 0
            var stack = [s]
            comp[s] = c
            while let v = stack.popLast() {
                size += 1
                for e in rstart[v]..<rstart[v + 1] {
                    let w = rfrom[e]
                    if comp[w] < 0 {
                        comp[w] = c
                        stack.append(w)
                    }
                }
            }
            sizes.append(size)
        }
        guard let best = sizes.indices.max(by: { sizes[$0] < sizes[$1] }) else {
            return [Bool](repeating: false, count: n)
        }
        return comp.map { $0 == best }
    }
}
