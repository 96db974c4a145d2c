import SimCore

/// The network as CSV tables, the model-directory format (`network/nodes.csv`, `network/links.csv`,
/// `demand/od.csv`): plain text that GIS tools and spreadsheets read, numbers printed so they read back to the
/// same bits.
extension RoadNetwork {
    public static let nodeHeader = "id,x,y,zone"
    /// The node table with its `signal` column (1: a signalised junction); tables without it have no signals.
    public static let nodeSignalHeader = "id,x,y,zone,signal"
    /// Node coordinates beyond this (in metres or degrees) are not a place on Earth in any CRS we read.
    static let maxCoordinate = 1e8
    public static let linkHeader =
        "id,from,to,length_m,lanes,free_speed_mps,capacity_vph,free_flow_time_s,bpr_alpha,bpr_beta,fixed_cost_s"

    public func nodesCSV() -> String {
        let signals = !nodeSignal.isEmpty
        var s = (signals ? Self.nodeSignalHeader : Self.nodeHeader) + "\n"
        for v in 0..<nodeCount {
            s += "\(nodeIDs[v]),\(nodeX[v]),\(nodeY[v]),\(v < zoneCount ? 1 : 0)"
            s += signals ? (nodeSignal[v] ? ",1\n" : ",0\n") : "\n"
        }
        return s
    }

    public func linksCSV() -> String {
        var s = Self.linkHeader + "\n"
        for a in 0..<linkCount {
            s +=
                "\(linkIDs[a]),\(nodeIDs[Int(from[a])]),\(nodeIDs[Int(to[a])]),\(length[a]),\(lanes[a]),\(freeSpeed[a]),"
            s += "\(capacity[a]),\(freeFlowTime[a]),\(bprAlpha[a]),\(bprBeta[a]),\(fixedCost[a])\n"
        }
        return s
    }

    public func odCSV(_ od: ODMatrix) -> String {
        var s = "origin,destination,trips\n"
        for (i, o) in od.origins.enumerated() {
            for k in Int(od.start[i])..<Int(od.start[i + 1]) {
                s += "\(nodeIDs[Int(o)]),\(nodeIDs[Int(od.dest[k])]),\(od.trips[k])\n"
            }
        }
        return s
    }

    /// Rows of a CSV text with their 1-based line numbers; checks the header.
    static func rows(_ text: String, file: String, header: String) throws -> [(line: Int, fields: [Substring])] {
        try rows(text, file: file, headers: [header]).rows
    }

    /// Rows of a CSV text whose header is one of `headers` (which one is returned).
    static func rows(
        _ text: String, file: String, headers: [String]
    ) throws -> (header: String, rows: [(line: Int, fields: [Substring])]) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map {
            ($0.offset + 1, $0.element)
        }
        while let l = lines.last, l.1.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        let found = lines.first.map { $0.1.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard let header = headers.first(where: { $0 == found }) else {
            throw InputError(
                SourceLocation(file: file, line: 1), code: "E-NET-010",
                message: "the first line must be the header '\(headers.joined(separator: "' or '"))'",
                hint: "files made by 'citytwin import' have it; keep the columns in this order")
        }
        let want = header.split(separator: ",").count
        var out: [(Int, [Substring])] = []
        for (n, l) in lines.dropFirst() {
            let f = l.trimmingCharacters(in: .whitespacesAndNewlines).split(
                separator: ",", omittingEmptySubsequences: false
            ).map { Substring($0) }
            guard f.count == want else {
                throw InputError(
                    SourceLocation(file: file, line: n), code: "E-NET-011",
                    message: "expected \(want) comma-separated values, found \(f.count)")
            }
            out.append((n, f))
        }
        return (header, out)
    }

    /// Reads `nodes.csv` and `links.csv` (texts and their paths for messages).
    public static func fromCSV(
        nodes: String, nodesFile: String, links: String, linksFile: String, zonesAreThrough: Bool
    ) throws -> RoadNetwork {
        var problems: [Diagnostic] = []
        var ids: [String] = []
        var xs: [Double] = []
        var ys: [Double] = []
        var index: [String: Int32] = [:]
        var zones = 0
        var zonesDone = false
        var signal: [Bool] = []
        let table = try rows(nodes, file: nodesFile, headers: [nodeHeader, nodeSignalHeader])
        let hasSignals = table.header == nodeSignalHeader
        for (n, f) in table.rows {
            let loc = SourceLocation(file: nodesFile, line: n)
            let id = String(f[0])
            let sig = hasSignals ? Int(f[4]) : 0
            guard let x = Double(f[1]), let y = Double(f[2]), abs(x) <= maxCoordinate, abs(y) <= maxCoordinate,
                let z = Int(f[3]), z == 0 || z == 1, sig == 0 || sig == 1
            else {
                problems.append(
                    Diagnostic(
                        loc, code: "E-NET-012",
                        message: "node \(InputToken.quote(id)): x and y must be finite coordinates, zone 0 or 1"
                            + (hasSignals ? " and signal 0 or 1" : "")))
                if problems.count > 20 { break }
                continue
            }
            if index[id] != nil {
                problems.append(
                    Diagnostic(loc, code: "E-NET-013", message: "node id \(InputToken.quote(id)) appears twice"))
                if problems.count > 20 { break }
                continue
            }
            if z == 1 {
                if zonesDone {
                    problems.append(
                        Diagnostic(
                            loc, code: "E-NET-014", message: "zone node '\(id)' comes after ordinary nodes",
                            hint: "list the zones first"))
                }
                zones += 1
            } else {
                zonesDone = true
            }
            index[id] = Int32(ids.count)
            ids.append(id)
            xs.append(x)
            ys.append(y)
            signal.append(sig == 1)
        }
        // links refer to nodes: report bad nodes alone rather than every link that then refers to nothing
        if !problems.isEmpty { throw InputError(problems) }
        var lid: [String] = []
        var linkLines: [Int] = []
        var from: [Int32] = []
        var to: [Int32] = []
        var len: [Double] = []
        var lanes: [Double] = []
        var spd: [Double] = []
        var cap: [Double] = []
        var fft: [Double] = []
        var al: [Double] = []
        var be: [Double] = []
        var fc: [Double] = []
        var linkIndex = Set<String>()
        for (n, f) in try rows(links, file: linksFile, header: linkHeader) {
            let loc = SourceLocation(file: linksFile, line: n)
            let id = String(f[0])
            if !linkIndex.insert(id).inserted {
                problems.append(
                    Diagnostic(
                        loc, code: "E-NET-017", message: "link id \(InputToken.quote(id)) appears twice",
                        hint: "every link needs its own id; a later row would silently replace the first"))
                if problems.count > 20 { break }
                continue
            }
            guard let a = index[String(f[1])], let b = index[String(f[2])] else {
                let unknown = index[String(f[1])] == nil ? String(f[1]) : String(f[2])
                let hint =
                    InputToken.isPlain(unknown)
                    ? DidYouMean.suggest(unknown, from: Array(index.keys.sorted().prefix(100_000))).map {
                        "did you mean '\($0)'?"
                    } : nil
                problems.append(
                    Diagnostic(
                        loc, code: "E-NET-015",
                        message:
                            "link \(InputToken.quote(id)) refers to node \(InputToken.quote(unknown)), which nodes.csv "
                            + "does not have", hint: hint))
                if problems.count > 20 { break }
                continue
            }
            let v = f[3...].map { Double($0) }
            guard v.allSatisfy({ $0 != nil && $0!.isFinite }) else {
                problems.append(
                    Diagnostic(
                        loc, code: "E-NET-016",
                        message: "link \(InputToken.quote(id)): every value after 'to' must be a finite number"))
                if problems.count > 20 { break }
                continue
            }
            lid.append(id)
            linkLines.append(n)
            from.append(a)
            to.append(b)
            len.append(v[0]!)
            lanes.append(v[1]!)
            spd.append(v[2]!)
            cap.append(v[3]!)
            fft.append(v[4]!)
            al.append(v[5]!)
            be.append(v[6]!)
            fc.append(v[7]!)
        }
        if !problems.isEmpty { throw InputError(problems) }
        var net = RoadNetwork(
            nodeIDs: ids, nodeX: xs, nodeY: ys, zoneCount: zones, zonesAreThrough: zonesAreThrough,
            linkIDs: lid, from: from, to: to, length: len, lanes: lanes, freeSpeed: spd, capacity: cap,
            freeFlowTime: fft, bprAlpha: al, bprBeta: be, fixedCost: fc)
        if hasSignals { net.nodeSignal = signal }
        let d = net.validate(origin: SourceLocation(file: linksFile), lines: linkLines)
        if !d.isEmpty { throw InputError(d) }
        return net
    }

    /// Reads `od.csv` against this network's zones.
    public func odFromCSV(_ text: String, file: String) throws -> ODMatrix {
        var index: [String: Int] = [:]
        for v in 0..<zoneCount { index[nodeIDs[v]] = v }
        var byOrigin = [[(Int32, Double)]](repeating: [], count: zoneCount)
        var problems: [Diagnostic] = []
        for (n, f) in try Self.rows(text, file: file, header: "origin,destination,trips") {
            let loc = SourceLocation(file: file, line: n)
            guard let o = index[String(f[0])], let d = index[String(f[1])] else {
                let unknown = index[String(f[0])] == nil ? String(f[0]) : String(f[1])
                let hint =
                    DidYouMean.suggest(unknown, from: Array(index.keys.sorted())).map { "did you mean '\($0)'?" }
                    ?? "origins and destinations must be zones (zone = 1 in nodes.csv)"
                problems.append(
                    Diagnostic(loc, code: "E-NET-020", message: "'\(unknown)' is not a zone of the network", hint: hint)
                )
                if problems.count > 20 { break }
                continue
            }
            guard let t = Double(f[2]), t >= 0, t.isFinite else {
                problems.append(
                    Diagnostic(loc, code: "E-NET-021", message: "trips must be a number >= 0 (got '\(f[2])')"))
                continue
            }
            if t > 0 { byOrigin[o].append((Int32(d), t)) }
        }
        if !problems.isEmpty { throw InputError(problems) }
        var origins: [Int32] = []
        var start: [Int32] = [0]
        var dest: [Int32] = []
        var trips: [Double] = []
        for (o, pairs) in byOrigin.enumerated() where !pairs.isEmpty {
            origins.append(Int32(o))
            for (d, t) in pairs {
                dest.append(d)
                trips.append(t)
            }
            start.append(Int32(dest.count))
        }
        return ODMatrix(origins: origins, start: start, dest: dest, trips: trips)
    }

    /// Banned turns as `from_link,to_link` rows.
    public func turnsCSV() -> String {
        var s = "from_link,to_link\n"
        for t in bannedTurns { s += "\(linkIDs[Int(t.from)]),\(linkIDs[Int(t.to)])\n" }
        return s
    }

    /// Reads banned turns; each must be a turn at a node between two links of this network.
    public mutating func readBannedTurns(_ text: String, file: String) throws {
        var index: [String: Int32] = [:]
        for (i, id) in linkIDs.enumerated() { index[id] = Int32(i) }
        var pairs: [(from: Int32, to: Int32)] = []
        var problems: [Diagnostic] = []
        for (n, f) in try Self.rows(text, file: file, header: "from_link,to_link") {
            guard let a = index[String(f[0])], let b = index[String(f[1])] else {
                let unknown = index[String(f[0])] == nil ? String(f[0]) : String(f[1])
                problems.append(
                    Diagnostic(
                        SourceLocation(file: file, line: n), code: "E-NET-030",
                        message: "'\(unknown)' is not a link of the network",
                        hint: DidYouMean.suggest(unknown, from: Array(linkIDs.prefix(200_000))).map {
                            "did you mean '\($0)'?"
                        }))
                if problems.count > 20 { break }
                continue
            }
            guard to[Int(a)] == from[Int(b)] else {
                problems.append(
                    Diagnostic(
                        SourceLocation(file: file, line: n), code: "E-NET-031",
                        message: "'\(f[0])' → '\(f[1])' is not a turn: the links do not meet"))
                continue
            }
            pairs.append((a, b))
        }
        if !problems.isEmpty { throw InputError(problems) }
        setBannedTurns(pairs)
    }
}
