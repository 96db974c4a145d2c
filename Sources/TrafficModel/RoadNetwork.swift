import Foundation
import SimCore

/// A directed road network, struct-of-arrays: node and link attributes in parallel arrays indexed by dense ids
/// (`Int32`), outgoing links in compressed-sparse-row form. Times are seconds, lengths metres, speeds m/s,
/// capacities vehicles per hour.
///
/// Nodes `0..<zoneCount` are zones (trip ends, e.g. TNTP centroids); when `zonesAreThrough` is false a path may
/// start or end at a zone but not pass through one.
public struct RoadNetwork: Sendable {
    public var nodeIDs: [String]
    public var nodeX: [Double], nodeY: [Double]
    public var zoneCount: Int
    public var zonesAreThrough: Bool

    public var linkIDs: [String]
    public var from: [Int32], to: [Int32]
    public var length: [Double]
    public var lanes: [Double]
    public var freeSpeed: [Double]
    public var capacity: [Double]
    public var freeFlowTime: [Double]
    /// BPR volume-delay t = t0 (1 + α (x/c)^β) (Bureau of Public Roads 1964).
    public var bprAlpha: [Double], bprBeta: [Double]
    /// Time-independent generalised-cost term of a link (s), e.g. weighted toll and distance.
    public var fixedCost: [Double]

    /// Each link's shape (model CRS), points `shapeStart[a] ..< shapeStart[a + 1]` of shapeX/shapeY, from its start
    /// to its end node; empty: straight lines between the end nodes (see `linkShapes`).
    public var shapeStart: [Int32] = []
    public var shapeX: [Double] = []
    public var shapeY: [Double] = []
    /// Signalised junctions (OSM `highway=traffic_signals`), per node; empty: no signals in the model.
    public var nodeSignal: [Bool] = []
    public var signalCount: Int { nodeSignal.reduce(0) { $0 + ($1 ? 1 : 0) } }

    /// Outgoing links of node v: `outLinks[outStart[v] ..< outStart[v + 1]]`.
    public private(set) var outStart: [Int32] = []
    public private(set) var outLinks: [Int32] = []
    /// Turns that may not be made: the links that may not follow link a are
    /// `bannedTo[bannedStart[a] ..< bannedStart[a + 1]]` (empty arrays: no restrictions).
    public private(set) var bannedStart: [Int32] = []
    public private(set) var bannedTo: [Int32] = []
    public var hasTurnRestrictions: Bool { !bannedTo.isEmpty }

    public var nodeCount: Int { nodeIDs.count }
    public var linkCount: Int { from.count }

    public init(
        nodeIDs: [String], nodeX: [Double]? = nil, nodeY: [Double]? = nil, zoneCount: Int, zonesAreThrough: Bool,
        linkIDs: [String], from: [Int32], to: [Int32], length: [Double], lanes: [Double], freeSpeed: [Double],
        capacity: [Double], freeFlowTime: [Double], bprAlpha: [Double], bprBeta: [Double], fixedCost: [Double]
    ) {
        self.nodeIDs = nodeIDs
        self.nodeX = nodeX ?? [Double](repeating: 0, count: nodeIDs.count)
        self.nodeY = nodeY ?? [Double](repeating: 0, count: nodeIDs.count)
        self.zoneCount = zoneCount
        self.zonesAreThrough = zonesAreThrough
        self.linkIDs = linkIDs
        self.from = from
        self.to = to
        self.length = length
        self.lanes = lanes
        self.freeSpeed = freeSpeed
        self.capacity = capacity
        self.freeFlowTime = freeFlowTime
        self.bprAlpha = bprAlpha
        self.bprBeta = bprBeta
        self.fixedCost = fixedCost
        buildAdjacency()
    }

    /// Sets the banned turns (from link, to link); pairs that are not a turn at a node are ignored.
    public mutating func setBannedTurns(_ pairs: [(from: Int32, to: Int32)]) {
        let valid = pairs.filter {
            $0.from >= 0 && $0.to >= 0 && Int($0.from) < linkCount && Int($0.to) < linkCount
                && to[Int($0.from)] == from[Int($0.to)]
        }
        guard !valid.isEmpty else {
            bannedStart = []
            bannedTo = []
            return
        }
        let sorted = Array(Set(valid.map { Int64($0.from) << 32 | Int64($0.to) })).sorted()
        var start = [Int32](repeating: 0, count: linkCount + 1)
        for k in sorted { start[Int(k >> 32) + 1] += 1 }
        for a in 0..<linkCount { start[a + 1] += start[a] }
        bannedStart = start
        bannedTo = sorted.map { Int32(truncatingIfNeeded: $0 & 0xFFFF_FFFF) }
    }

    /// Whether turning from link a into link b is banned.
    @inline(__always) public func isBanned(_ a: Int, _ b: Int) -> Bool {
        guard !bannedTo.isEmpty else { return false }
        for k in Int(bannedStart[a])..<Int(bannedStart[a + 1]) where Int(bannedTo[k]) == b { return true }
        return false
    }

    /// Banned turns as pairs.
    public var bannedTurns: [(from: Int32, to: Int32)] {
        guard !bannedTo.isEmpty else { return [] }
        var out: [(Int32, Int32)] = []
        for a in 0..<linkCount {
            for k in Int(bannedStart[a])..<Int(bannedStart[a + 1]) { out.append((Int32(a), bannedTo[k])) }
        }
        return out
    }

    /// Rebuilds the CSR adjacency (links keep their order within a node: stable, so results are reproducible).
    public mutating func buildAdjacency() {
        let n = nodeCount
        var start = [Int32](repeating: 0, count: n + 1)
        for f in from { start[Int(f) + 1] += 1 }
        for v in 0..<n { start[v + 1] += start[v] }
        var fill = start
        var links = [Int32](repeating: 0, count: linkCount)
        for a in 0..<linkCount {
            let f = Int(from[a])
            links[Int(fill[f])] = Int32(a)
            fill[f] += 1
        }
        outStart = start
        outLinks = links
    }

    /// Problems that make the network unusable, each with the link or node it concerns.
    /// Physical ranges of link attributes: metres, lanes, m/s, veh/h, s, BPR α/β, s.
    public static let lengthRange = 0.0...1e6
    public static let lanesRange = 0.1...100.0
    public static let speedRange = 1e-6...200.0
    public static let capacityRange = 0.0...1e7
    public static let timeRange = 0.0...1e7
    public static let alphaRange = 0.0...100.0
    public static let betaRange = 1.0...100.0

    /// Problems of the network (located at `origin`, or at each link's line of `lines` when given).
    public func validate(origin: SourceLocation, lines: [Int]? = nil) -> [Diagnostic] {
        var out: [Diagnostic] = []
        let n = Int32(nodeCount)
        let arrays: [(String, Int)] = [
            ("to", to.count), ("length", length.count), ("lanes", lanes.count),
            ("free speed", freeSpeed.count), ("capacity", capacity.count),
            ("free-flow time", freeFlowTime.count), ("BPR alpha", bprAlpha.count),
            ("BPR beta", bprBeta.count), ("fixed cost", fixedCost.count), ("link ids", linkIDs.count),
        ]
        for (name, c) in arrays where c != linkCount {
            out.append(
                Diagnostic(
                    origin, code: "E-NET-001", message: "network has \(linkCount) links but \(c) values of \(name)"))
        }
        if !out.isEmpty { return out }
        for a in 0..<linkCount {
            let id = InputToken.quote(linkIDs[a])
            var at = origin
            if let lines, a < lines.count { at.line = lines[a] }
            if from[a] < 0 || from[a] >= n || to[a] < 0 || to[a] >= n {
                out.append(
                    Diagnostic(at, code: "E-NET-002", message: "link \(id) refers to a node that does not exist"))
                continue
            }
            func check(_ v: Double, _ range: ClosedRange<Double>, _ code: String, _ what: String, _ hint: String) {
                if !range.contains(v) {
                    out.append(
                        Diagnostic(
                            at, code: code, message: "link \(id) has \(what) \(v); it must lie in \(range)", hint: hint)
                    )
                }
            }
            check(length[a], Self.lengthRange, "E-NET-007", "length", "lengths are in metres")
            check(lanes[a], Self.lanesRange, "E-NET-008", "lanes", "a road has at least one lane")
            check(freeSpeed[a], Self.speedRange, "E-NET-009", "free speed", "speeds are in m/s")
            if !(capacity[a] > 0) || !Self.capacityRange.contains(capacity[a]) {
                out.append(
                    Diagnostic(
                        at, code: "E-NET-003", message: "link \(id) has capacity \(capacity[a]); it must be > 0",
                        hint: "give every link a positive capacity in veh/h"))
            }
            check(freeFlowTime[a], Self.timeRange, "E-NET-004", "free-flow time", "times are in seconds")
            if !Self.alphaRange.contains(bprAlpha[a]) || !Self.betaRange.contains(bprBeta[a]) {
                out.append(
                    Diagnostic(
                        at, code: "E-NET-005",
                        message: "link \(id) has BPR alpha \(bprAlpha[a]) and beta \(bprBeta[a])",
                        hint: "alpha must be in 0...100 and beta in 1...100 (usual: 0.15 and 4)"))
            }
            check(fixedCost[a], Self.timeRange, "E-NET-006", "fixed cost", "a fixed cost is seconds, >= 0")
            if out.count > 50 {
                out.append(Diagnostic(origin, code: "E-NET-000", message: "more problems not listed"))
                break
            }
        }
        return out
    }
}

/// Trips between zones: for origin zone `origins[i]`, destinations `dest[start[i] ..< start[i + 1]]` with
/// `trips[...]` vehicles (per hour for static assignment).
public struct ODMatrix: Sendable {
    public var origins: [Int32]
    public var start: [Int32]
    public var dest: [Int32]
    public var trips: [Double]
    public init(origins: [Int32], start: [Int32], dest: [Int32], trips: [Double]) {
        self.origins = origins
        self.start = start
        self.dest = dest
        self.trips = trips
    }
    public var pairCount: Int { dest.count }
    public var total: Double { trips.reduce(0, +) }
}

extension RoadNetwork {
    /// The network with only the links for which `keep` is true, in their order, every column kept: attributes,
    /// ids, the banned turns between kept links; adjacency rebuilt. Also the new index of every old link (−1:
    /// removed). The one way links are taken out of a network, so no column can be forgotten.
    public func keepingLinks(_ keep: (Int) -> Bool) -> (network: RoadNetwork, newIndex: [Int32]) {
        var newIndex = [Int32](repeating: -1, count: linkCount)
        var kept: [Int] = []
        for a in 0..<linkCount where keep(a) {
            newIndex[a] = Int32(kept.count)
            kept.append(a)
        }
        var net = RoadNetwork(
            nodeIDs: nodeIDs, nodeX: nodeX, nodeY: nodeY, zoneCount: zoneCount, zonesAreThrough: zonesAreThrough,
            linkIDs: kept.map { linkIDs[$0] }, from: kept.map { from[$0] }, to: kept.map { to[$0] },
            length: kept.map { length[$0] }, lanes: kept.map { lanes[$0] }, freeSpeed: kept.map { freeSpeed[$0] },
            capacity: kept.map { capacity[$0] }, freeFlowTime: kept.map { freeFlowTime[$0] },
            bprAlpha: kept.map { bprAlpha[$0] }, bprBeta: kept.map { bprBeta[$0] },
            fixedCost: kept.map { fixedCost[$0] })
        net.nodeSignal = nodeSignal
        if !shapeStart.isEmpty {
            var st: [Int32] = [0]
            for a in kept {
                for k in Int(shapeStart[a])..<Int(shapeStart[a + 1]) {
                    net.shapeX.append(shapeX[k])
                    net.shapeY.append(shapeY[k])
                }
                st.append(Int32(net.shapeX.count))
            }
            net.shapeStart = st
        }
        net.setBannedTurns(
            bannedTurns.compactMap { t in
                let f = newIndex[Int(t.from)]
                let g = newIndex[Int(t.to)]
                return f >= 0 && g >= 0 ? (f, g) : nil
            })
        return (net, newIndex)
    }

    /// Appends a link (a new road), keeping the adjacency and the turn restrictions valid for it (it has none).
    public mutating func appendLink(
        id: String, from f: Int32, to t: Int32, length len: Double, lanes l: Double, freeSpeed v: Double,
        capacity c: Double, bprAlpha alpha: Double = 0.15, bprBeta beta: Double = 4, fixedCost fc: Double = 0
    ) {
        let turns = bannedTurns
        if !shapeStart.isEmpty {
            shapeX += [nodeX[Int(f)], nodeX[Int(t)]]
            shapeY += [nodeY[Int(f)], nodeY[Int(t)]]
            shapeStart.append(Int32(shapeX.count))
        }
        linkIDs.append(id)
        from.append(f)
        to.append(t)
        length.append(len)
        lanes.append(l)
        freeSpeed.append(v)
        capacity.append(c)
        freeFlowTime.append(len / v)
        bprAlpha.append(alpha)
        bprBeta.append(beta)
        fixedCost.append(fc)
        buildAdjacency()
        setBannedTurns(turns)
    }
}

extension RoadNetwork {
    /// Every link's polyline (the shape when the model has one, else the straight line between its nodes), as
    /// CSR arrays: points `start[a] ..< start[a + 1]`.
    public var linkShapes: (start: [Int32], x: [Double], y: [Double]) {
        if !shapeStart.isEmpty { return (shapeStart, shapeX, shapeY) }
        var start: [Int32] = [0]
        var x: [Double] = []
        var y: [Double] = []
        for a in 0..<linkCount {
            x += [nodeX[Int(from[a])], nodeX[Int(to[a])]]
            y += [nodeY[Int(from[a])], nodeY[Int(to[a])]]
            start.append(Int32(x.count))
        }
        return (start, x, y)
    }

    /// Reads link shapes as `id,wkt` rows (`"LINESTRING (x y, x y, ...)"`); links without a row keep a straight
    /// line. Unknown ids, malformed or non-finite coordinates are located errors.
    public mutating func readShapes(_ text: String, file: String) throws {
        var index: [String: Int] = [:]
        for (i, id) in linkIDs.enumerated() { index[id] = i }
        var shapes = [[(Double, Double)]?](repeating: nil, count: linkCount)
        var problems: [Diagnostic] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if n == 0 {
                guard line == "id,wkt" else {
                    throw InputError(
                        SourceLocation(file: file, line: 1), code: "E-NET-040",
                        message: "the first line must be the header 'id,wkt'")
                }
                continue
            }
            if line.isEmpty { continue }
            let loc = SourceLocation(file: file, line: n + 1)
            guard let comma = line.firstIndex(of: ",") else {
                problems.append(Diagnostic(loc, code: "E-NET-041", message: "expected id,\"LINESTRING (...)\""))
                continue
            }
            let id = String(line[..<comma])
            guard let a = index[id] else {
                problems.append(
                    Diagnostic(loc, code: "E-NET-042", message: "link \(InputToken.quote(id)) is not in the network"))
                if problems.count > 20 { break }
                continue
            }
            var wkt = line[line.index(after: comma)...].trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
            guard wkt.hasPrefix("LINESTRING"), let open = wkt.firstIndex(of: "("), wkt.hasSuffix(")") else {
                problems.append(Diagnostic(loc, code: "E-NET-041", message: "expected a WKT LINESTRING"))
                continue
            }
            wkt = String(wkt[wkt.index(after: open)..<wkt.index(before: wkt.endIndex)])
            var pts: [(Double, Double)] = []
            var ok = true
            for pair in wkt.split(separator: ",") {
                let xy = pair.split(separator: " ").compactMap { Double($0) }
                guard xy.count == 2, abs(xy[0]) <= Self.maxCoordinate, abs(xy[1]) <= Self.maxCoordinate else {
                    ok = false
                    break
                }
                pts.append((xy[0], xy[1]))
            }
            guard ok, pts.count >= 2 else {
                problems.append(
                    Diagnostic(loc, code: "E-NET-043", message: "a shape needs at least two finite x y points"))
                continue
            }
            shapes[a] = pts
        }
        if !problems.isEmpty { throw InputError(problems) }
        var st: [Int32] = [0]
        shapeX = []
        shapeY = []
        for a in 0..<linkCount {
            let pts =
                shapes[a] ?? [(nodeX[Int(from[a])], nodeY[Int(from[a])]), (nodeX[Int(to[a])], nodeY[Int(to[a])])]
            for (x, y) in pts {
                shapeX.append(x)
                shapeY.append(y)
            }
            st.append(Int32(shapeX.count))
        }
        shapeStart = st
    }
}
