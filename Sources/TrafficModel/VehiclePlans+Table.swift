import SimCore

/// Vehicles as a CSV table (`population/vehicles.csv`): `id,depart_s,route`, the route as the links' ids
/// separated by spaces. A `>` between two links stands for the fastest free-flow path between them (filled in
/// when the table is read), so a population can be stored as origin and destination links only:
/// `p7_0,28800,4013203-3f > 40071-1b`.
extension VehiclePlans {
    public static let header = "id,depart_s,route"
    /// The latest departure a table may give (s): 100 years, the longest run a job may ask for.
    public static let maxDepartSeconds = SimDuration.maximum.seconds

    /// With `endpointsOnly`, each route is written as `first > last` (for routes that are the free-flow fastest
    /// path between their end links, which reading restores exactly).
    public func csv(on net: RoadNetwork, endpointsOnly: Bool = false) -> String {
        var s = Self.header + "\n"
        s.reserveCapacity(count * 64)
        for i in 0..<count {
            s += ids[i]
            s += ","
            s += "\(Double(depart[i]) / 1000)"
            s += ","
            let r = route(i)
            if endpointsOnly && r.count >= 2 {
                s += net.linkIDs[Int(r.first!)] + " > " + net.linkIDs[Int(r.last!)] + "\n"
                continue
            }
            var first = true
            for a in route(i) {
                if !first { s += " " }
                s += net.linkIDs[Int(a)]
                first = false
            }
            s += "\n"
        }
        return s
    }

    /// Reads the table (byte-level: a city's population has millions of route entries).
    public static func fromCSV(_ text: String, file: String, on net: RoadNetwork) throws -> VehiclePlans {
        var linkIndex: [String: Int32] = [:]
        linkIndex.reserveCapacity(net.linkCount)
        for (i, id) in net.linkIDs.enumerated() { linkIndex[id] = Int32(i) }
        var plans = VehiclePlans()
        var problems: [Diagnostic] = []
        var seen = Set<String>()
        let bytes = Array(text.utf8)
        let n = bytes.count
        var i = 0
        var lineNo = 0
        var route: [Int32] = []
        var gaps: [(vehicle: Int, at: Int, from: Int32, to: Int32)] = []
        func str(_ a: Int, _ b: Int) -> String { String(decoding: bytes[a..<b], as: UTF8.self) }
        while i < n {
            lineNo += 1
            var e = i
            while e < n && bytes[e] != 10 { e += 1 }
            var end = e
            if end > i && bytes[end - 1] == 13 { end -= 1 }  // CRLF
            defer { i = e + 1 }
            if lineNo == 1 {
                if str(i, end).trimmingCharacters(in: .whitespaces) != header {
                    throw InputError(
                        SourceLocation(file: file, line: 1), code: "E-PLAN-010",
                        message: "the first line must be the header '\(header)'")
                }
                continue
            }
            if end == i { continue }
            let loc = SourceLocation(file: file, line: lineNo)
            var c1 = i
            while c1 < end && bytes[c1] != 44 { c1 += 1 }
            var c2 = c1 + 1
            while c2 < end && bytes[c2] != 44 { c2 += 1 }
            guard c1 < end, c2 < end, let d = Double(str(c1 + 1, c2)), d >= 0, d <= maxDepartSeconds else {
                problems.append(
                    Diagnostic(
                        loc, code: "E-PLAN-011",
                        message:
                            "expected id,depart_s,route with depart_s a time in seconds from 0 to "
                            + "\(Int(maxDepartSeconds)) (100 years)"))
                if problems.count > 20 { break }
                continue
            }
            let id = str(i, c1)
            if !seen.insert(id).inserted {
                problems.append(
                    Diagnostic(loc, code: "E-PLAN-012", message: "vehicle id \(InputToken.quote(id)) appears twice"))
                if problems.count > 20 { break }
                continue
            }
            route.removeAll(keepingCapacity: true)
            var bad = false
            var gapAfter = false
            var t = c2 + 1
            while t < end {
                while t < end && bytes[t] == 32 { t += 1 }
                if t >= end { break }
                var u = t
                while u < end && bytes[u] != 32 { u += 1 }
                let tok = str(t, u)
                t = u
                if tok == ">" {
                    if route.isEmpty || gapAfter {
                        problems.append(
                            Diagnostic(
                                loc, code: "E-PLAN-016", message: "vehicle '\(id)': '>' must stand between two links"))
                        bad = true
                        break
                    }
                    gapAfter = true
                    continue
                }
                guard let a = linkIndex[tok] else {
                    problems.append(
                        Diagnostic(
                            loc, code: "E-PLAN-013",
                            message:
                                "vehicle \(InputToken.quote(id)) uses link \(InputToken.quote(tok)), which the network "
                                + "does not have",
                            hint: InputToken.isPlain(tok)
                                ? DidYouMean.suggest(tok, from: Array(net.linkIDs.prefix(200_000))).map {
                                    "did you mean '\($0)'?"
                                } : nil))
                    bad = true
                    break
                }
                if gapAfter {
                    gaps.append((plans.count, route.count, route.last!, a))
                    gapAfter = false
                } else if let p = route.last, net.to[Int(p)] != net.from[Int(a)] {
                    problems.append(
                        Diagnostic(
                            loc, code: "E-PLAN-014",
                            message: "vehicle '\(id)': link '\(tok)' does not start where '\(net.linkIDs[Int(p)])' ends"
                        ))
                    bad = true
                    break
                }
                route.append(a)
            }
            if gapAfter && !bad {
                problems.append(
                    Diagnostic(loc, code: "E-PLAN-016", message: "vehicle '\(id)': '>' must stand between two links"))
                bad = true
            }
            if bad { while gaps.last?.vehicle == plans.count { gaps.removeLast() } }
            if route.isEmpty && !bad {
                problems.append(Diagnostic(loc, code: "E-PLAN-015", message: "vehicle '\(id)' has an empty route"))
                bad = true
            }
            if bad {
                if problems.count > 20 { break }
                continue
            }
            plans.append(id: id, depart: Int64((d * 1000).rounded()), route: route)
        }
        if !problems.isEmpty { throw InputError(problems) }
        if gaps.isEmpty { return plans }
        // fill the gaps: one search per link the gap starts from, in link order
        var fills = [[Int32]](repeating: [], count: gaps.count)
        var byLink: [Int32: [Int]] = [:]
        for (k, g) in gaps.enumerated() { byLink[g.from, default: []].append(k) }
        var tree = ShortestPathTree(nodeCount: net.nodeCount)
        for (from, ks) in byLink.sorted(by: { $0.key < $1.key }) {
            let found = net.freeFlowTime.withUnsafeBufferPointer {
                tree.linkRoutes(net, from: from, to: ks.map { gaps[$0].to }, cost: $0)
            }
            for (i, k) in ks.enumerated() {
                guard let r = found[i], r.count >= 2 else {
                    problems.append(
                        Diagnostic(
                            SourceLocation(file: file), code: "E-PLAN-017",
                            message:
                                "vehicle '\(plans.ids[gaps[k].vehicle])': no path from link '\(net.linkIDs[Int(gaps[k].from)])' to '\(net.linkIDs[Int(gaps[k].to)])'"
                        ))
                    continue
                }
                fills[k] = Array(r[1..<(r.count - 1)])
            }
        }
        if !problems.isEmpty { throw InputError(problems) }
        var out = VehiclePlans()
        var g = 0
        for v in 0..<plans.count {
            var r = Array(plans.route(v))
            var inserted = 0
            while g < gaps.count && gaps[g].vehicle == v {
                r.insert(contentsOf: fills[g], at: gaps[g].at + inserted)
                inserted += fills[g].count
                g += 1
            }
            out.append(id: plans.ids[v], depart: plans.depart[v], route: r)
        }
        return out
    }
}
