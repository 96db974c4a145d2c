import Foundation
import SimCore

/// Everything the energy domain needs: the grid, the buildings on it, the substations that can flood, the weather,
/// the scenario's adoption shares and outage events.
public struct EnergySetup: Sendable {
    public struct Building: Sendable, Equatable {
        public var load: Int  // index into grid.loads
        public var dwellings: Int, residentialFloor: Double, otherFloor: Double, roofArea: Double
        public var x: Double, y: Double
        public init(
            load: Int, dwellings: Int, residentialFloor: Double, otherFloor: Double, roofArea: Double, x: Double,
            y: Double
        ) {
            self.load = load
            self.dwellings = dwellings
            self.residentialFloor = residentialFloor
            self.otherFloor = otherFloor
            self.roofArea = roofArea
            self.x = x
            self.y = y
        }
    }
    public struct Asset: Sendable, Equatable {
        public enum Kind: String, Sendable { case primary, secondary }
        public var kind: Kind
        /// primary: index into grid.extGrids; secondary: index into grid.trafos.
        public var element: Int
        public var name: String, x: Double, y: Double
        /// Water depth (m) above which the asset trips.
        public var criticalDepth: Double
        public init(kind: Kind, element: Int, name: String, x: Double, y: Double, criticalDepth: Double) {
            self.kind = kind
            self.element = element
            self.name = name
            self.x = x
            self.y = y
            self.criticalDepth = criticalDepth
        }
    }
    /// An asset forced out of service over [from, to) (a scenario event).
    public struct OutageEvent: Sendable, Equatable {
        public var asset: Int, from: SimTime, to: SimTime
        public init(asset: Int, from: SimTime, to: SimTime) {
            self.asset = asset
            self.from = from
            self.to = to
        }
    }
    public var grid: Grid
    public var buildings: [Building]
    public var assets: [Asset]
    public var weather: Weather
    public var step = SimDuration.minutes(15)
    public var evShare = 0.0, pvShare = 0.0, heatPumpShare = 0.0, demandGrowth = 1.0
    public var commercialPeakWPerM2 = 40.0
    public var repairDelay = SimDuration.hours(6)
    public var events: [OutageEvent] = []
    public var voltageLow = 0.9, voltageHigh = 1.1
    public var startWeekday = 0
    public var seed: UInt64 = 0
    /// Ids of the traffic population's vehicles, in the order the drivers' legs index them (when the job also
    /// runs traffic; their arrivals come through the engine's `traffic.vehicle_arrival` field).
    public var vehicleIDs: [String] = []
    /// Drivers of the traffic population (when the job also runs traffic): home building, legs, km per day.
    public var drivers:
        [(building: Int, legs: [(vehicle: Int, depart: Double, homeward: Bool, arrival: Double)], km: Double)] = []
    public var parameters = EnergyAgents.Parameters()
    public init(grid: Grid, buildings: [Building], assets: [Asset], weather: Weather) {
        self.grid = grid
        self.buildings = buildings
        self.assets = assets
        self.weather = weather
    }
}

/// One feeder (a partition): its buildings' agents, its part of the grid and its solver. Only its partition touches it.
final class FeederState {
    var agents: EnergyAgents
    let buildings: [Int]  // global building index per local building
    let loadBus: [Int32]  // local bus of each local building (−1: not connected)
    var network: PowerNetwork
    let feeder: PowerNetwork.Feeder
    var flow: PowerFlow?
    var dead = false  // its primary substation is out
    // held results of the last energy step
    var p: [Double], q: [Double], parts: [Double], served: [UInt8]
    var vm: [Double], loading: [Double]
    var branchP: [Double]  // MW into each branch at its from end (a transformer's HV side)
    var load = 0.0, pv = 0.0, ev = 0.0, hp = 0.0, losses = 0.0, unserved = 0.0, vmin = Double.infinity, vmax = 0.0
    var customersOff = 0, overloaded = 0, violation = false, newtonFallbacks = 0
    lazy var yBranch = feeder.network.branchAdmittances()
    var pd: [Double], qd: [Double]  // net demand per bus (MW), reused every step
    let noBusLive: [Bool]
    var unsolved = false  // unchanged by trips (out-of-service branches are skipped)
    var flows = BranchFlows(count: 0)

    /// The held results of the last energy step as numbers (checkpoints, and the other ranks of a distributed run):
    /// powers and parts per building, voltages, loadings, then the step's sums.
    var held: [Double] {
        p + q + parts + vm + loading + branchP + [
            load, pv, ev, hp, losses, unserved, vmin, vmax, Double(customersOff), Double(overloaded),
            violation ? 1 : 0,
        ]
    }
    static let heldScalars = 11
    var heldCount: Int { 7 * buildings.count + vm.count + 2 * loading.count + Self.heldScalars }

    /// Takes `held` back from `values` at `o` (advancing it).
    func setHeld(_ values: ArraySlice<Double>, _ o: inout Int) {
        func take(_ n: Int) -> [Double] {
            defer { o += n }
            return Array(values[o..<(o + n)])
        }
        p = take(buildings.count)
        q = take(buildings.count)
        parts = take(5 * buildings.count)
        vm = take(vm.count)
        loading = take(loading.count)
        branchP = take(loading.count)
        let r = take(Self.heldScalars)
        (load, pv, ev, hp, losses, unserved, vmin, vmax) = (r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7])
        customersOff = Int(r[8])
        overloaded = Int(r[9])
        violation = r[10] != 0
    }

    init(agents: EnergyAgents, buildings: [Int], loadBus: [Int32], feeder: PowerNetwork.Feeder) {
        self.agents = agents
        self.buildings = buildings
        self.loadBus = loadBus
        self.feeder = feeder
        network = feeder.network
        p = .init(repeating: 0, count: buildings.count)
        q = p
        parts = .init(repeating: 0, count: 5 * buildings.count)
        served = .init(repeating: 1, count: buildings.count)
        vm = .init(repeating: 0, count: feeder.network.busCount)
        loading = .init(repeating: 0, count: feeder.network.branchCount)
        branchP = loading
        pd = vm
        qd = vm
        noBusLive = .init(repeating: false, count: feeder.network.busCount)
    }
}

/// The energy domain: households and businesses on a distribution grid, a power flow per energy step (15 min by
/// default) for every MV feeder in parallel (feeders are the partitions), substations that trip when the water
/// at them exceeds their critical depth (or a scenario event says so) and come back after the water has receded
/// plus a repair delay; what the agents would have drawn while cut off is unserved energy.
///
/// Between energy steps (when another domain takes shorter ticks) the last step's powers hold; energies integrate
/// over every tick. Nothing here depends on the worker count: each feeder has its own agents, random streams
/// (counter-based, keyed by household and step) and solver.
public final class EnergyDomain: DomainModel {
    public let name = "energy"
    public let setup: EnergySetup
    public let network: PowerNetwork
    public let mapping: GridMapping
    let feeders: [FeederState]
    let stepMs: Int64
    /// Water depth (m) at each asset, when a flood runs (set by the coupling); nil: no flood.
    var waterDepthAtAssets: [Double]?
    /// Arrival time (ms, −1 not yet) of every traffic vehicle, when traffic runs (set by the coupling).
    var vehicleArrivals: [Int64]?
    var arrivalsNow: [Int64]?
    // asset state
    var tripped: [UInt8], dryAt: [Int64], trips: [Int32], outageMs: [Int64]
    /// Trips and restorations in time order; `customers` = customers without supply after the step that saw it.
    public private(set) var eventLog: [(time: SimTime, asset: Int, tripped: Bool, customers: Int)] = []

    /// The event table as CSV (time since start, asset, event, customers without supply after it).
    public func eventTableCSV(startISO: String) -> String {
        var s = "time_s,asset,kind,event,customers_off\n"
        for e in eventLog {
            let a = setup.assets[e.asset]
            s +=
                "\(e.time.milliseconds / 1000),\(a.name),\(a.kind.rawValue),"
                + "\(e.tripped ? "trip" : "restore"),\(e.customers)\n"
        }
        return s
    }
    // tick
    var activeTick = false, tickStart = SimTime.zero, tickLength = SimDuration.zero, stepIndex: Int64 = 0
    // accumulators
    var energyMWh = 0.0, lossMWh = 0.0, pvMWh = 0.0, evMWh = 0.0, hpMWh = 0.0, unservedMWh = 0.0, peakMW = 0.0
    var vminAll = Double.infinity, vmaxAll = 0.0, violationHours = 0.0, overloadedAssetHours = 0.0
    var customerMinutes = 0.0, customersInterrupted = 0.0, buildingUnservedKWh: [Double]
    let customersOfBuilding: [Int]
    let trafoOfBranch: [Int32]
    /// The buildings on a feeder (the `energy.supply` site): global index, feeder and local index.
    let supplied: [(building: Int32, feeder: Int32, local: Int32)]

    public init(_ setup: EnergySetup) throws {
        self.setup = setup
        stepMs = setup.step.milliseconds
        let (net, map) = try setup.grid.busBranchModel(origin: "energy grid")
        network = net
        mapping = map
        let fs = net.feeders()
        var feederOfBus = [Int32](repeating: -1, count: net.busCount)
        var localOfBus = feederOfBus
        for (f, fd) in fs.enumerated() {
            for (k, b) in fd.buses.enumerated() where net.busType[Int(b)] != .slack {
                feederOfBus[Int(b)] = Int32(f)
                localOfBus[Int(b)] = Int32(k)
            }
        }
        var members = [[Int]](repeating: [], count: fs.count + 1)
        for (k, b) in setup.buildings.enumerated() {
            let sb = map.loadBus[b.load]
            let f = sb >= 0 ? feederOfBus[Int(sb)] : -1
            members[f >= 0 ? Int(f) : fs.count].append(k)
        }
        var states: [FeederState] = []
        for f in 0..<fs.count + (members[fs.count].isEmpty ? 0 : 1) {
            let list = members[f]
            let bl = list.map { setup.buildings[$0] }
            let agents = EnergyAgents(
                dwellings: bl.map(\.dwellings), residentialFloor: bl.map(\.residentialFloor),
                otherFloor: bl.map(\.otherFloor),
                roofArea: bl.map(\.roofArea), evShare: setup.evShare, pvShare: setup.pvShare,
                heatPumpShare: setup.heatPumpShare,
                demandGrowth: setup.demandGrowth, commercialPeakWPerM2: setup.commercialPeakWPerM2,
                startWeekday: setup.startWeekday,
                seed: setup.seed, keys: bl.map { EnergyAgents.buildingKey(x: $0.x, y: $0.y) },
                parameters: setup.parameters)
            let feeder =
                f < fs.count
                ? fs[f]
                : PowerNetwork.Feeder(
                    network: PowerNetwork(
                        baseMVA: net.baseMVA, busType: [], pd: [], qd: [], gs: [], bs: [], baseKV: [],
                        vmSet: [], vaSetDeg: [], from: [], to: [], r: [], x: [], b: [], g: [], tap: [],
                        shiftDeg: [], inService: [], branchNames: []), buses: [], branches: [])
            let lb = list.map { k -> Int32 in
                let sb = map.loadBus[setup.buildings[k].load]
                return f < fs.count && sb >= 0 ? localOfBus[Int(sb)] : -1
            }
            var agentsWithDrivers = agents
            if !setup.drivers.isEmpty {
                var local = [Int: Int]()
                for (k, b) in list.enumerated() { local[b] = k }
                agentsWithDrivers.assignDrivers(
                    setup.drivers.compactMap { d in local[d.building].map { (building: $0, legs: d.legs, km: d.km) } })
            }
            let st = FeederState(agents: agentsWithDrivers, buildings: list, loadBus: lb, feeder: feeder)
            if f < fs.count { st.flow = try PowerFlow(feeder.network) } else { st.dead = true }
            states.append(st)
        }
        feeders = states
        tripped = .init(repeating: 0, count: setup.assets.count)
        dryAt = .init(repeating: -1, count: setup.assets.count)
        trips = .init(repeating: 0, count: setup.assets.count)
        outageMs = .init(repeating: 0, count: setup.assets.count)
        buildingUnservedKWh = .init(repeating: 0, count: setup.buildings.count)
        customersOfBuilding = setup.buildings.map { $0.dwellings + ($0.otherFloor > 0 ? 1 : 0) }
        var tob = [Int32](repeating: -1, count: net.branchCount)
        for (t, b) in map.trafoBranch.enumerated() where b >= 0 { tob[Int(b)] = Int32(t) }
        trafoOfBranch = tob
        var sup: [(building: Int32, feeder: Int32, local: Int32)] = []
        for (f, st) in states.enumerated() where !st.dead {
            for (k, b) in st.buildings.enumerated() where st.loadBus[k] >= 0 {
                sup.append((Int32(b), Int32(f), Int32(k)))
            }
        }
        supplied = sup.sorted { $0.building < $1.building }
    }

    public var partitionCount: Int { feeders.count }
    public var phaseCount: Int { 1 }
    public var feederCount: Int { feeders.count }

    public func proposeStep(at now: SimTime, limit: SimDuration) -> SimDuration {
        let next = (now.milliseconds / stepMs + 1) * stepMs
        return SimDuration(milliseconds: min(limit.milliseconds, next - now.milliseconds))
    }

    public func beginTick(at now: SimTime, step: SimDuration) {
        tickStart = now
        tickLength = step
        activeTick = now.milliseconds % stepMs == 0
        guard activeTick else { return }
        stepIndex = now.milliseconds / stepMs
        arrivalsNow = vehicleArrivals
        updateOutages(at: now)
    }

    /// Trips and restorations: water above the critical depth (or a scenario event) trips an asset; it returns once
    /// the water has been below the critical depth for the repair delay and no event holds it.
    func updateOutages(at now: SimTime) {
        let depth = waterDepthAtAssets
        var changed = false
        for (a, asset) in setup.assets.enumerated() {
            let wet = (depth?[a] ?? 0) > asset.criticalDepth
            let forced = setup.events.contains { $0.asset == a && $0.from <= now && now < $0.to }
            let was = tripped[a]
            // 0 in service, 1 out by a scenario event, 2 out by water (until dry for the repair delay)
            var state: UInt8 = 0
            if wet {
                state = 2
                dryAt[a] = -1
            } else if was == 2 {
                if dryAt[a] < 0 { dryAt[a] = now.milliseconds }
                state = now.milliseconds - dryAt[a] < setup.repairDelay.milliseconds ? 2 : 0
            }
            if state == 0 && forced { state = 1 }
            if state != 2 { dryAt[a] = -1 }
            if (state != 0) != (was != 0) {
                if state != 0 { trips[a] += 1 }
                changed = true
                eventLog.append((now, a, state != 0, 0))
            }
            tripped[a] = state
        }
        if changed { applyTopology() }
    }

    /// Rebuilds the solver of every feeder whose topology changed (only those).
    func applyTopology() {
        var trafoOut = Set<Int>()
        var primaryOut = Set<Int>()
        for (a, asset) in setup.assets.enumerated() where tripped[a] != 0 {
            if asset.kind == .secondary { trafoOut.insert(asset.element) } else { primaryOut.insert(asset.element) }
        }
        var deadBus = Set<Int32>()
        for e in primaryOut where e < setup.grid.extGrids.count {
            let sb = mapping.solverBus[setup.grid.extGrids[e].bus]
            if sb >= 0 { deadBus.insert(sb) }
        }
        for st in feeders where !st.feeder.buses.isEmpty {
            var service = st.feeder.network.inService
            for (k, gb) in st.feeder.branches.enumerated() {
                let t = trafoOfBranch[Int(gb)]
                if t >= 0 && trafoOut.contains(Int(t)) { service[k] = false }
            }
            let dead = st.feeder.buses.contains { deadBus.contains($0) && network.busType[Int($0)] == .slack }
            if service != st.network.inService || dead != st.dead {
                st.network.inService = service
                st.dead = dead
                st.flow = dead ? nil : try? PowerFlow(st.network)
            }
        }
    }

    public func step(phase: Int, partition: Int) {
        guard activeTick else { return }
        let st = feeders[partition]
        let dt = Double(stepMs) / 1000
        let t = Double(tickStart.milliseconds) / 1000
        st.agents.step(
            buildings: 0..<st.buildings.count, step: stepIndex, t: t, dt: dt, weather: setup.weather, p: &st.p,
            q: &st.q, parts: &st.parts,
            arrivals: arrivalsNow)
        for i in 0..<st.pd.count {
            st.pd[i] = 0
            st.qd[i] = 0
        }
        for (k, b) in st.loadBus.enumerated() where b >= 0 {
            st.pd[Int(b)] += st.p[k] / 1000
            st.qd[Int(b)] += st.q[k] / 1000
        }
        st.load = 0
        st.pv = 0
        st.ev = 0
        st.hp = 0
        st.unserved = 0
        st.customersOff = 0
        st.overloaded = 0
        st.losses = 0
        st.vmin = .infinity
        st.vmax = 0
        st.violation = false
        var live = st.noBusLive
        st.unsolved = false
        if !st.dead {
            // a singular matrix or a voltage collapse leaves the feeder without supply this step, counted as unsolved
            guard let pf = st.flow, let sol = try? pf.solve(pd: st.pd, qd: st.qd), sol.converged else {
                st.unsolved = true
                return finish(st, live)
            }
            live = pf.energised
            st.losses = sol.lossP
            for i in 0..<st.network.busCount where live[i] && st.network.busType[i] != .slack {
                st.vm[i] = sol.vm[i]
                st.vmin = min(st.vmin, sol.vm[i])
                st.vmax = max(st.vmax, sol.vm[i])
            }
            for i in 0..<st.network.busCount where !live[i] { st.vm[i] = 0 }
            st.violation = st.vmin < setup.voltageLow || st.vmax > setup.voltageHigh
            st.network.branchFlows(sol, admittances: st.yBranch, into: &st.flows)
            for k in 0..<st.network.branchCount {
                st.loading[k] = st.flows.loadingPercent[k]
                st.branchP[k] = st.flows.pFromMW[k]
                if st.flows.loadingPercent[k] > 100 { st.overloaded += 1 }
            }
            st.newtonFallbacks = pf.newtonFallbacks
            return finish(st, live)
        }
        finish(st, live)
    }

    /// Supplied and cut-off demand of the feeder's buildings for this step (all cut off when nothing is live).
    func finish(_ st: FeederState, _ live: [Bool]) {
        if !live.contains(true) {
            for i in 0..<st.vm.count { st.vm[i] = 0 }
            for k in 0..<st.loading.count {
                st.loading[k] = 0
                st.branchP[k] = 0
            }
        }
        for k in 0..<st.buildings.count {
            let b = st.loadBus[k]
            let on = b >= 0 && live[Int(b)]
            st.served[k] = on ? 1 : 0
            let demand = st.parts[5 * k] + st.parts[5 * k + 1] + st.parts[5 * k + 2] + st.parts[5 * k + 4]
            if on {
                st.load += demand / 1000
                st.pv += st.parts[5 * k + 3] / 1000
                st.ev += st.parts[5 * k + 2] / 1000
                st.hp += st.parts[5 * k + 1] / 1000
            } else {
                st.unserved += demand / 1000
                st.customersOff += customersOfBuilding[st.buildings[k]]
            }
        }
    }

    public func exchange(phase: Int) {
        // over ranks: every feeder's results of this energy step from the rank that solved it
        if ranks != nil && activeTick { shareHeld() }
    }

    public func endTick(at now: SimTime) {
        var load = 0.0
        var losses = 0.0
        var pv = 0.0
        var ev = 0.0
        var hp = 0.0
        var unserved = 0.0
        var off = 0
        var overloaded = 0
        var violation = false
        var vmin = Double.infinity
        var vmax = 0.0
        for st in feeders {
            load += st.load
            losses += st.losses
            pv += st.pv
            ev += st.ev
            hp += st.hp
            unserved += st.unserved
            off += st.customersOff
            overloaded += st.overloaded
            violation = violation || st.violation
            if st.vmax > 0 {
                vmin = min(vmin, st.vmin)
                vmax = max(vmax, st.vmax)
            }
        }
        lastDiagnostics = [
            load, pv, ev, hp, losses, unserved, vmax > 0 ? vmin : .nan, vmax > 0 ? vmax : .nan, Double(off),
        ]
        // Energies are integrated once per energy step, at the tick that ends it (the powers hold over the step):
        // the same bits however other domains cut the step into ticks (a job's duration is whole energy steps).
        guard now.milliseconds % stepMs == 0 else { return }
        let h = Double(stepMs) / 3_600_000
        for st in feeders {
            for k in 0..<st.buildings.count where st.served[k] == 0 {
                buildingUnservedKWh[st.buildings[k]] +=
                    (st.parts[5 * k] + st.parts[5 * k + 1] + st.parts[5 * k + 2] + st.parts[5 * k + 4]) * h
            }
        }
        energyMWh += load * h
        lossMWh += losses * h
        pvMWh += pv * h
        evMWh += ev * h
        hpMWh += hp * h
        unservedMWh += unserved * h
        peakMW = max(peakMW, load - pv + losses)
        if vmax > 0 {
            vminAll = min(vminAll, vmin)
            vmaxAll = max(vmaxAll, vmax)
        }
        if violation { violationHours += h }
        overloadedAssetHours += Double(overloaded) * h
        customerMinutes += Double(off) * Double(stepMs) / 60_000
        unsolvedFeederSteps += Double(feeders.filter(\.unsolved).count)
        // customers interrupted: those newly cut off at this step (IEEE 1366 counts each interruption)
        let newlyOff = max(0, off - lastOff)
        customersInterrupted += Double(newlyOff)
        lastOff = off
        let stepStart = SimTime(milliseconds: now.milliseconds - stepMs)
        if !eventLog.isEmpty, eventLog[eventLog.count - 1].time == stepStart {
            for k in eventLog.indices where eventLog[k].time == stepStart { eventLog[k].customers = off }
        }
        for a in 0..<tripped.count where tripped[a] != 0 { outageMs[a] += stepMs }
    }
    var lastOff = 0
    var unsolvedFeederSteps = 0.0
    /// A distributed run's ranks and the feeders this rank solves (`EnergyDomain+Ranks.swift`).
    var ranks: (any RankGroup)?
    var ownedFeeders = 0..<0
    var lastDiagnostics = [Double](repeating: 0, count: 9)

    // MARK: output

    public var outputSchema: OutputSchema {
        let g = setup.grid
        return OutputSchema(
            group: "energy",
            coordinates: [
                Coordinate(
                    "bus", units: "1", longName: "grid bus", values: g.buses.map { Double($0.id) },
                    labels: g.buses.map(\.name)),
                Coordinate(
                    "trafo", units: "1", longName: "transformer (secondary substation)",
                    values: (0..<g.trafos.count).map(Double.init), labels: g.trafos.map(\.name)),
                Coordinate(
                    "building", units: "1", longName: "building (load)",
                    values: (0..<setup.buildings.count).map(Double.init)),
                Coordinate(
                    "asset", units: "1", longName: "substation that can flood",
                    values: (0..<setup.assets.count).map(Double.init), labels: setup.assets.map(\.name)),
                Coordinate(
                    "line", units: "1", longName: "line or cable", values: (0..<g.lines.count).map(Double.init),
                    labels: g.lines.map(\.name)),
                Coordinate(
                    "line_node", units: "1", longName: "end of a line (from, to)",
                    values: (0..<(2 * g.lines.count)).map(Double.init)),
            ],
            snapshots: [
                Variable("vm_pu", units: "1", longName: "bus voltage magnitude (0: not energised)", dims: ["bus"]),
                Variable("trafo_loading", units: "percent", longName: "transformer loading", dims: ["trafo"]),
                Variable(
                    "trafo_p", units: "MW", longName: "active power into the transformer at its HV side",
                    dims: ["trafo"]),
                Variable(
                    "line_loading", units: "percent", longName: "line loading (current / rated current)",
                    dims: ["line"]),
                Variable(
                    "building_demand", units: "kW", longName: "building net demand (load + EV − PV)",
                    dims: ["building"]
                ),
                Variable(
                    "served", units: "1", longName: "building supplied (1) or cut off (0)", dims: ["building"],
                    type: .uint8),
            ],
            finals: [
                Variable("asset_trips", units: "1", longName: "times the asset tripped", dims: ["asset"], type: .int32),
                Variable(
                    "asset_outage", units: "min", longName: "minutes out of service", dims: ["asset"], type: .float64),
                Variable(
                    "building_unserved", units: "kWh", longName: "energy the building would have drawn while cut off",
                    dims: ["building"], type: .float64),
            ] + ["bus", "trafo", "building", "asset"].flatMap(Self.positionVariables) + [
                Variable("line_node_count", units: "1", longName: "points of the line", dims: ["line"], type: .int32),
                Variable(
                    "line_node_x", units: "m", longName: "easting of a line end (its bus)", dims: ["line_node"],
                    type: .float64),
                Variable(
                    "line_node_y", units: "m", longName: "northing of a line end (its bus)", dims: ["line_node"],
                    type: .float64),
            ],
            diagnostics: [
                Variable(
                    "demand", units: "MW",
                    longName: "demand supplied (appliances, lighting, heat pumps, EVs, businesses)", dims: ["step"],
                    type: .float64),
                Variable("pv", units: "MW", longName: "rooftop PV generation", dims: ["step"], type: .float64),
                Variable("ev", units: "MW", longName: "EV charging", dims: ["step"], type: .float64),
                Variable("heat_pumps", units: "MW", longName: "heat pump electricity", dims: ["step"], type: .float64),
                Variable(
                    "losses", units: "MW", longName: "line and transformer losses", dims: ["step"], type: .float64),
                Variable("unserved", units: "MW", longName: "demand cut off", dims: ["step"], type: .float64),
                Variable(
                    "vm_min", units: "1", longName: "lowest energised bus voltage", dims: ["step"], type: .float64),
                Variable(
                    "vm_max", units: "1", longName: "highest energised bus voltage", dims: ["step"], type: .float64),
                Variable(
                    "customers_off", units: "1", longName: "customers without supply", dims: ["step"], type: .float64),
            ],
            attributes: [
                "models":
                    "occupancy Markov chain (Richardson et al. 2008); TiTe heat pumps (Bacher & Madsen 2011); "
                    + "PVWatts v5 (Dobos 2014); AC power flow per feeder (Newton / current injection, KLU)",
                "step_s": String(stepMs / 1000),
            ],
            geometries: ["bus", "trafo", "building", "asset"].map(Geometry.points) + [
                Geometry("line", kind: .line, x: "line_node_x", y: "line_node_y", nodeCount: "line_node_count")
            ])
    }

    static func positionVariables(_ dim: String) -> [Variable] {
        let note = dim == "bus" || dim == "trafo" ? " (estimated from what it supplies)" : ""
        return [
            Variable(dim + "_x", units: "m", longName: "easting of the \(dim)" + note, dims: [dim], type: .float64),
            Variable(dim + "_y", units: "m", longName: "northing of the \(dim)" + note, dims: [dim], type: .float64),
        ]
    }

    public func diagnostics() -> [Double] { lastDiagnostics }

    public func snapshot() -> [ArrayData] {
        var vm = [Float](repeating: 0, count: setup.grid.buses.count)
        var solverVm = [Double](repeating: 0, count: network.busCount)
        for st in feeders {
            for (k, b) in st.feeder.buses.enumerated() where network.busType[Int(b)] != .slack {
                solverVm[Int(b)] = st.vm[k]
            }
        }
        for (i, b) in mapping.solverBus.enumerated() where b >= 0 {
            vm[i] = network.busType[Int(b)] == .slack ? Float(network.vmSet[Int(b)]) : Float(solverVm[Int(b)])
        }
        var tl = [Float](repeating: 0, count: setup.grid.trafos.count)
        var tp = tl
        var branchLoading = [Double](repeating: 0, count: network.branchCount)
        var branchP = branchLoading
        for st in feeders {
            for (k, gb) in st.feeder.branches.enumerated() {
                branchLoading[Int(gb)] = st.loading[k]
                branchP[Int(gb)] = st.branchP[k]
            }
        }
        for (t, b) in mapping.trafoBranch.enumerated() where b >= 0 {
            tl[t] = Float(branchLoading[Int(b)])
            tp[t] = Float(branchP[Int(b)])
        }
        let ll = mapping.lineBranch.map { $0 >= 0 ? Float(branchLoading[Int($0)]) : 0 }
        var demand = [Float](repeating: 0, count: setup.buildings.count)
        var served = [UInt8](repeating: 1, count: setup.buildings.count)
        for st in feeders {
            for (k, b) in st.buildings.enumerated() {
                demand[b] = Float(st.p[k])
                served[b] = st.served[k]
            }
        }
        return [.float32(vm), .float32(tl), .float32(tp), .float32(ll), .float32(demand), .uint8(served)]
    }

    public func finals() -> [ArrayData] {
        let p = setup.positions
        return [
            .int32(trips), .float64(outageMs.map { Double($0) / 60_000 }), .float64(buildingUnservedKWh),
            .float64(p.bus.x), .float64(p.bus.y), .float64(p.trafo.x), .float64(p.trafo.y),
            .float64(setup.buildings.map(\.x)), .float64(setup.buildings.map(\.y)), .float64(setup.assets.map(\.x)),
            .float64(setup.assets.map(\.y)), .int32([Int32](repeating: 2, count: setup.grid.lines.count)),
            .float64(setup.grid.lines.flatMap { [p.bus.x[$0.fromBus], p.bus.x[$0.toBus]] }),
            .float64(setup.grid.lines.flatMap { [p.bus.y[$0.fromBus], p.bus.y[$0.toBus]] }),
        ]
    }

    public func kpis() -> [KPI] {
        [
            KPI("peak_load", peakMW, "MW"), KPI("energy", energyMWh, "MWh"), KPI("losses", lossMWh, "MWh"),
            KPI("pv_energy", pvMWh, "MWh"), KPI("ev_energy", evMWh, "MWh"), KPI("heat_pump_energy", hpMWh, "MWh"),
            KPI("min_voltage", vminAll.isFinite ? vminAll : 0, "pu"), KPI("max_voltage", vmaxAll, "pu"),
            KPI("voltage_violation_hours", violationHours, "h"),
            KPI("overloaded_asset_hours", overloadedAssetHours, "h"),
            KPI("unserved_energy", unservedMWh, "MWh"), KPI("customers_interrupted", customersInterrupted, "1"),
            KPI("customer_minutes_lost", customerMinutes, "min"), KPI("asset_trips", Double(trips.reduce(0, +)), "1"),
            KPI("unsolved_feeder_steps", unsolvedFeederSteps, "1"),
        ]
    }

    // MARK: checkpoint

    public func checkpointState() -> [NamedArray] {
        var out: [NamedArray] = [
            NamedArray("tripped", .uint8(tripped)), NamedArray("dry_at", .int64(dryAt)),
            NamedArray("trips", .int32(trips)),
            NamedArray("outage_ms", .int64(outageMs)), NamedArray("building_unserved", .float64(buildingUnservedKWh)),
            NamedArray(
                "sums",
                .float64([
                    energyMWh, lossMWh, pvMWh, evMWh, hpMWh, unservedMWh, peakMW, vminAll, vmaxAll, violationHours,
                    overloadedAssetHours, customerMinutes, customersInterrupted, Double(lastOff), unsolvedFeederSteps,
                ])),
            NamedArray("diagnostics", .float64(lastDiagnostics)),
            NamedArray("event_time", .int64(eventLog.map(\.time.milliseconds))),
            NamedArray("event_asset", .int32(eventLog.map { Int32($0.asset) })),
            NamedArray("event_tripped", .uint8(eventLog.map { $0.tripped ? 1 : 0 })),
            NamedArray("event_customers", .int64(eventLog.map { Int64($0.customers) })),
        ]
        for (f, st) in feeders.enumerated() {
            let a = st.agents
            out += [
                NamedArray("f\(f)_active", .uint8(a.active)), NamedArray("f\(f)_ti", .float64(a.ti)),
                NamedArray("f\(f)_te", .float64(a.te)),
                NamedArray("f\(f)_hp", .int32(a.hpMode.map(Int32.init))), NamedArray("f\(f)_soc", .float64(a.evSoC)),
                NamedArray("f\(f)_away", .uint8(a.evAway)),
                NamedArray("f\(f)_held", .float64(st.held)),
                NamedArray("f\(f)_served", .uint8(st.served)),
                NamedArray("f\(f)_warm", .float64(st.flow?.warmState ?? [])),
            ]
        }
        return out
    }

    public func restore(from state: [NamedArray]) throws {
        func arr(_ n: String, _ c: Int) throws -> ArrayData {
            try state.checkpointArray(n, count: c, domain: "energy", mismatch: "another grid")
        }
        let na = setup.assets.count
        guard case .uint8(let tr) = try arr("tripped", na), case .int64(let da) = try arr("dry_at", na),
            case .int32(let tp) = try arr("trips", na),
            case .int64(let om) = try arr("outage_ms", na),
            case .float64(let bu) = try arr("building_unserved", setup.buildings.count),
            case .float64(let s) = try arr("sums", 15), case .float64(let dg) = try arr("diagnostics", 9)
        else {
            throw RunError("energy checkpoint arrays have the wrong type", hint: "start the run afresh")
        }
        tripped = tr
        dryAt = da
        trips = tp
        outageMs = om
        buildingUnservedKWh = bu
        lastDiagnostics = dg
        if let t = state.first(where: { $0.name == "event_time" }), case .int64(let times) = t.data,
            let a = state.first(where: { $0.name == "event_asset" }), case .int32(let assets) = a.data,
            let o = state.first(where: { $0.name == "event_tripped" }), case .uint8(let outs) = o.data,
            let c = state.first(where: { $0.name == "event_customers" }), case .int64(let cust) = c.data,
            times.count == assets.count, times.count == outs.count, times.count == cust.count
        {
            eventLog = (0..<times.count).map {
                (SimTime(milliseconds: times[$0]), Int(assets[$0]), outs[$0] != 0, Int(cust[$0]))
            }
        } else {
            throw RunError(
                "energy checkpoint has no event table", hint: "it was written by an older version; start the run afresh"
            )
        }
        (energyMWh, lossMWh, pvMWh, evMWh, hpMWh, unservedMWh, peakMW) = (s[0], s[1], s[2], s[3], s[4], s[5], s[6])
        (vminAll, vmaxAll, violationHours, overloadedAssetHours, customerMinutes, customersInterrupted, lastOff) = (
            s[7], s[8], s[9], s[10], s[11], s[12], Int(s[13])
        )
        unsolvedFeederSteps = s[14]
        applyTopology()
        for (f, st) in feeders.enumerated() {
            let h = st.agents.householdCount
            let nbld = st.buildings.count
            guard case .uint8(let ac) = try arr("f\(f)_active", h), case .float64(let ti) = try arr("f\(f)_ti", h),
                case .float64(let te) = try arr("f\(f)_te", h),
                case .int32(let hp) = try arr("f\(f)_hp", h), case .float64(let soc) = try arr("f\(f)_soc", h),
                case .uint8(let aw) = try arr("f\(f)_away", h),
                case .float64(let held) = try arr("f\(f)_held", st.heldCount),
                case .uint8(let sv) = try arr("f\(f)_served", nbld)
            else {
                throw RunError(
                    "energy checkpoint arrays of feeder \(f) have the wrong type", hint: "start the run afresh")
            }
            st.agents.active = ac
            st.agents.ti = ti
            st.agents.te = te
            st.agents.hpMode = hp.map(Int8.init)
            st.agents.evSoC = soc
            st.agents.evAway = aw
            var o = 0
            st.setHeld(held[...], &o)
            st.served = sv
            if let w = state.first(where: { $0.name == "f\(f)_warm" }), case .float64(let v) = w.data, let pf = st.flow
            {
                pf.warmState = v.isEmpty ? nil : v
            }
        }
    }
}

// MARK: coupling (the engine's exchange fields)

extension EnergyDomain {
    /// The substation event table (trips and restorations) beside the result.
    public var sideFiles: [String] { ["energy-events.csv"] }
    public func sideFile(_ name: String) -> String { name == "energy-events.csv" ? eventTableCSV(startISO: "") : "" }

    /// The water depth at every substation (flood → energy: trips) and the arrival of every driver's vehicle
    /// (traffic → energy: occupancy and EV charging), each fresh at every energy step.
    public var requires: [ExchangeField] {
        var out = [
            ExchangeField(
                "flood.water_depth", units: "m",
                site: .points(ids: setup.assets.map(\.name), x: setup.assets.map(\.x), y: setup.assets.map(\.y)),
                interval: setup.step)
        ]
        if !setup.drivers.isEmpty {
            out.append(
                ExchangeField(
                    "traffic.vehicle_arrival", units: "ms", site: .entities(ids: setup.vehicleIDs),
                    interval: setup.step))
        }
        return out
    }

    /// Whether each building on a feeder has supply (1) or not (0) in the current energy step, at the building:
    /// a consumer's point (a traffic signal) is fed from the nearest one, i.e. from the same low-voltage feeder.
    public var provides: [ExchangeField] {
        let b = supplied.map { setup.buildings[Int($0.building)] }
        return [
            ExchangeField(
                "energy.supply", units: "1",
                site: .points(ids: supplied.map { "building \($0.building)" }, x: b.map(\.x), y: b.map(\.y)))
        ]
    }

    public func read(_ field: String, at indices: [Int32], into values: inout [Double]) {
        guard field == "energy.supply" else { return }
        for (k, i) in indices.enumerated() {
            let s = supplied[Int(i)]
            values[k] = Double(feeders[Int(s.feeder)].served[Int(s.local)])
        }
    }

    public func receive(_ field: String, _ values: [Double]) {
        switch field {
        case "flood.water_depth": waterDepthAtAssets = values
        case "traffic.vehicle_arrival": vehicleArrivals = values.map { Int64($0) }
        default: break
        }
    }
}
