import Foundation
import SimCore
import SimIO
import Yams

/// Where alternatives differ: for every entity (link, vehicle, cell, bus, transformer, building) the paired mean
/// difference to the base over common seeds, its Student-t interval half-width and p-value, and significance after
/// Benjamini–Hochberg false-discovery control (Benjamini & Hochberg 1995) at `fdr` over the entities of a variable;
/// for floods also the extent contingency against the base at a depth threshold (hit rate H = a/(a+c), false
/// alarm ratio F = b/(a+b), critical success index CSI = a/(a+b+c), with a = wet in both, b = wet only in the
/// alternative, c = wet only in the base; Wing et al. 2017), and the newly wet and newly dry area.
public struct EntityComparison: Sendable {
    /// One per-entity variable of one alternative.
    public struct Variable: Sendable {
        public var domain: String, name: String, units: String, longName: String
        /// The entity dimension (`link`, `vehicle`, `bus`, ...), or `y, x` for a grid.
        public var dims: [String]
        public var ids: [String]?
        public var delta: [Double], halfWidth: [Double], p: [Double], meanBase: [Double]
        public var significant: [UInt8]
        public var significantCount: Int { significant.reduce(0) { $0 + Int($1) } }
        public var testedCount: Int
    }
    public struct Contingency: Sendable, Equatable {
        public var threshold: Double
        public var hitRate: Double, falseAlarmRatio: Double, criticalSuccessIndex: Double
        /// Mean over the common seeds (m²).
        public var newlyWetArea: Double, newlyDryArea: Double
    }
    public struct Alternative: Sendable {
        public var name: String, base: String
        public var variables: [Variable]
        public var contingency: Contingency?
        /// Resolved job keys that differ from the base's (key path, base value, this value).
        public var configuration: [(key: String, base: String, value: String)]
        /// The base's first result: where the comparison's CRS and entity geometries come from.
        public var baseResult: String?
    }
    public var alternatives: [Alternative]
    public var confidence: Double
    public var fdr: Double
    /// The x and y cell centres of the flood grid (from the base's first result), if any.
    public var gridX: [Double]?, gridY: [Double]?
    public var gridAttributes: [String: String] = [:]

    /// The ids of a result's entities, read only when needed: results whose id lists carry the same digest list
    /// the same ids in the same order.
    final class IDs: @unchecked Sendable {
        let path: String, group: String, dataset: String
        let digest: String?
        private var cached: [String]?
        init(path: String, group: String, dataset: String, digest: String?) {
            self.path = path
            self.group = group
            self.dataset = dataset
            self.digest = digest
        }
        func strings() throws -> [String] {
            if let cached { return cached }
            let s = try H5File.open(path).root.group(group).dataset(dataset).readStrings()
            cached = s
            return s
        }
        func same(as other: IDs) throws -> Bool {
            if let a = digest, let b = other.digest { return a == b }
            return try strings() == other.strings()
        }
    }

    typealias Field = (units: String, longName: String, dims: [String], ids: IDs?, values: [Double])

    /// The per-entity values of one result: variable → values (aligned by the ids, or the grid).
    struct Values {
        var fields: [String: Field] = [:]
        var order: [String] = []
        var x: [Double]?, y: [Double]?
        var xAttributes: [String: String] = [:]
        var jobYAML: String?

        mutating func add(
            _ domain: String, _ name: String, _ units: String, _ longName: String, dims: [String], ids: IDs?,
            _ values: [Double]
        ) {
            let key = domain + "/" + name
            order.append(key)
            fields[key] = (units, longName, dims, ids, values)
        }

        static func read(_ path: String) throws -> Values {
            var v = Values()
            let f = try H5File.open(path)
            let root = try f.root
            v.jobYAML = try root.stringAttribute("job_yaml")
            func ids(_ g: H5Group, _ group: String, _ name: String) throws -> IDs {
                let digest = try g.dataset(name).stringAttribute("digest")
                return IDs(path: path, group: group, dataset: name, digest: digest)
            }
            if try root.exists("traffic") {
                let g = try root.group("traffic")
                let links = try ids(g, "traffic", "link_id")
                let nl = try g.dataset("link_id").shape.reduce(1, *)
                if try g.exists("total_entries") {
                    let flow = try g.dataset("total_entries").read().doubles
                    v.add(
                        "traffic", "link_flow", "1", "vehicles that entered the link", dims: ["link"], ids: links, flow)
                }
                if try g.exists("mean_travel_time") && g.exists("exits") {
                    let tt = try g.dataset("mean_travel_time").read().doubles
                    let ex = try g.dataset("exits").read().doubles
                    var sum = [Double](repeating: 0, count: nl)
                    var w = [Double](repeating: 0, count: nl)
                    for k in 0..<min(tt.count, ex.count) where ex[k] > 0 && tt[k].isFinite {
                        sum[k % nl] += ex[k] * tt[k]
                        w[k % nl] += ex[k]
                    }
                    let mean = (0..<nl).map { w[$0] > 0 ? sum[$0] / w[$0] : .nan }
                    v.add(
                        "traffic", "link_travel_time", "s", "mean travel time of the vehicles that left the link",
                        dims: ["link"], ids: links, mean)
                }
                if try g.exists("vehicle_id") && g.exists("delay") {
                    let ids = try ids(g, "traffic", "vehicle_id")
                    let delay = try g.dataset("delay").read().doubles
                    v.add("traffic", "vehicle_delay", "s", "trip delay", dims: ["vehicle"], ids: ids, delay)
                    if try g.exists("travel_time") {
                        let tt = try g.dataset("travel_time").read().doubles
                        v.add(
                            "traffic", "vehicle_travel_time", "s", "trip travel time", dims: ["vehicle"], ids: ids, tt)
                    }
                }
            }
            if try root.exists("flood") {
                let g = try root.group("flood")
                v.x = try g.dataset("x").read().doubles
                v.y = try g.dataset("y").read().doubles
                if let crs = try g.dataset("x").stringAttribute("crs") { v.xAttributes["crs"] = crs }
                for (name, long, units) in [
                    ("max_depth", "maximum water depth", "m"),
                    ("arrival_time", "time of first inundation since start", "s"),
                ] where try g.exists(name) {
                    v.add("flood", name, units, long, dims: ["y", "x"], ids: nil, try g.dataset(name).read().doubles)
                }
            }
            if try root.exists("energy") {
                let g = try root.group("energy")
                if try g.exists("vm_pu") {
                    let buses = try ids(g, "energy", "bus_id")
                    let nb = try g.dataset("bus_id").shape.reduce(1, *)
                    let vm = try g.dataset("vm_pu").read().doubles
                    var low = [Double](repeating: .nan, count: nb)
                    for k in vm.indices where vm[k] > 0 {
                        let b = k % nb
                        if !(low[b] <= vm[k]) { low[b] = vm[k] }
                    }
                    v.add(
                        "energy", "bus_min_voltage", "1", "lowest energised bus voltage", dims: ["bus"], ids: buses,
                        low)
                }
                if try g.exists("trafo_loading") {
                    let ids = try ids(g, "energy", "trafo_id")
                    let nt = try g.dataset("trafo_id").shape.reduce(1, *)
                    let load = try g.dataset("trafo_loading").read().doubles
                    var high = [Double](repeating: 0, count: nt)
                    for k in load.indices where load[k] > high[k % nt] { high[k % nt] = load[k] }
                    v.add(
                        "energy", "trafo_max_loading", "percent", "highest transformer loading", dims: ["trafo"],
                        ids: ids, high)
                }
                if try g.exists("building_unserved") {
                    let u = try g.dataset("building_unserved").read().doubles
                    v.add(
                        "energy", "building_unserved", "kWh", "energy the building would have drawn while cut off",
                        dims: ["building"], ids: nil, u)
                }
            }
            return v
        }
    }

    /// Compares `groups` (alternative → seed → result file) pairwise as `pairs` says.
    public static func of(
        groups: [String: [Int64: String]], pairs: [(alternative: String, base: String)], confidence: Double,
        fdr: Double = 0.05, threshold: Double = 0.1
    ) throws -> EntityComparison {
        var cache: [String: Values] = [:]
        func values(_ path: String) throws -> Values {
            if let v = cache[path] { return v }
            let v = try Values.read(path)
            cache[path] = v
            return v
        }
        var out: [Alternative] = []
        var alignments: [String: [Int32]] = [:]
        var gridX: [Double]?
        var gridY: [Double]?
        var gridAttributes: [String: String] = [:]
        for (alt, base) in pairs {
            let a = groups[alt] ?? [:]
            let b = groups[base] ?? [:]
            let seeds = Set(a.keys).intersection(b.keys).sorted()
            guard !seeds.isEmpty else { continue }
            let av = try seeds.map { try values(a[$0]!) }
            let bv = try seeds.map { try values(b[$0]!) }
            gridX = gridX ?? bv[0].x
            gridY = gridY ?? bv[0].y
            if gridAttributes.isEmpty { gridAttributes = bv[0].xAttributes }
            var variables: [Variable] = []
            for key in bv[0].order {
                guard let ref = bv[0].fields[key], av.allSatisfy({ $0.fields[key] != nil }) else { continue }
                let parts = key.split(separator: "/").map(String.init)
                // alternative values aligned to the base's entities
                let aligned: [[Double]] = try av.map { v in
                    let f = v.fields[key]!
                    if let ids = ref.ids, let own = f.ids, try !own.same(as: ids) {
                        // where each of the base's entities is in this result (-1: not there), once per id list
                        let cacheKey = key + "|" + (own.digest ?? own.path) + "|" + (ids.digest ?? ids.path)
                        if alignments[cacheKey] == nil {
                            var index: [String: Int32] = [:]
                            index.reserveCapacity(f.values.count)
                            for (k, id) in try own.strings().enumerated() { index[id] = Int32(k) }
                            alignments[cacheKey] = try ids.strings().map { index[$0] ?? -1 }
                        }
                        return alignments[cacheKey]!.map { $0 >= 0 ? f.values[Int($0)] : .nan }
                    }
                    guard f.values.count == ref.values.count else {
                        throw RunError(
                            "'\(alt)' and '\(base)' have different \(parts[0]) grids (\(f.values.count) and "
                                + "\(ref.values.count) values of \(parts[1]))",
                            hint: "compare alternatives on the same model grid")
                    }
                    return f.values
                }
                let baseValues: [[Double]] = bv.map { $0.fields[key]?.values ?? [] }
                variables.append(
                    try compare(
                        domain: parts[0], name: parts[1], ref: ref, alternative: aligned, base: baseValues,
                        confidence: confidence, fdr: fdr))
            }
            var contingency: Contingency?
            if bv[0].fields["flood/max_depth"] != nil, let x = bv[0].x, let y = bv[0].y {
                let cell = x.count > 1 && y.count > 1 ? abs(x[1] - x[0]) * abs(y[1] - y[0]) : 1
                contingency = extent(
                    alternative: av.compactMap { $0.fields["flood/max_depth"]?.values },
                    base: bv.compactMap { $0.fields["flood/max_depth"]?.values }, threshold: threshold, cellArea: cell)
            }
            out.append(
                Alternative(
                    name: alt, base: base, variables: variables, contingency: contingency,
                    configuration: configurationDifference(bv[0].jobYAML, av[0].jobYAML), baseResult: b[seeds[0]]))
        }
        return EntityComparison(
            alternatives: out, confidence: confidence, fdr: fdr, gridX: gridX, gridY: gridY,
            gridAttributes: gridAttributes)
    }

    /// Paired statistics entity by entity; seeds where either value is missing (NaN) are left out. Entities are
    /// independent: chunks of them go to the cores, each chunk's results in entity order.
    static func compare(
        domain: String, name: String,
        ref: Field, alternative: [[Double]], base: [[Double]], confidence: Double, fdr: Double
    ) throws -> Variable {
        let count = ref.values.count
        let seeds = alternative.count
        // the t quantile of every possible n, before the parallel part
        let quantiles = (0...seeds).map { n in
            n < 2 ? Double.nan : PairedStatistics.quantile((1 + confidence) / 2, df: Double(n - 1))
        }
        let chunk = 8192
        let chunks = (count + chunk - 1) / chunk
        let exec = ParallelExecutor(workers: ProcessInfo.processInfo.activeProcessorCount)
        let parts = exec.map(chunks) { c -> [(Double, Double, Double, Double)] in
            var out: [(Double, Double, Double, Double)] = []
            out.reserveCapacity(chunk)
            var d = [Double](repeating: 0, count: seeds)
            for e in (c * chunk)..<min(count, (c + 1) * chunk) {
                var n = 0
                var sum = 0.0
                var sumBase = 0.0
                for s in 0..<seeds {
                    let x = alternative[s][e]
                    let y = base[s][e]
                    guard x.isFinite && y.isFinite else { continue }
                    d[n] = x - y
                    sum += x - y
                    sumBase += y
                    n += 1
                }
                guard n > 0 else {
                    out.append((.nan, .nan, .nan, .nan))
                    continue
                }
                let mean = sum / Double(n)
                var ss = 0.0
                for k in 0..<n { ss += (d[k] - mean) * (d[k] - mean) }
                if n < 2 || ss == 0 {
                    // one seed: no test; the same difference on every seed: exact (p 1 for none, 0 otherwise)
                    let p = n < 2 ? Double.nan : (mean == 0 ? 1 : 0)
                    out.append((mean, 0, p, sumBase / Double(n)))
                    continue
                }
                let se = (ss / Double(n - 1)).squareRoot() / Double(n).squareRoot()
                let p = 2 * (1 - PairedStatistics.cdf(abs(mean / se), df: Double(n - 1)))
                out.append((mean, quantiles[n] * se, min(1, max(0, p)), sumBase / Double(n)))
            }
            return out
        }
        var delta = [Double]()
        var half = [Double]()
        var p = [Double]()
        var meanBase = [Double]()
        for part in parts {
            for r in part {
                delta.append(r.0)
                half.append(r.1)
                p.append(r.2)
                meanBase.append(r.3)
            }
        }
        let tested = p.indices.filter { p[$0].isFinite }
        let adjusted = PairedStatistics.benjaminiHochberg(tested.map { p[$0] })
        var significant = [UInt8](repeating: 0, count: count)
        for (k, e) in tested.enumerated() where adjusted[k] <= fdr && delta[e] != 0 { significant[e] = 1 }
        return Variable(
            domain: domain, name: name, units: ref.units, longName: ref.longName, dims: ref.dims,
            ids: try ref.ids?.strings(), delta: delta, halfWidth: half, p: p, meanBase: meanBase,
            significant: significant,
            testedCount: tested.count)
    }

    static func extent(alternative: [[Double]], base: [[Double]], threshold: Double, cellArea: Double)
        -> Contingency
    {
        var hits = 0.0
        var falseAlarms = 0.0
        var misses = 0.0
        for (a, b) in zip(alternative, base) {
            for k in 0..<min(a.count, b.count) {
                let wa = a[k] >= threshold
                let wb = b[k] >= threshold
                if wa && wb { hits += 1 } else if wa { falseAlarms += 1 } else if wb { misses += 1 }
            }
        }
        let seeds = Double(max(1, min(alternative.count, base.count)))
        func ratio(_ x: Double, _ y: Double) -> Double { y > 0 ? x / y : .nan }
        return Contingency(
            threshold: threshold, hitRate: ratio(hits, hits + misses),
            falseAlarmRatio: ratio(falseAlarms, hits + falseAlarms),
            criticalSuccessIndex: ratio(hits, hits + misses + falseAlarms),
            newlyWetArea: falseAlarms * cellArea / seeds, newlyDryArea: misses * cellArea / seeds)
    }

    /// Resolved job keys (from each result's `job_yaml`) that differ, seed and name left out.
    static func configurationDifference(_ base: String?, _ alternative: String?) -> [(String, String, String)] {
        let skip: Set<String> = ["name", "seed", "description"]
        func flat(_ text: String?) -> [String: String] {
            guard let text, let node = try? Yams.compose(yaml: text) else { return [:] }
            return StudyResolver.flatten(node).filter { !skip.contains($0.key) }
        }
        let a = flat(base)
        let b = flat(alternative)
        return Set(a.keys).union(b.keys).sorted().compactMap { k in
            a[k] == b[k] ? nil : (k, a[k] ?? "-", b[k] ?? "-")
        }
    }
}
