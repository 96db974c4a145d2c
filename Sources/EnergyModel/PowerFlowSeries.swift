import Foundation
import SimCore

/// Relative time series (SimBench-style profiles): one column per profile name, one value per step; an asset's
/// power at step t is its rated power times its profile's value at t.
public struct ProfileTable: Sendable {
    public var names: [String]
    public var columns: [[Double]]
    public var times: [String]
    public init(names: [String], columns: [[Double]], times: [String]) {
        self.names = names
        self.columns = columns
        self.times = times
    }
    public var stepCount: Int { times.count }
    public func column(_ name: String) -> Int? { names.firstIndex(of: name) }
}

/// A time series of AC power flows on one topology: each step's net demand comes from the assets' rated power and
/// their profiles (loads: `<profile>_pload` / `<profile>_qload` of `loadProfiles`; static generators: `<profile>` of
/// `sgenProfiles`, reactive power 0 scaled likewise; assets without a profile keep their rated power).
///
/// Steps are cut into fixed chunks (`chunkSteps`, a day of 15-min steps by default) that workers solve in parallel;
/// each chunk starts from the flat/DC start and every later step from the previous step's solution, so results do
/// not depend on the number of workers.
public struct PowerFlowSeries {
    public struct Summary: Sendable {
        public var iterations: [Int32], converged: [UInt8], mismatchMVA: [Double]
        public var loadP: [Double], loadQ: [Double], sgenP: [Double], slackP: [Double], slackQ: [Double],
            lossP: [Double], lossQ: [Double]
        public var vmMin: [Double], vmMax: [Double], maxLineLoading: [Double], maxTrafoLoading: [Double]
        public var newtonSteps: Int
    }
    public struct Result: Sendable {
        public var steps: Int
        /// Per step × grid bus (row-major, buses in `Grid.buses` order): |V| pu and angle (degrees).
        public var vm: [Double], vaDeg: [Double]
        /// Per step × line / transformer: loading in %, and active power at the from/hv end (MW).
        public var lineLoading: [Double], linePFrom: [Double], trafoLoading: [Double], trafoPHV: [Double]
        public var summary: Summary
        public var solveSeconds: Double
    }

    public let grid: Grid
    public let network: PowerNetwork
    public let mapping: GridMapping
    let loadProfiles: ProfileTable?, sgenProfiles: ProfileTable?

    /// Links assets to profile columns; a profile name that is missing is an error naming the asset.
    public init(
        grid: Grid, network: PowerNetwork, mapping: GridMapping, loadProfiles: ProfileTable?,
        sgenProfiles: ProfileTable?, origin: String = "grid"
    ) throws {
        self.grid = grid
        self.network = network
        self.mapping = mapping
        self.loadProfiles = loadProfiles
        self.sgenProfiles = sgenProfiles
        var problems: [Diagnostic] = []
        var lp = [Int32](repeating: -1, count: grid.loads.count)
        var lq = lp
        var sc = [Int32](repeating: -1, count: grid.sgens.count)
        if let t = loadProfiles {
            for (k, l) in grid.loads.enumerated() {
                guard let p = l.profile, !p.isEmpty else { continue }
                guard let a = t.column(p + "_pload"), let b = t.column(p + "_qload") else {
                    let known = Set(t.names.compactMap { $0.hasSuffix("_pload") ? String($0.dropLast(6)) : nil })
                    problems.append(
                        Diagnostic(
                            SourceLocation(file: origin), code: "E-GRID-050", keyPath: "load[\(k)].profile",
                            message: "profile '\(p)' has no '\(p)_pload'/'\(p)_qload' columns in the load profiles",
                            hint: DidYouMean.suggest(p, from: Array(known)).map { "did you mean '\($0)'?" }))
                    continue
                }
                lp[k] = Int32(a)
                lq[k] = Int32(b)
            }
        }
        if let t = sgenProfiles {
            for (k, s) in grid.sgens.enumerated() {
                guard let p = s.profile, !p.isEmpty else { continue }
                guard let a = t.column(p) else {
                    problems.append(
                        Diagnostic(
                            SourceLocation(file: origin), code: "E-GRID-051", keyPath: "sgen[\(k)].profile",
                            message: "profile '\(p)' is not a column of the generation profiles",
                            hint: DidYouMean.suggest(p, from: t.names).map { "did you mean '\($0)'?" }))
                    continue
                }
                sc[k] = Int32(a)
            }
        }
        if !problems.isEmpty { throw InputError(problems) }
        // struct-of-arrays view of the connected, in-service injections and contiguous profile values
        var b: [Int32] = []
        var pr: [Double] = []
        var qr: [Double] = []
        var pc: [Int32] = []
        var qc: [Int32] = []
        var il: [Bool] = []
        for (k, l) in grid.loads.enumerated() where l.inService && mapping.loadBus[k] >= 0 {
            b.append(mapping.loadBus[k])
            pr.append(l.pMW * l.scaling)
            qr.append(l.qMvar * l.scaling)
            pc.append(lp[k])
            qc.append(lq[k])
            il.append(true)
        }
        for (k, g) in grid.sgens.enumerated() where g.inService && mapping.sgenBus[k] >= 0 {
            b.append(mapping.sgenBus[k])
            pr.append(g.pMW * g.scaling)
            qr.append(g.qMvar * g.scaling)
            pc.append(sc[k])
            qc.append(sc[k])
            il.append(false)
        }
        injBus = b
        injP = pr
        injQ = qr
        injPCol = pc
        injQCol = qc
        injIsLoad = il
        loadSteps = loadProfiles?.stepCount ?? 0
        sgenSteps = sgenProfiles?.stepCount ?? 0
        loadValues = loadProfiles.map { $0.columns.flatMap { $0 } } ?? []
        sgenValues = sgenProfiles.map { $0.columns.flatMap { $0 } } ?? []
    }
    let injBus: [Int32], injP: [Double], injQ: [Double], injPCol: [Int32], injQCol: [Int32], injIsLoad: [Bool]
    let loadValues: [Double], sgenValues: [Double], loadSteps: Int, sgenSteps: Int

    /// Steps the profiles can drive (the shorter table; 1 without profiles).
    public var availableSteps: Int {
        let counts = [loadProfiles?.stepCount, sgenProfiles?.stepCount].compactMap { $0 }
        return counts.min() ?? 1
    }

    /// Net demand per solver bus at step t, and the step's total load P/Q and generation P.
    public func demand(step t: Int, pd: inout [Double], qd: inout [Double]) -> (Double, Double, Double) {
        for i in 0..<pd.count {
            pd[i] = 0
            qd[i] = 0
        }
        var lpT = 0.0
        var lqT = 0.0
        var sgT = 0.0
        let lv = loadValues
        let ln = loadSteps
        let sv = sgenValues
        let sn = sgenSteps
        for k in 0..<injBus.count {
            let b = Int(injBus[k])
            let cp = Int(injPCol[k])
            let cq = Int(injQCol[k])
            let isLoad = injIsLoad[k]
            let fp = cp < 0 ? 1 : (isLoad ? lv[cp * ln + t] : sv[cp * sn + t])
            let fq = cq < 0 ? 1 : (isLoad ? lv[cq * ln + t] : sv[cq * sn + t])
            let p = injP[k] * fp
            let q = injQ[k] * fq
            if isLoad {
                pd[b] += p
                qd[b] += q
                lpT += p
                lqT += q
            } else {
                pd[b] -= p
                qd[b] -= q
                sgT += p
            }
        }
        return (lpT, lqT, sgT)
    }

    /// `storeAssets: false` keeps the per-step summary only (a year of a city grid would otherwise hold gigabytes).
    public func run(
        steps: Int, options: PowerFlow.Options = .init(), workers: Int = 1, chunkSteps: Int = 96,
        storeAssets: Bool = true,
        progress: (@Sendable (Int) -> Void)? = nil
    ) throws -> Result {
        precondition(steps >= 1 && chunkSteps >= 1)
        let nb = grid.buses.count
        let nl = grid.lines.count
        let nt = grid.trafos.count
        let nsb = network.busCount
        let chunks = (steps + chunkSteps - 1) / chunkSteps
        let busRow = mapping.solverBus
        let gridBuses = Array(Set(busRow.filter { $0 >= 0 }.map(Int.init))).sorted()
        let isLine = network.ratingKA.map { $0 > 0 }
        let t0 = Date()
        let done = Counter()
        // one solver per worker (topology analysed and factorised once), chunks dealt out round-robin; every chunk
        // restarts from the same flat/DC start, so the split between workers does not change any number
        let w = min(workers, chunks)
        let perWorker: [Swift.Result<[(Int, Result)], Error>] = ParallelExecutor(workers: w).map(w) { worker in
            let pf: PowerFlow
            do { pf = try PowerFlow(network) } catch { return .failure(error) }
            var pd = [Double](repeating: 0, count: nsb)
            var qd = pd
            var flows = BranchFlows(count: network.branchCount)
            let yBranch = network.branchAdmittances()
            var mine: [(Int, Result)] = []
            let live = pf.energised
            for c in stride(from: worker, to: chunks, by: w) {
                let first = c * chunkSteps
                let count = min(chunkSteps, steps - first)
                let keep = storeAssets ? count : 0
                var r = Result(
                    steps: count, vm: .init(repeating: 0, count: keep * nb),
                    vaDeg: .init(repeating: 0, count: keep * nb),
                    lineLoading: .init(repeating: 0, count: keep * nl),
                    linePFrom: .init(repeating: 0, count: keep * nl),
                    trafoLoading: .init(repeating: 0, count: keep * nt),
                    trafoPHV: .init(repeating: 0, count: keep * nt),
                    summary: .empty(count), solveSeconds: 0)
                let fallbacks = pf.newtonFallbacks
                do { try pf.resetStart() } catch { return .failure(error) }
                for s in 0..<count {
                    let (lp, lq, sg) = demand(step: first + s, pd: &pd, qd: &qd)
                    let sol: PowerFlow.Solution
                    do { sol = try pf.solve(pd: pd, qd: qd, options: options) } catch { return .failure(error) }
                    if storeAssets {
                        for i in 0..<nb {
                            let b = Int(busRow[i])
                            if b >= 0 {
                                r.vm[s * nb + i] = sol.vm[b]
                                r.vaDeg[s * nb + i] = sol.vaDeg[b]
                            }
                        }
                    }
                    network.branchFlows(sol, admittances: yBranch, into: &flows)
                    var maxL = 0.0
                    var maxT = 0.0
                    for k in 0..<network.branchCount {
                        if isLine[k] {
                            maxL = max(maxL, flows.loadingPercent[k])
                        } else {
                            maxT = max(maxT, flows.loadingPercent[k])
                        }
                    }
                    if storeAssets {
                        for k in 0..<nl {
                            let b = Int(mapping.lineBranch[k])
                            if b >= 0 {
                                r.lineLoading[s * nl + k] = flows.loadingPercent[b]
                                r.linePFrom[s * nl + k] = flows.pFromMW[b]
                            }
                        }
                    }
                    if storeAssets {
                        for k in 0..<nt {
                            let b = Int(mapping.trafoBranch[k])
                            if b >= 0 {
                                r.trafoLoading[s * nt + k] = flows.loadingPercent[b]
                                r.trafoPHV[s * nt + k] = flows.pFromMW[b]
                            }
                        }
                    }
                    var vmin = Double.infinity
                    var vmax = -Double.infinity
                    for b in gridBuses where live[b] {
                        vmin = min(vmin, sol.vm[b])
                        vmax = max(vmax, sol.vm[b])
                    }
                    r.summary.set(s, sol, lp, lq, sg, vmin, vmax, maxL, maxT)
                }
                r.summary.newtonSteps = pf.newtonFallbacks - fallbacks
                progress?(done.add(count))
                mine.append((c, r))
            }
            return .success(mine)
        }
        var parts = [Swift.Result<Result, Error>?](repeating: nil, count: chunks)
        for p in perWorker {
            switch p {
            case .failure(let e): throw e
            case .success(let list): for (c, r) in list { parts[c] = .success(r) }
            }
        }
        var out = try parts[0]!.get()
        for p in parts.dropFirst() { out.append(try p!.get()) }
        out.solveSeconds = Date().timeIntervalSince(t0)
        return out
    }
}

/// A thread-safe running total for progress reports.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func add(_ n: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += n
        return value
    }
}

extension PowerFlowSeries.Summary {
    static func empty(_ n: Int) -> Self {
        let z = [Double](repeating: 0, count: n)
        return .init(
            iterations: .init(repeating: 0, count: n), converged: .init(repeating: 0, count: n), mismatchMVA: z,
            loadP: z, loadQ: z, sgenP: z,
            slackP: z, slackQ: z, lossP: z, lossQ: z, vmMin: z, vmMax: z, maxLineLoading: z, maxTrafoLoading: z,
            newtonSteps: 0)
    }
    mutating func set(
        _ s: Int, _ sol: PowerFlow.Solution, _ lp: Double, _ lq: Double, _ sg: Double, _ vmin: Double, _ vmax: Double,
        _ ml: Double, _ mt: Double
    ) {
        iterations[s] = Int32(sol.iterations)
        converged[s] = sol.converged ? 1 : 0
        mismatchMVA[s] = sol.mismatchMVA
        loadP[s] = lp
        loadQ[s] = lq
        sgenP[s] = sg
        slackP[s] = sol.slackP
        slackQ[s] = sol.slackQ
        lossP[s] = sol.lossP
        lossQ[s] = sol.lossQ
        vmMin[s] = vmin
        vmMax[s] = vmax
        maxLineLoading[s] = ml
        maxTrafoLoading[s] = mt
    }
    mutating func append(_ o: Self) {
        iterations += o.iterations
        converged += o.converged
        mismatchMVA += o.mismatchMVA
        loadP += o.loadP
        loadQ += o.loadQ
        sgenP += o.sgenP
        slackP += o.slackP
        slackQ += o.slackQ
        lossP += o.lossP
        lossQ += o.lossQ
        vmMin += o.vmMin
        vmMax += o.vmMax
        maxLineLoading += o.maxLineLoading
        maxTrafoLoading += o.maxTrafoLoading
        newtonSteps += o.newtonSteps
    }
}

extension PowerFlowSeries.Result {
    mutating func append(_ o: Self) {
        steps += o.steps
        vm += o.vm
        vaDeg += o.vaDeg
        lineLoading += o.lineLoading
        linePFrom += o.linePFrom
        trafoLoading += o.trafoLoading
        trafoPHV += o.trafoPHV
        summary.append(o.summary)
    }
}
