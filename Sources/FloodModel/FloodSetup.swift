import SimCore

/// What happens at an edge of the grid.
public enum EdgeBoundary: Sendable, Equatable {
    /// No flow through the edge.
    case closed
    /// Water leaves freely: a ghost cell continues the bed at slope `max(local bed slope, minSlope)` with the
    /// same depth, so the edge drains at about normal (Manning) depth. Inflow through it is not allowed.
    case free(minSlope: Double)
    /// A water level held outside the edge (sea, a river stage), in metres of the grid's vertical datum.
    case level(Double)
    /// A water level varying in time (tide, river stage): linear between points, held before/after.
    case levelSeries(times: [SimTime], levels: [Double])

    /// The held level at time t (seconds), for level boundaries.
    func level(at t: Double) -> Double? {
        switch self {
        case .level(let l): return l
        case .levelSeries(let ts, let ls):
            guard let first = ts.first, let last = ts.last else { return nil }
            if t <= first.seconds { return ls[0] }
            if t >= last.seconds { return ls[ls.count - 1] }
            for k in 1..<ts.count where t <= ts[k].seconds {
                let t0 = ts[k - 1].seconds
                let t1 = ts[k].seconds
                return ls[k - 1] + (ls[k] - ls[k - 1]) * (t - t0) / (t1 - t0)
            }
            return ls.last
        default: return nil
        }
    }
}

public struct FloodBoundaries: Sendable, Equatable {
    public var north: EdgeBoundary, south: EdgeBoundary, east: EdgeBoundary, west: EdgeBoundary
    public init(
        north: EdgeBoundary = .closed, south: EdgeBoundary = .closed, east: EdgeBoundary = .closed,
        west: EdgeBoundary = .closed
    ) {
        self.north = north
        self.south = south
        self.east = east
        self.west = west
    }
    public static let closed = FloodBoundaries()
}

/// Infiltration of surface water into the soil on pervious cells.
public enum Infiltration: Sendable, Equatable {
    case none
    /// A constant capacity in m/s.
    case constant(rate: Double)
    /// Green & Ampt (1911), explicit form as in Chow, Maidment & Mays, "Applied Hydrology" (1988) §4.3:
    /// capacity f = Ks (1 + ψ Δθ / F), F the cumulative infiltrated depth (floored at 1 mm).
    /// ks in m/s, psi (wetting-front suction head) in m, deltaTheta the moisture deficit (-).
    case greenAmpt(ks: Double, psi: Double, deltaTheta: Double)
}

/// Rainfall as piecewise-constant blocks: `rates[k]` (m/s) holds from `times[k]` until `times[k+1]`
/// (the last one until the end); zero before `times[0]`. Either uniform, or one raster of rates per block.
public struct RainSeries: Sendable, Equatable {
    public var times: [SimTime]
    public var rates: [Double]
    public var grids: [[Double]]?
    public init(times: [SimTime], rates: [Double]) {
        self.times = times
        self.rates = rates
        self.grids = nil
    }
    public init(times: [SimTime], grids: [[Double]]) {
        self.times = times
        self.grids = grids
        self.rates = grids.map { g in g.max() ?? 0 }
    }
    public static let none = RainSeries(times: [], rates: [])
    /// Index of the block active at `t`, or nil before the first.
    func block(at t: SimTime) -> Int? {
        var lo = -1
        for (k, bt) in times.enumerated() where bt <= t { lo = k }
        return lo >= 0 ? lo : nil
    }
    func nextBreak(after t: SimTime) -> SimTime? { times.first { $0 > t } }
}

/// An inflow hydrograph (m³/s, piecewise linear between points, zero outside) spread evenly over cells.
public struct Inflow: Sendable, Equatable {
    public var name: String
    public var cells: [Int]
    public var times: [SimTime]
    public var discharge: [Double]
    public init(name: String, cells: [Int], times: [SimTime], discharge: [Double]) {
        self.name = name
        self.cells = cells
        self.times = times
        self.discharge = discharge
    }
    /// Discharge at time t (linear interpolation; 0 outside the series).
    func discharge(at t: Double) -> Double {
        guard let first = times.first, let last = times.last, t >= first.seconds, t <= last.seconds else { return 0 }
        for k in 1..<max(times.count, 1) where t <= times[k].seconds {
            let t0 = times[k - 1].seconds
            let t1 = times[k].seconds
            return t1 > t0 ? discharge[k - 1] + (discharge[k] - discharge[k - 1]) * (t - t0) / (t1 - t0) : discharge[k]
        }
        return discharge.last ?? 0
    }
    func nextBreak(after t: SimTime) -> SimTime? { times.first { $0 > t } }
}

public enum Precision: String, Sendable, Equatable, CaseIterable { case single, double }

/// Numerical and physical parameters of the local-inertial scheme.
public struct FloodParameters: Sendable, Equatable {
    /// de Almeida et al. (2012) θ-weighting of the momentum term; 1 = Bates et al. (2010).
    public var theta: Double = 0.8
    /// CFL coefficient α in Δt = α Δx / √(g h_max) (Bates et al. 2010, eq. 12).
    public var alpha: Double = 0.7
    public var gravity: Double = 9.81
    /// Faces whose flow depth is at most this carry no flow (m).
    public var flowDepthThreshold: Double = 1e-4
    /// Longest step the solver takes even when the grid is dry.
    public var maxStep: SimDuration = .seconds(10)
    /// Depth (m) at which a cell counts as inundated (time of first inundation, flooded area).
    public var inundationDepth: Double = 0.1
    /// Cells shallower than this (m) report no speed (thin films give meaningless velocities).
    public var speedDepth: Double = 0.01
    public var infiltration: Infiltration = .none
    /// Urban drainage capacity as a sink (m/s) on drained cells.
    public var drainageRate: Double = 0
    /// Adds the momentum advection terms ∂(qu)/∂x + ∂(qv)/∂y that the local-inertial equations drop, in
    /// conservative first-order upwind form on the staggered grid (Stelling & Duinmeijer 2003, Int. J. Numer.
    /// Meth. Fluids 43:1329–1354, momentum-conservative variant). Needed where the Froude number is not small
    /// (low friction, steep streets): the local-inertial momentum equation then lacks the u² ∂h/∂x that full
    /// shallow-water inertia cancels. Costs about half again the time per cell-update, and the time step also
    /// honours the flow speed (Δt ∝ 1/(√(g h) + |u|)).
    public var advection: Bool = false
    public init() {}
}

/// Everything that defines a flood run apart from its state.
public struct FloodSetup: Sendable {
    public var geometry: GridGeometry
    /// Bed elevation (m), row-major, row 0 north.
    public var terrain: [Double]
    /// Manning's n (s m^-1/3) per cell.
    public var manning: [Double]
    /// Initial water depth (m) per cell, or nil for dry.
    public var initialDepth: [Double]?
    /// Cells whose water level is held at `fixedLevel` (the sea): 1 = fixed.
    public var fixedLevelMask: [UInt8]?
    public var fixedLevel: Double = 0
    /// Cells where infiltration applies (1) and where urban drainage applies (1); nil = everywhere.
    public var perviousMask: [UInt8]?
    public var drainedMask: [UInt8]?
    public var boundaries: FloodBoundaries = .closed
    public var rain: RainSeries = .none
    public var inflows: [Inflow] = []
    public var parameters = FloodParameters()
    public var precision: Precision = .double

    public init(geometry: GridGeometry, terrain: [Double], manning: [Double]) {
        self.geometry = geometry
        self.terrain = terrain
        self.manning = manning
    }
    public init(geometry: GridGeometry, terrain: [Double], manning n: Double) {
        self.init(geometry: geometry, terrain: terrain, manning: [Double](repeating: n, count: geometry.count))
    }

    /// Checks sizes and values; every problem found, located by `origin`.
    public func validate(origin: SourceLocation) -> [Diagnostic] {
        var out: [Diagnostic] = []
        let n = geometry.count
        func need(_ ok: Bool, _ code: String, _ msg: String, _ hint: String? = nil) {
            if !ok { out.append(Diagnostic(origin, code: code, message: msg, hint: hint)) }
        }
        need(
            geometry.nx >= 1 && geometry.ny >= 1, "E-FLOOD-001",
            "grid must have at least one cell (got \(geometry.nx) x \(geometry.ny))")
        need(
            geometry.cellSize > 0 && geometry.cellSize.isFinite, "E-FLOOD-002",
            "cell size must be > 0 (got \(geometry.cellSize))")
        need(terrain.count == n, "E-FLOOD-003", "terrain has \(terrain.count) cells, the grid \(n)")
        need(manning.count == n, "E-FLOOD-004", "Manning raster has \(manning.count) cells, the grid \(n)")
        if let bad = terrain.firstIndex(where: { !$0.isFinite }) {
            need(
                false, "E-FLOOD-005",
                "terrain has a non-finite value at cell \(bad % max(geometry.nx, 1)),\(bad / max(geometry.nx, 1))",
                "fill voids before simulating")
        }
        if let bad = manning.firstIndex(where: { !($0 > 0 && $0.isFinite) }) {
            need(
                false, "E-FLOOD-006",
                "Manning's n must be > 0 (got \(manning[bad]) at cell \(bad % max(geometry.nx, 1)),\(bad / max(geometry.nx, 1)))"
            )
        }
        if let d = initialDepth {
            need(
                d.count == n && d.allSatisfy { $0 >= 0 && $0.isFinite }, "E-FLOOD-007",
                "initial depth must have one finite value >= 0 per cell")
        }
        let p = parameters
        need(
            p.theta >= 0 && p.theta <= 1, "E-FLOOD-008", "theta must be in [0, 1] (got \(p.theta))",
            "0.8 is the usual choice (de Almeida et al. 2012)")
        need(
            p.alpha > 0 && p.alpha <= (0.5 as Double).squareRoot(), "E-FLOOD-009",
            "alpha (CFL coefficient) must be in (0, 0.7071] (got \(p.alpha))",
            "the 2-D scheme is unstable above 1/√2; 0.7 is the usual choice")
        need(p.maxStep.milliseconds >= 1, "E-FLOOD-010", "max step must be at least 1 ms")
        for (k, r) in rain.rates.enumerated() {
            need(r >= 0 && r.isFinite, "E-FLOOD-011", "rain rate \(k) must be >= 0 (got \(r))")
        }
        if let g = rain.grids {
            for grid in g {
                need(
                    grid.count == n && grid.allSatisfy { $0 >= 0 && $0.isFinite }, "E-FLOOD-012",
                    "each rain grid must have one rate >= 0 per cell")
            }
        }
        for f in inflows {
            need(!f.cells.isEmpty, "E-FLOOD-013", "inflow '\(f.name)' covers no cell of the grid")
            need(
                f.cells.allSatisfy { $0 >= 0 && $0 < n }, "E-FLOOD-014", "inflow '\(f.name)' has cells outside the grid"
            )
            need(
                f.times.count == f.discharge.count && !f.times.isEmpty, "E-FLOOD-015",
                "inflow '\(f.name)' needs matching times and discharges")
        }
        return out
    }
}
