import Foundation
import SimCore

/// Weather that drives the agents: outdoor temperature (°C) and global horizontal irradiance (W/m²).
///
/// Either a series (linear interpolation between samples, held at the ends) or a synthetic climate: a daily
/// temperature cosine (minimum at 03:00, maximum at 15:00) and clear-sky irradiance G = 1000·sin(h)^1.15 W/m²
/// scaled by `clearness`, where the solar elevation h follows from latitude, Cooper's declination
/// δ = 23.45°·sin(360°·(284 + n)/365) (Cooper 1969, Solar Energy 12) and the hour angle (solar time = clock time).
public struct Weather: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        case synthetic(meanC: Double, amplitudeC: Double, clearness: Double)
        case series(timesS: [Double], temperatureC: [Double], irradiance: [Double])
    }
    public var source: Source
    public var latitude: Double
    /// Day of the year (1…366) and seconds since midnight at simulated time zero.
    public var startDay: Int, startSecond: Double
    public init(source: Source, latitude: Double = 43.73, startDay: Int = 1, startSecond: Double = 0) {
        self.source = source
        self.latitude = latitude
        self.startDay = startDay
        self.startSecond = startSecond
    }

    public func at(_ t: Double) -> (temperature: Double, irradiance: Double) {
        switch source {
        case .series(let ts, let temp, let irr):
            if t <= ts[0] { return (temp[0], irr[0]) }
            if t >= ts[ts.count - 1] { return (temp[ts.count - 1], irr[ts.count - 1]) }
            var lo = 0
            var hi = ts.count - 1
            while hi - lo > 1 {
                let m = (lo + hi) / 2
                if ts[m] <= t { lo = m } else { hi = m }
            }
            let w = (t - ts[lo]) / (ts[hi] - ts[lo])
            return (temp[lo] + w * (temp[hi] - temp[lo]), irr[lo] + w * (irr[hi] - irr[lo]))
        case .synthetic(let mean, let amp, let clear):
            let abs = startSecond + t
            let day = Double(startDay) + (abs / 86_400).rounded(.down)
            let hour = abs.truncatingRemainder(dividingBy: 86_400) / 3600
            let temp = mean - amp * cos(2 * .pi * (hour - 3) / 24)
            let decl = 23.45 * sin(2 * .pi * (284 + day) / 365) * .pi / 180
            let lat = latitude * .pi / 180
            let ha = (hour - 12) * 15 * .pi / 180
            let sinH = sin(lat) * sin(decl) + cos(lat) * cos(decl) * cos(ha)
            return (temp, sinH > 0 ? 1000 * pow(sinH, 1.15) * clear : 0)
        }
    }
}

/// The people and buildings behind the loads, as struct-of-arrays (no object per agent). One `step` advances
/// every household of a range of buildings by `dt` and returns each building's active and reactive demand.
///
/// Models (each a documented simplification, parameters in `Parameters`):
/// - Active occupancy: a first-order two-state Markov chain per household (Richardson, Thomson & Infield 2008,
///   "A high-resolution domestic building occupancy model for energy demand simulations", Energy and Buildings
///   40): P(active at t+1) = ρ·[active at t] + (1 − ρ)·a(hour), whose mean follows the diurnal active-occupancy
///   curve a (weekday/weekend) with persistence ρ.
/// - Appliances and lighting driven by active occupancy (the structure of Richardson et al. 2010, Energy and
///   Buildings 42): appliances base + per-occupant power when active, standby otherwise; switch-on events of
///   high-power appliances (cooking, kettle, washing) with a probability per active step that is higher at meal
///   times; lighting when active and the irradiance is below a threshold.
/// - Heat pumps: the two-node TiTe grey-box model of Bacher & Madsen 2011 (Energy and Buildings 43): interior
///   air Ti (capacity Ci) and envelope Te (Ce), resistances Ri–e, Re–a and a direct air exchange Ri–a; thermostat
///   with a deadband (heating to the day/setback set-point, cooling above the cooling set-point), electric power
///   = heat / COP. Explicit Euler in five-minute sub-steps (stable and accurate: the interior time constant is
///   ≈ 2 h).
/// - Rooftop PV: PVWatts v5 (Dobos 2014, NREL/TP-6A20-62641): P = P_dc0·G/1000·(1 + γ(T_cell − 25 °C))·η_sys,
///   T_cell = T_air + G/800·(NOCT − 20 °C).
/// - EVs: leave and return times and the day's distance drawn per household and day; on return the state of
///   charge drops by distance × consumption and the car charges at the charger's power until full.
/// - Non-residential floor: its peak times an opening-hours shape (weekdays 08–19 full, Saturday morning half,
///   base load otherwise).
public struct EnergyAgents: Sendable {
    public struct Parameters: Sendable, Equatable {
        public var persistence = 0.75
        public var applianceBaseKW = 0.18, appliancePerOccupantKW = 0.12, standbyKW = 0.07
        public var lightingKW = 0.09, lightingThreshold = 120.0
        /// High-power appliance events: probability per active 15-min step (× meal-time factor, × occupancy),
        /// power range.
        public var eventRate = 0.12, mealFactor = 2.5, eventMinKW = 1.0, eventMaxKW = 3.0
        public var heatSetpoint = 20.0, setbackSetpoint = 17.0, coolSetpoint = 26.0, deadband = 0.5
        public var copHeat = 3.0, copCool = 3.5, heatPumpKWth = 4.0
        /// Explicit Euler sub-step of the thermal model (s); the interior time constant is about 2 h.
        public var thermalSubstep = 300.0
        // per 80 m² dwelling (C ∝ A, R ∝ 1/A)
        public var ci = 2.0e6, ce = 2.5e7, rie = 0.004, rea = 0.015, ria = 0.03
        public var pvKWpPerM2 = 0.06, pvMaxKWp = 100.0, pvGamma = -0.0037, pvNOCT = 45.0, pvSystem = 0.86
        public var evBatteryKWh = 50.0, evChargerKW = 7.4, evKWhPerKm = 0.18, evMedianKm = 25.0
        public var commercialBase = 0.3
        public var powerFactor = 0.95
        public init() {}
    }
    /// Active-occupancy share by hour (weekday, weekend): typical shapes of time-use surveys.
    static let weekdayActive: [Double] = [
        0.05, 0.03, 0.02, 0.02, 0.03, 0.08, 0.35, 0.55, 0.40, 0.25, 0.22, 0.25,
        0.30, 0.28, 0.25, 0.28, 0.40, 0.55, 0.68, 0.72, 0.70, 0.62, 0.42, 0.15,
    ]
    static let weekendActive: [Double] = [
        0.08, 0.05, 0.03, 0.02, 0.02, 0.04, 0.10, 0.25, 0.45, 0.55, 0.55, 0.55,
        0.55, 0.50, 0.45, 0.45, 0.50, 0.58, 0.65, 0.70, 0.68, 0.62, 0.48, 0.20,
    ]

    public var parameters: Parameters
    public let seed: UInt64
    /// Every random draw of a household is keyed by its stable identity (its building's key and its dwelling
    /// number), of a building by the building's key: never by a position in this feeder's arrays, so a household
    /// draws the same numbers whichever feeder it is on and whatever the other buildings are (common random numbers
    /// across alternatives). Adoption is monotone: a household owns an EV at share s iff its draw u < s.
    public let householdKey: [UInt64]
    // households
    public var building: [Int32], occupants: [UInt8], area: [Double], hasHeatPump: [Bool], hasEV: [Bool],
        applianceScale: [Double]
    public var active: [UInt8], ti: [Double], te: [Double], hpMode: [Int8], evSoC: [Double], evAway: [UInt8]
    var evDay: [Int32], evLeave: [Double], evBack: [Double], evKm: [Double]
    /// Households of each building: indices [start[b], start[b + 1]).
    public var start: [Int32]
    // buildings
    public var pvKWp: [Double], commercialPeakKW: [Double]
    public var demandGrowth: Double
    public var startWeekday: Int  // 0 = Monday at simulated time zero

    /// A stable key of a building from where it stands (model CRS): the same building has the same key in every
    /// alternative and every feeder partition.
    public static func buildingKey(x: Double, y: Double) -> UInt64 {
        StableKey.mix(x.bitPattern &+ StableKey.mix(y.bitPattern ^ 0x6275_696C_6469_6E67))
    }

    /// Builds the agents of `dwellings[b]` households per building (occupants 1–4, shares drawn from the seed and
    /// each building's `keys[b]`; without keys, the building's index).
    public init(
        dwellings: [Int], residentialFloor: [Double], otherFloor: [Double], roofArea: [Double], evShare: Double,
        pvShare: Double,
        heatPumpShare: Double, demandGrowth: Double, commercialPeakWPerM2: Double, startWeekday: Int, seed: UInt64,
        keys: [UInt64]? = nil, parameters: Parameters = Parameters()
    ) {
        let bkey = keys ?? dwellings.indices.map { UInt64($0) }
        self.parameters = parameters
        self.seed = seed
        self.demandGrowth = demandGrowth
        self.startWeekday = startWeekday
        let rng = Philox4x64(seed: seed, stream: 0x656E_6167)  // "enag"
        var b: [Int32] = []
        var occ: [UInt8] = []
        var ar: [Double] = []
        var hp: [Bool] = []
        var ev: [Bool] = []
        var sc: [Double] = []
        var st: [Int32] = [0]
        var hk: [UInt64] = []
        for (k, n) in dwellings.enumerated() {
            for d in 0..<n {
                let r = rng.block((bkey[k], UInt64(d), 1, 0))
                hk.append(StableKey.mix(bkey[k] ^ StableKey.mix(UInt64(d) &+ 0x686F_7573_6568_6F6C)))
                let u0 = Philox4x64.unitDouble(r.0)
                b.append(Int32(k))
                occ.append(u0 < 0.33 ? 1 : u0 < 0.66 ? 2 : u0 < 0.85 ? 3 : 4)  // household sizes
                ar.append(max(30, residentialFloor[k] / Double(n)))
                hp.append(Philox4x64.unitDouble(r.1) < heatPumpShare)
                ev.append(Philox4x64.unitDouble(r.2) < evShare)
                sc.append(0.6 + 0.8 * Philox4x64.unitDouble(r.3))
            }
            st.append(Int32(b.count))
        }
        building = b
        householdKey = hk
        occupants = occ
        area = ar
        hasHeatPump = hp
        hasEV = ev
        applianceScale = sc
        start = st
        active = .init(repeating: 0, count: b.count)
        ti = .init(repeating: parameters.heatSetpoint, count: b.count)
        te = ti
        hpMode = .init(repeating: 0, count: b.count)
        evSoC = .init(repeating: parameters.evBatteryKWh, count: b.count)
        evAway = .init(repeating: 0, count: b.count)
        evDay = .init(repeating: -1, count: b.count)
        evLeave = .init(repeating: 0, count: b.count)
        evBack = evLeave
        evKm = evLeave
        pvKWp = roofArea.enumerated().map { (k, a) in
            let u = Philox4x64.unitDouble(rng.block((bkey[k], 0, 2, 0)).0)
            return u < pvShare ? min(parameters.pvMaxKWp, a * parameters.pvKWpPerM2 * 1) : 0
        }
        commercialPeakKW = otherFloor.map { $0 * commercialPeakWPerM2 / 1000 }
    }

    public var householdCount: Int { building.count }

    /// Advances the households of buildings `range` over [t, t + dt) (t in seconds since the start; `step` the step
    /// number, the counter of every random draw) and writes each building's demand (kW) into p/q and the parts
    /// (appliances+lighting, heat pump, EV, PV, commercial) into `parts` (5 per building).
    public mutating func step(
        buildings range: Range<Int>, step: Int64, t: Double, dt: Double, weather: Weather,
        p: inout [Double], q: inout [Double], parts: inout [Double], arrivals: [Int64]? = nil
    ) {
        let P = parameters
        let (tout, ghi) = weather.at(t + dt / 2)
        let hour = Int((weather.startSecond + t).truncatingRemainder(dividingBy: 86_400) / 3600) % 24
        let dayIndex = Int((weather.startSecond + t) / 86_400)
        let weekday = (startWeekday + dayIndex) % 7
        let aTarget = weekday >= 5 ? Self.weekendActive[hour] : Self.weekdayActive[hour]
        let rng = Philox4x64(seed: seed, stream: 0x6F63_6375)  // "occu"
        let tanPhi = (1 - P.powerFactor * P.powerFactor).squareRoot() / P.powerFactor
        let secOfDay = (weather.startSecond + t).truncatingRemainder(dividingBy: 86_400)
        // PV cell temperature and output per kWp
        let tcell = tout + ghi / 800 * (P.pvNOCT - 20)
        let pvPerKWp = max(0, ghi / 1000 * (1 + P.pvGamma * (tcell - 25)) * P.pvSystem)
        // commercial opening hours
        let open: Double =
            weekday < 5 ? ((8..<19).contains(hour) ? 1 : 0) : weekday == 5 ? ((9..<13).contains(hour) ? 0.5 : 0) : 0
        let commercialShape = P.commercialBase + (1 - P.commercialBase) * open
        for bld in range {
            var app = 0.0
            var hp = 0.0
            var evKW = 0.0
            for h in Int(start[bld])..<Int(start[bld + 1]) {
                // one Philox block per household and step, keyed by the household (occupancy; event trigger | power)
                let r = rng.block((householdKey[h], UInt64(step), 0, 0))
                let w0 = r.0
                let w1 = r.1
                // occupancy
                let was = active[h] != 0
                // a driver from the traffic domain: away between leaving home and getting back
                var driverAway = false
                if !driver.isEmpty, driver[h] >= 0 { driverAway = isAway(Int(driver[h]), t: t, arrivals: arrivals) }
                let presentShare = driverAway ? Double(Int(occupants[h]) - 1) / Double(occupants[h]) : 1
                let pActive = ((was ? P.persistence : 0) + (1 - P.persistence) * aTarget) * presentShare
                let isActive = Philox4x64.unitDouble(w0) < pActive
                active[h] = isActive ? 1 : 0
                let occ = Double(occupants[h])
                if isActive {
                    app += (P.applianceBaseKW + P.appliancePerOccupantKW * occ) * applianceScale[h]
                    if ghi < P.lightingThreshold { app += P.lightingKW * occ.squareRoot() }
                    // switch-on events of high-power appliances (cooking, kettle, washing), more likely at meal times
                    let meal = (7...8).contains(hour) || (12...13).contains(hour) || (18...20).contains(hour)
                    let rate = P.eventRate * (meal ? P.mealFactor : 1) * (0.6 + 0.4 * occ)
                    if Double(w1 >> 32) * 0x1.0p-32 < rate {
                        app += P.eventMinKW + (P.eventMaxKW - P.eventMinKW) * Double(w1 & 0xFFFF_FFFF) * 0x1.0p-32
                    }
                } else {
                    app += P.standbyKW
                }
                // heat pump on the TiTe model
                if hasHeatPump[h] {
                    let sc = area[h] / 80
                    let invCi = 1 / (P.ci * sc)
                    let invCe = 1 / (P.ce * sc)
                    let gie = sc / P.rie
                    let gea = sc / P.rea
                    let gia = sc / P.ria
                    let setHeat = isActive ? P.heatSetpoint : P.setbackSetpoint
                    let qMax = P.heatPumpKWth * sc * 1000
                    var x = ti[h]
                    var e = te[h]
                    var mode = hpMode[h]
                    var qSum = 0.0
                    let sub = P.thermalSubstep
                    let n = max(1, Int((dt / sub).rounded()))
                    for _ in 0..<n {
                        if mode == 1 && x > setHeat + P.deadband { mode = 0 }
                        if mode == 2 && x < P.coolSetpoint - P.deadband { mode = 0 }
                        if mode == 0 && x < setHeat - P.deadband { mode = 1 }
                        if mode == 0 && x > P.coolSetpoint + P.deadband { mode = 2 }
                        let qhp = mode == 1 ? qMax : mode == 2 ? -qMax : 0
                        let dx = ((e - x) * gie + (tout - x) * gia + qhp) * invCi
                        let de = ((x - e) * gie + (tout - e) * gea) * invCe
                        x += dx * sub
                        e += de * sub
                        qSum += mode == 1 ? qMax / P.copHeat : mode == 2 ? qMax / P.copCool : 0
                    }
                    ti[h] = x
                    te[h] = e
                    hpMode[h] = mode
                    hp += qSum / 1000 / Double(n)
                }
                // EV: the day's schedule from the household and the day (drawn once per day)
                if hasEV[h] {
                    let away: Bool
                    if !driver.isEmpty, driver[h] >= 0 {
                        // the car is the driver's: away per the traffic schedule, the day's distance from its routes
                        away = driverAway
                        evKm[h] = driverKm[Int(driver[h])]
                    } else {
                        if evDay[h] != Int32(dayIndex) { planDay(h, dayIndex) }
                        away = secOfDay >= evLeave[h] && secOfDay < evBack[h]
                    }
                    if away {
                        evAway[h] = 1
                    } else {
                        if evAway[h] == 1 {  // just returned: the day's distance
                            evSoC[h] = max(0, evSoC[h] - evKm[h] * P.evKWhPerKm)
                            evAway[h] = 0
                        }
                        if evSoC[h] < P.evBatteryKWh {
                            let kwh = min(P.evChargerKW * dt / 3600, P.evBatteryKWh - evSoC[h])
                            evSoC[h] += kwh
                            evKW += kwh / (dt / 3600)
                        }
                    }
                }
            }
            let com = commercialPeakKW[bld] * commercialShape
            let pv = pvKWp[bld] * pvPerKWp
            let load = demandGrowth * (app + hp + com)
            p[bld] = load + evKW - pv
            q[bld] = (load + evKW) * tanPhi
            parts[5 * bld] = demandGrowth * app
            parts[5 * bld + 1] = demandGrowth * hp
            parts[5 * bld + 2] = evKW
            parts[5 * bld + 3] = pv
            parts[5 * bld + 4] = demandGrowth * com
        }
    }

    // drivers from the traffic domain (activity schedules): per household the driver (−1 none); per driver the
    // legs [legStart[d], legStart[d + 1]) as (vehicle, departure s, homeward, estimated arrival s) and the km driven
    public var driver: [Int32] = []
    public var legStart: [Int32] = [0], legVehicle: [Int32] = [], legDepart: [Double] = [], legHomeward: [Bool] = [],
        legArrival: [Double] = []
    public var driverKm: [Double] = []

    /// Whether driver d is away from home at t: the last leg that has started is outbound, or homeward and not yet
    /// arrived (the traffic domain's arrival when it runs, else the free-flow estimate).
    func isAway(_ d: Int, t: Double, arrivals: [Int64]?) -> Bool {
        var away = false
        for k in Int(legStart[d])..<Int(legStart[d + 1]) where legDepart[k] <= t {
            if legHomeward[k] {
                let v = Int(legVehicle[k])
                if let a = arrivals, v < a.count {
                    away = a[v] < 0 || Double(a[v]) / 1000 > t
                } else {
                    away = legArrival[k] > t
                }
            } else {
                away = true
            }
        }
        return away
    }

    /// Gives the households of `buildings` (local building index) the drivers of a traffic population: each driver
    /// takes a dwelling of its home building (the n-th driver of a building the n-th dwelling, wrapping around).
    public mutating func assignDrivers(
        _ list: [(building: Int, legs: [(vehicle: Int, depart: Double, homeward: Bool, arrival: Double)], km: Double)]
    ) {
        driver = .init(repeating: -1, count: building.count)
        var used = [Int](repeating: 0, count: start.count)
        for d in list {
            let b = d.building
            let n = Int(start[b + 1] - start[b])
            guard n > 0 else { continue }
            let h = Int(start[b]) + used[b] % n
            used[b] += 1
            if driver[h] >= 0 { continue }  // more drivers than dwellings: one per household
            driver[h] = Int32(driverKm.count)
            for l in d.legs {
                legVehicle.append(Int32(l.vehicle))
                legDepart.append(l.depart)
                legHomeward.append(l.homeward)
                legArrival.append(l.arrival)
            }
            legStart.append(Int32(legVehicle.count))
            driverKm.append(d.km)
        }
    }

    /// The EV's departure, return (seconds of the day) and distance (km) for a day: a function of household and day
    /// only, so it is the same whenever it is drawn (cached per household; nothing to checkpoint).
    mutating func planDay(_ h: Int, _ day: Int) {
        let d = Philox4x64(seed: seed, stream: 0x6F63_6375).block((householdKey[h], UInt64(day), 7, 0))
        let leave = 7.5 * 3600 + 2700 * gauss(d.0, d.1)
        evLeave[h] = leave
        evBack[h] = leave + 9.5 * 3600 + 3600 * gauss(d.2, d.3)
        evKm[h] = parameters.evMedianKm * exp(0.6 * gauss(d.1, d.0))
        evDay[h] = Int32(day)
    }

    /// A standard normal from two uniform bit patterns (Box–Muller).
    @inline(__always) func gauss(_ a: UInt64, _ b: UInt64) -> Double {
        let u1 = max(Philox4x64.unitDouble(a), 1e-300)
        let u2 = Philox4x64.unitDouble(b)
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
