import SimCore

/// What a job says about one coupling (`couplings: {flood_energy: {...}}`).
public struct CouplingSetting: Sendable, Equatable {
    public var enabled = true
    /// The value of consumer elements the provider's site does not cover (nil: they are an error).
    public var outside: Double?
    /// Where the setting was written, for messages.
    public var location: SourceLocation?
    public init(enabled: Bool = true, outside: Double? = nil, location: SourceLocation? = nil) {
        self.enabled = enabled
        self.outside = outside
        self.location = location
    }
}

/// One coupling: a provider's field sampled on a consumer's site. The map is computed once: consumer element k
/// reads the provider's elements `index[start[k] ..< start[k + 1]]` and takes their maximum (one element: its
/// value; none: `outside`). Only these values are read at an exchange, never a whole grid.
public struct Coupling: Sendable {
    /// `<provider>_<consumer>`, e.g. `flood_energy` (the job's `couplings:` key).
    public let name: String
    public let field: ExchangeField
    public let provider: Int
    public let consumer: Int
    let start: [Int32]
    let index: [Int32]
    let outside: Double
    /// The exchange buffer: the consumer's values as of the last exchange (checkpointed).
    public internal(set) var values: [Double]
    var scratch: [Double]

    /// Couplings of `domains`: every required field joined to the domain that provides it, unless the job
    /// switched it off. Unknown settings and sites the provider does not cover are located errors. `switchedOff`:
    /// couplings the caller already left out of the consumer's model (it then requires nothing), valid keys.
    public static func connect(
        _ domains: [any DomainModel], settings: [String: CouplingSetting] = [:], origin: SourceLocation,
        switchedOff: [String] = []
    ) throws -> [Coupling] {
        var out: [Coupling] = []
        var problems: [Diagnostic] = []
        var possible: [String] = switchedOff
        for (c, consumer) in domains.enumerated() {
            for need in consumer.requires {
                guard let p = domains.firstIndex(where: { $0.name == need.provider }), p != c,
                    let offer = domains[p].provides.first(where: { $0.name == need.name })
                else { continue }
                let name = need.provider + "_" + consumer.name
                possible.append(name)
                let setting = settings[name] ?? CouplingSetting()
                guard setting.enabled else { continue }
                guard offer.units == need.units else {
                    problems.append(
                        Diagnostic(
                            origin, code: "E-COUPLE-001", keyPath: "couplings.\(name)",
                            message: "\(need.name) is provided in \(offer.units) but required in \(need.units)"))
                    continue
                }
                let map = CouplingMap.build(from: offer.site, to: need.site)
                if !map.uncovered.isEmpty && setting.outside == nil {
                    let ids = map.uncovered.prefix(5).map { InputToken.quote(need.site.id($0)) }
                    problems.append(
                        Diagnostic(
                            setting.location ?? origin, code: "E-COUPLE-002", keyPath: "couplings.\(name)",
                            message:
                                "\(map.uncovered.count) of \(need.site.count) \(consumer.name) elements lie outside "
                                + "what \(need.provider) covers (\(ids.joined(separator: ", "))"
                                + "\(map.uncovered.count > 5 ? ", …" : ""))",
                            hint:
                                "extend the \(need.provider) model, or set couplings.\(name).outside to the value "
                                + "they should see (e.g. 0)"))
                    continue
                }
                out.append(
                    Coupling(
                        name: name, field: need, provider: p, consumer: c, start: map.start, index: map.index,
                        outside: setting.outside ?? 0,
                        values: [Double](repeating: setting.outside ?? 0, count: need.site.count),
                        scratch: [Double](repeating: 0, count: map.index.count)))
            }
        }
        for (name, s) in settings.sorted(by: { $0.key < $1.key }) where !possible.contains(name) {
            let hint =
                DidYouMean.suggest(name, from: possible).map { "did you mean '\($0)'?" }
                ?? (possible.isEmpty
                    ? "this job's domains have no couplings"
                    : "this job's couplings: \(possible.joined(separator: ", "))")
            problems.append(
                Diagnostic(
                    s.location ?? origin, code: "E-COUPLE-003", keyPath: "couplings.\(name)",
                    message: "no coupling '\(name)' between this job's domains", hint: hint))
        }
        if !problems.isEmpty { throw InputError(problems) }
        return out
    }

    /// Reads the mapped values from the provider into the buffer (the hand-over is `deliver`).
    mutating func gather(_ domains: [any DomainModel]) {
        domains[provider].read(field.name, at: index, into: &scratch)
        for k in 0..<values.count {
            let a = Int(start[k])
            let b = Int(start[k + 1])
            if a == b {
                values[k] = outside
                continue
            }
            var m = scratch[a]
            for i in (a + 1)..<b where scratch[i] > m { m = scratch[i] }
            values[k] = m
        }
    }

    func deliver(_ domains: [any DomainModel]) { domains[consumer].receive(field.name, values) }

    /// True if the exchange is due at the end of a tick from `before` to `now`.
    func due(before: SimTime, now: SimTime) -> Bool {
        guard let i = field.interval?.milliseconds, i > 0 else { return true }
        return now.milliseconds / i > before.milliseconds / i
    }
}

extension FieldSite {
    /// The id of element k (for messages).
    func id(_ k: Int) -> String {
        switch self {
        case .cells(let g): "cell \(k % max(g.nx, 1)),\(k / max(g.nx, 1))"
        case .points(let ids, _, _), .lines(let ids, _, _, _), .entities(let ids): ids[k]
        }
    }
}

/// How a consumer's site samples a provider's: which provider elements each consumer element reads.
public enum CouplingMap {
    /// CSR lists (consumer element k reads `index[start[k] ..< start[k + 1]]`) and the consumer elements the
    /// provider does not cover.
    public static func build(from provider: FieldSite, to consumer: FieldSite) -> (
        start: [Int32], index: [Int32], uncovered: [Int]
    ) {
        var start: [Int32] = [0]
        var index: [Int32] = []
        var uncovered: [Int] = []
        func close(_ k: Int) {
            if Int(start.last!) == index.count { uncovered.append(k) }
            start.append(Int32(index.count))
        }
        switch (provider, consumer) {
        case (.cells(let g), .points(_, let x, let y)):
            // the cell that contains each point
            for k in x.indices {
                if let c = g.cell(x: x[k], y: y[k]) { index.append(Int32(g.index(c.i, c.j))) }
                close(k)
            }
        case (.cells(let g), .lines(_, let ls, let x, let y)):
            // every cell a polyline passes through (sampled at a fifth of a cell along each segment)
            for k in 0..<(ls.count - 1) {
                var seen = Set<Int32>()
                var cells: [Int32] = []
                let a = Int(ls[k])
                let b = Int(ls[k + 1])
                func visit(_ px: Double, _ py: Double) {
                    if let c = g.cell(x: px, y: py) {
                        let i = Int32(g.index(c.i, c.j))
                        if seen.insert(i).inserted { cells.append(i) }
                    }
                }
                if b - a == 1 { visit(x[a], y[a]) }
                if b - a >= 2 {
                    for s in a..<(b - 1) {
                        let len = ((x[s + 1] - x[s]) * (x[s + 1] - x[s]) + (y[s + 1] - y[s]) * (y[s + 1] - y[s]))
                            .squareRoot()
                        let n = max(1, Int((len / (g.cellSize / 5)).rounded(.up)))
                        for t in 0...n {
                            let f = Double(t) / Double(n)
                            visit(x[s] + f * (x[s + 1] - x[s]), y[s] + f * (y[s + 1] - y[s]))
                        }
                    }
                }
                index += cells.sorted()
                close(k)
            }
        case (.cells(let pg), .cells(let cg)):
            // the provider cell under each consumer cell's centre
            for j in 0..<cg.ny {
                for i in 0..<cg.nx {
                    if let c = pg.cell(x: cg.xCenter(i), y: cg.yCenter(j)) { index.append(Int32(pg.index(c.i, c.j))) }
                    close(cg.index(i, j))
                }
            }
        case (.points(_, let px, let py), .points(_, let x, let y)):
            // the nearest provider point (ties: the lower index)
            for k in x.indices {
                var best = -1
                var bd = Double.infinity
                for q in px.indices {
                    let d = (px[q] - x[k]) * (px[q] - x[k]) + (py[q] - y[k]) * (py[q] - y[k])
                    if d < bd {
                        bd = d
                        best = q
                    }
                }
                if best >= 0 { index.append(Int32(best)) }
                close(k)
            }
        case (.entities(let pids), .entities(let ids)), (.points(let pids, _, _), .entities(let ids)),
            (.entities(let pids), .points(let ids, _, _)), (.lines(let pids, _, _, _), .entities(let ids)):
            // the same id
            var at: [String: Int32] = [:]
            for (q, id) in pids.enumerated() where at[id] == nil { at[id] = Int32(q) }
            for (k, id) in ids.enumerated() {
                if let q = at[id] { index.append(q) }
                close(k)
            }
        default:
            for k in 0..<consumer.count { close(k) }
        }
        return (start, index, uncovered)
    }
}
