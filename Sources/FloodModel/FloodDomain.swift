import SimCore

/// Makes the flood domain in the precision the setup asks for.
public func makeFloodDomain(_ setup: FloodSetup, partitions: Int) -> any DomainModel & FloodInspectable {
    switch setup.precision {
    case .single: FloodDomain<Float>(setup, partitions: partitions)
    case .double: FloodDomain<Double>(setup, partitions: partitions)
    }
}

/// Read access to the flood state for tests and coupling, independent of precision.
public protocol FloodInspectable: AnyObject {
    var geometry: GridGeometry { get }
    var depths: [Double] { get }
    var unitDischargeX: [Double] { get }
    var unitDischargeY: [Double] { get }
    var massBalance: FloodMassBalance { get }
    var lastStep: SimDuration { get }
    var substeps: Int64 { get }
}

/// Cumulative water accounting (m³) since the start of the run.
public struct FloodMassBalance: Sendable, Equatable {
    public var initialVolume = 0.0, volume = 0.0
    public var rain = 0.0, inflow = 0.0, outflow = 0.0, infiltration = 0.0, drainage = 0.0
    /// (volume - initial - rain - inflow + outflow + infiltration + drainage) / (initial + rain + inflow).
    public var relativeError: Double {
        let denom = initialVolume + rain + inflow
        let err = volume - initialVolume - rain - inflow + outflow + infiltration + drainage
        return denom > 0 ? err / denom : err
    }
}

/// 2-D local-inertial shallow-water flood model on a raster.
///
/// Momentum (per unit width, at cell faces), Bates, Horritt & Fewtrell (2010, J. Hydrol. 387:33–45) with the
/// θ-weighting of de Almeida, Bates, Freer & Souvignet (2012, Water Resour. Res. 48, W05528), eq. 7:
///   q⁺ = [θ q + (1-θ)/2 (q₋ + q₊) − g h_f Δt ∂η/∂x] / [1 + g Δt n² |q| / h_f^{7/3}]
/// with h_f = max(η_L, η_R) − max(z_L, z_R) the flow depth at the face and semi-implicit Manning friction.
/// Continuity: h⁺ = h + Δt/Δx (q_in − q_out) + sources − sinks. Time step Δt = α Δx / √(g h_max)
/// (eq. 12 of Bates et al. 2010) times √θ (see `proposeStep`), floored to whole milliseconds so that forcing and
/// output times are hit exactly.
///
/// Wet/dry: a cell's outgoing fluxes are scaled down so that it never loses more water than it holds in a step
/// (depths are never clipped; the scaled fluxes are the ones kept, so mass is conserved exactly).
///
/// Two phases per step, each parallel over row bands: fluxes and outflow limiters → depths (with momentum
/// advection a velocity phase comes first).
public final class FloodDomain<Real: FloodReal>: DomainModel, FloodInspectable {
    public let name = "flood"
    public let geometry: GridGeometry
    let setup: FloodSetup
    let layout: PartitionLayout
    let nx: Int, ny: Int
    let dx: Double

    // Static fields
    let z: FieldBuffer<Real>
    let gn2: FieldBuffer<Real>  // g · n² per cell
    let flags: FieldBuffer<UInt8>  // bit 0 fixed level, bit 1 pervious, bit 2 drained
    let rainGrid: FieldBuffer<Real>?  // current rain block's rates (m/s), gridded rain only
    // State
    let h: FieldBuffer<Real>
    let qx: FieldBuffer<Real>  // (nx + 1) · ny, positive towards +i (east)
    let qy: FieldBuffer<Real>  // nx · (ny + 1), positive towards +j (south)
    let cumInfil: FieldBuffer<Real>  // Green-Ampt cumulative infiltration F (m)
    let maxDepth: FieldBuffer<Real>
    let maxSpeed: FieldBuffer<Real>
    let arrival: FieldBuffer<Float>  // s since start; NaN = never
    // Scratch
    let qxRaw: FieldBuffer<Real>
    let qyRaw: FieldBuffer<Real>
    let limiter: FieldBuffer<Real>
    let ones: FieldBuffer<Real>  // nx ones: the limiter of a ghost cell beyond an edge
    // per partition, 5 rows: infiltration, drainage, fixed-level outflow, rain, faces below
    let rowScratch: FieldBuffer<Real>
    let faceU: FieldBuffer<Real>?  // velocity q/h_f at each x face, start of step (momentum advection only)
    let faceV: FieldBuffer<Real>?  // velocity at each y face
    /// Per row: volume, rain, inflow, outflow, infiltration, drainage (m³) of the current step, h_max, and the
    /// largest face speed at the start of the step (momentum advection only).
    let rowAcc: FieldBuffer<Double>
    static var accWidth: Int { 8 }

    // Tick inputs
    var dtMs: Int64 = 0
    var tEndSeconds: Double = 0
    var rainRate: Double = 0
    var sourceCells: [Int] = []  // sorted cell indices with an inflow this step
    var sourceDepth: [Double] = []  // depth added this step (m)
    var rainBlock: Int? = nil
    /// Levels held at the north, south, east and west edges during this step (level boundaries only).
    var edgeLevels: [Double] = [0, 0, 0, 0]

    public private(set) var massBalance = FloodMassBalance()
    public private(set) var lastStep = SimDuration.zero
    public private(set) var substeps: Int64 = 0
    var hMax: Double = 0
    var uMax: Double = 0
    var stepDiagnostics: [Double] = []
    /// A distributed run's ranks and the rows each owns (`FloodDomain+Ranks.swift`).
    var ranks: (any RankGroup)?
    var bands: [Int] = []

    public init(_ setup: FloodSetup, partitions: Int) {
        self.setup = setup
        geometry = setup.geometry
        nx = geometry.nx
        ny = geometry.ny
        dx = geometry.cellSize
        layout = PartitionLayout(rows: ny, partitions: partitions)
        let n = nx * ny
        let g = setup.parameters.gravity
        z = FieldBuffer(setup.terrain.map { Real($0) })
        gn2 = FieldBuffer(setup.manning.map { Real(g * $0 * $0) })
        var fl = [UInt8](repeating: 0, count: n)
        for k in 0..<n {
            var b: UInt8 = 0
            if let m = setup.fixedLevelMask, m[k] != 0 { b |= 1 }
            if setup.perviousMask.map({ $0[k] != 0 }) ?? true { b |= 2 }
            if setup.drainedMask.map({ $0[k] != 0 }) ?? true { b |= 4 }
            fl[k] = b
        }
        flags = FieldBuffer(fl)
        rainGrid = setup.rain.grids == nil ? nil : FieldBuffer(count: n, repeating: 0)
        var h0 = setup.initialDepth ?? [Double](repeating: 0, count: n)
        if let m = setup.fixedLevelMask {
            for k in 0..<n where m[k] != 0 { h0[k] = max(setup.fixedLevel - setup.terrain[k], 0) }
        }
        h = FieldBuffer(h0.map { Real($0) })
        qx = FieldBuffer(count: (nx + 1) * ny, repeating: 0)
        qy = FieldBuffer(count: nx * (ny + 1), repeating: 0)
        qxRaw = FieldBuffer(count: (nx + 1) * ny, repeating: 0)
        qyRaw = FieldBuffer(count: nx * (ny + 1), repeating: 0)
        limiter = FieldBuffer(count: n, repeating: 1)
        ones = FieldBuffer(count: nx, repeating: 1)
        rowScratch = FieldBuffer(count: layout.count * 5 * nx, repeating: 0)
        faceU = setup.parameters.advection ? FieldBuffer(count: (nx + 1) * ny, repeating: 0) : nil
        faceV = setup.parameters.advection ? FieldBuffer(count: nx * (ny + 1), repeating: 0) : nil
        cumInfil = FieldBuffer(count: n, repeating: 0)
        maxDepth = FieldBuffer(h0.map { Real($0) })
        maxSpeed = FieldBuffer(count: n, repeating: 0)
        let thr = setup.parameters.inundationDepth
        arrival = FieldBuffer(h0.map { $0 > thr ? 0 : Float.nan })
        rowAcc = FieldBuffer(count: ny * Self.accWidth, repeating: 0)
        var v0 = 0.0
        var hm = 0.0
        for j in 0..<ny {
            var rv = 0.0
            for i in 0..<nx {
                let d = Double(h[j * nx + i])
                rv += d
                hm = max(hm, d)
            }
            v0 += rv * dx * dx
        }
        massBalance.initialVolume = v0
        massBalance.volume = v0
        hMax = hm
    }

    public var partitionCount: Int { layout.count }
    public var phaseCount: Int { faceU == nil ? 2 : 3 }

    // MARK: step loop contract

    public func proposeStep(at now: SimTime, limit: SimDuration) -> SimDuration {
        let p = setup.parameters
        var ms = limit.milliseconds
        ms = min(ms, p.maxStep.milliseconds)
        if hMax > 0 {
            // Von Neumann analysis of the linearised, frictionless 2-D θ-scheme gives the limit
            // c Δt/Δx ≤ √(θ/2) (worst mode k = (π, π)); Δt = α √θ Δx / √(g h_max) is stable for
            // α ≤ 1/√2 at any θ and equals Bates et al.'s Δt = α Δx / √(g h_max) for θ = 1.
            // With momentum advection the fastest signal is |u| + √(g h).
            let cfl = p.alpha * p.theta.squareRoot() * dx / ((p.gravity * hMax).squareRoot() + uMax)
            ms = min(ms, max(1, Int64((cfl * 1000).rounded(.down))))
        }
        if let b = setup.rain.nextBreak(after: now) { ms = min(ms, (b - now).milliseconds) }
        for f in setup.inflows { if let b = f.nextBreak(after: now) { ms = min(ms, (b - now).milliseconds) } }
        return SimDuration(milliseconds: max(ms, 1))
    }

    public func beginTick(at now: SimTime, step: SimDuration) {
        dtMs = step.milliseconds
        let dt = step.seconds
        tEndSeconds = (now + step).seconds
        let blk = setup.rain.block(at: now)
        rainRate = blk.map { setup.rain.rates[$0] } ?? 0
        if let grids = setup.rain.grids, let rg = rainGrid, blk != rainBlock {
            if let b = blk { for k in 0..<rg.count { rg[k] = Real(grids[b][k]) } } else { rg.fill(0) }
        }
        rainBlock = blk
        // Inflows: the discharge at mid-step is the exact mean of a linear hydrograph over the step.
        var src: [Int: Double] = [:]
        let tMid = now.seconds + dt / 2
        for f in setup.inflows {
            let q = f.discharge(at: tMid)
            if q == 0 { continue }
            let depth = q * dt / (Double(f.cells.count) * dx * dx)
            for c in f.cells { src[c, default: 0] += depth }
        }
        sourceCells = src.keys.sorted()
        sourceDepth = sourceCells.map { src[$0]! }
        let b = setup.boundaries
        edgeLevels = [b.north, b.south, b.east, b.west].map { $0.level(at: tMid) ?? 0 }
        lastStep = step
    }

    public func step(phase: Int, partition: Int) {
        // Calls through the protocol reach the unspecialised generic body; re-enter with the concrete type so
        // the optimiser's Float/Double specialisations of the kernels run.
        if Real.self == Float.self {
            unsafeDowncast(self as AnyObject, to: FloodDomain<Float>.self).stepConcrete(
                phase: phase, partition: partition)
        } else if Real.self == Double.self {
            unsafeDowncast(self as AnyObject, to: FloodDomain<Double>.self).stepConcrete(
                phase: phase, partition: partition)
        } else {
            stepConcrete(phase: phase, partition: partition)
        }
    }

    @inline(never)
    final func stepConcrete(phase: Int, partition: Int) {
        let rows = layout.rowRange(partition)
        // With momentum advection a velocity phase comes first.
        switch faceU == nil ? phase + 1 : phase {
        case 0: for j in rows { velocityRow(j) }
        case 1:
            // Fluxes, and each row's limiter as soon as the row below has its fluxes; the band's last row needs
            // the north faces of the next band's first row, computed here again (same inputs, same bits).
            let qyr = qyRaw.base
            for j in rows {
                fluxRow(j)
                if j > rows.lowerBound { limiterRow(j - 1, south: qyr + j * nx) }
            }
            if let last = rows.last {
                if last + 1 < ny {
                    let below = rowScratch.base + (partition * 5 + 4) * nx
                    fluxRow(last + 1, northOnly: below)
                    limiterRow(last, south: below)
                } else {
                    limiterRow(last, south: qyr + ny * nx)
                }
            }
        default: depthRows(rows, partition: partition)
        }
    }

    public func exchange(phase: Int) {
        // In-process partitions share the grid arrays: the barrier after each phase is the halo exchange. Over
        // ranks, the rows a neighbour's next phase reads are copied (`FloodDomain+Ranks.swift`).
        if ranks != nil { exchangeRows(phase: phase) }
    }

    public func endTick(at now: SimTime) {
        var d = [Double](repeating: 0, count: Self.accWidth)
        var hm = 0.0
        var um = 0.0
        let w = Self.accWidth
        for j in 0..<ny {
            for k in 0..<6 { d[k] += rowAcc[j * w + k] }
            hm = max(hm, rowAcc[j * w + 6])
            um = max(um, rowAcc[j * w + 7])
        }
        hMax = hm
        uMax = um
        substeps += 1
        massBalance.volume = d[0]
        massBalance.rain += d[1]
        massBalance.inflow += d[2]
        massBalance.outflow += d[3]
        massBalance.infiltration += d[4]
        massBalance.drainage += d[5]
        stepDiagnostics = [Double(dtMs) / 1000, d[0], d[2], d[3], d[1], d[4], d[5], massBalance.relativeError, hm]
    }

    // MARK: kernels

    /// Flux phase: raw face discharges of row j (its west/east faces and its north face; the last row also its
    /// south face) from the state at the start of the step. With `northOnly`, only the north faces, written
    /// there instead (a band computes the face row below it again for its last row's limiter).
    @inline(__always)
    func fluxRow(_ j: Int, northOnly: UnsafeMutablePointer<Real>? = nil) {
        let p = setup.parameters
        let g = Real(p.gravity)
        let dt = Real(Double(dtMs) / 1000)
        let dxr = Real(dx)
        let theta = Real(p.theta)
        let side = (1 - theta) / 2
        let hmin = Real(p.flowDepthThreshold)
        let gdtdx = g * dt / dxr
        let z = z.base
        let h = h.base
        let gn2 = gn2.base
        let qx = qx.base
        let qy = qy.base
        let qxr = qxRaw.base
        let qyr = qyRaw.base
        let nx = nx
        let ny = ny
        let row = j * nx
        let qrow = j * (nx + 1)
        let yDest = northOnly ?? qyr + j * nx

        // Branch-free so the loops vectorise: faces with h_f <= threshold compute with h_f = threshold, then select 0.
        @inline(__always) func flux(
            _ etaL: Real, _ etaR: Real, _ zL: Real, _ zR: Real, _ q: Real, _ qavg: Real, _ gn2f: Real, _ adv: Real = 0
        ) -> Real {
            let hfRaw = max(etaL, etaR) - max(zL, zR)
            let hf = max(hfRaw, hmin)
            let r = Real.inverseCubeRoot(hf)  // h_f^(-1/3)
            let r2 = r * r
            let r7 = r2 * r2 * r2 * r  // h_f^(-7/3)
            let num = qavg - gdtdx * hf * (etaR - etaL) - dt * adv
            let den = 1 + dt * gn2f * abs(q) * r7
            return hfRaw > hmin ? num / den : 0
        }
        // x faces: interior
        if northOnly != nil {
        } else if nx > 1, let fu = faceU?.base {
            // Momentum advection ∂(qu)/∂x + ∂(qv)/∂y at x face i: momentum fluxes at the centres of
            // cells i-1, i (mean mass flux times upwind face velocity) and at the face's north and south corners.
            let inv = 1 / dxr
            let uN = fu + (j > 0 ? qrow - (nx + 1) : qrow)
            let uC = fu + qrow
            let uS = fu + (j + 1 < ny ? qrow + (nx + 1) : qrow)
            let qN = qy + j * nx
            let qS = qy + (j + 1) * nx
            let qc = qx + qrow
            for i in 1..<nx {
                let kL = row + i - 1
                let kR = row + i
                let zL = z[kL]
                let zR = z[kR]
                let q = qc[i]
                let qavg = theta * q + side * (qc[i - 1] + qc[i + 1])
                // every operand loaded unconditionally, then selected, so the loop vectorises
                let uW = uC[i - 1]
                let u0 = uC[i]
                let uE = uC[i + 1]
                let uUp = uN[i]
                let uDn = uS[i]
                let mW = (qc[i - 1] + q) / 2
                let mE = (q + qc[i + 1]) / 2
                let fW = mW * (mW > 0 ? uW : u0)
                let fE = mE * (mE > 0 ? u0 : uE)
                let mN = (qN[i - 1] + qN[i]) / 2
                let mS = (qS[i - 1] + qS[i]) / 2
                let gN = mN * (mN > 0 ? uUp : u0)
                let gS = mS * (mS > 0 ? u0 : uDn)
                let adv = ((fE - fW) + (gS - gN)) * inv  // grouped so an x-mirror gives mirrored bits
                qxr[qrow + i] = flux(zL + h[kL], zR + h[kR], zL, zR, q, qavg, (gn2[kL] + gn2[kR]) / 2, adv)
            }
        } else if nx > 1 {
            for i in 1..<nx {
                let kL = row + i - 1
                let kR = row + i
                let zL = z[kL]
                let zR = z[kR]
                let q = qx[qrow + i]
                let qavg = theta * q + side * (qx[qrow + i - 1] + qx[qrow + i + 1])
                qxr[qrow + i] = flux(zL + h[kL], zR + h[kR], zL, zR, q, qavg, (gn2[kL] + gn2[kR]) / 2)
            }
        }
        // x faces: west edge (ghost on the left) and east edge (ghost on the right)
        if northOnly == nil {
            qxr[qrow] = edgeFlux(
                setup.boundaries.west, level: edgeLevels[3], cell: row, inner: nx > 1 ? row + 1 : row, q: qx[qrow],
                ghostIsLeft: true)
            qxr[qrow + nx] = edgeFlux(
                setup.boundaries.east, level: edgeLevels[2], cell: row + nx - 1,
                inner: nx > 1 ? row + nx - 2 : row + nx - 1, q: qx[qrow + nx], ghostIsLeft: false)
        }
        // y faces: north face of row j
        let yrow = j * nx
        if j == 0 {
            for i in 0..<nx {
                yDest[i] = edgeFlux(
                    setup.boundaries.north, level: edgeLevels[0], cell: i, inner: ny > 1 ? nx + i : i, q: qy[i],
                    ghostIsLeft: true)
            }
        } else {
            let up = (j - 1) * nx
            // neighbouring faces along y (faces 0 and ny are the edge faces, as for x)
            let prev = qy + (yrow - nx)
            let next = qy + (yrow + nx)
            let cur = qy + yrow
            if let fv = faceV?.base {
                let inv = 1 / dxr
                let vP = fv + (yrow - nx)
                let vC = fv + yrow
                let vN = fv + (yrow + nx)
                let qxN = qx + (j - 1) * (nx + 1)
                let qxS = qx + j * (nx + 1)
                @inline(__always) func face(_ i: Int, _ vW: Real, _ vE: Real) {
                    let kL = up + i
                    let kR = row + i
                    let zL = z[kL]
                    let zR = z[kR]
                    let q = cur[i]
                    let qP = prev[i]
                    let qNx = next[i]
                    let v0 = vC[i]
                    let vUp = vP[i]
                    let vDn = vN[i]
                    let qavg = theta * q + side * (qP + qNx)
                    // along y: momentum fluxes at the centres of cells (i, j-1) and (i, j)
                    let mU = (qP + q) / 2
                    let mD = (q + qNx) / 2
                    let fU = mU * (mU > 0 ? vUp : v0)
                    let fD = mD * (mD > 0 ? v0 : vDn)
                    // across: at the west and east corners (x faces i and i+1 between rows j-1 and j)
                    let mW = (qxN[i] + qxS[i]) / 2
                    let mE = (qxN[i + 1] + qxS[i + 1]) / 2
                    let gW = mW * (mW > 0 ? vW : v0)
                    let gE = mE * (mE > 0 ? v0 : vE)
                    let adv = ((fD - fU) + (gE - gW)) * inv
                    yDest[i] = flux(zL + h[kL], zR + h[kR], zL, zR, q, qavg, (gn2[kL] + gn2[kR]) / 2, adv)
                }
                // the edge columns continue the velocity outwards
                face(0, vC[0], vC[min(1, nx - 1)])
                if nx > 2 { for i in 1..<(nx - 1) { face(i, vC[i - 1], vC[i + 1]) } }
                if nx > 1 { face(nx - 1, vC[nx - 2], vC[nx - 1]) }
            } else {
                for i in 0..<nx {
                    let kL = up + i
                    let kR = row + i
                    let zL = z[kL]
                    let zR = z[kR]
                    let q = cur[i]
                    let qavg = theta * q + side * (prev[i] + next[i])
                    yDest[i] = flux(zL + h[kL], zR + h[kR], zL, zR, q, qavg, (gn2[kL] + gn2[kR]) / 2)
                }
            }
        }
        if j == ny - 1, northOnly == nil {
            let srow = ny * nx
            for i in 0..<nx {
                qyr[srow + i] = edgeFlux(
                    setup.boundaries.south, level: edgeLevels[1], cell: row + i, inner: ny > 1 ? row - nx + i : row + i,
                    q: qy[srow + i], ghostIsLeft: false)
            }
        }
    }

    /// Momentum advection only, first phase: face velocities u = q/h_f of row j's x faces and of its north y face
    /// (the last row also its south face) from the start-of-step state; faces shallower than `speedDepth` get 0
    /// (thin films give meaningless speeds). Also the row's largest speed, for the time step.
    @inline(__always)
    func velocityRow(_ j: Int) {
        let nx = nx
        let ny = ny
        let z = z.base
        let h = h.base
        let qx = qx.base
        let qy = qy.base
        let fu = faceU!.base
        let fv = faceV!.base
        let hAdv = Real(setup.parameters.speedDepth)
        let row = j * nx
        let qrow = j * (nx + 1)
        var speed: Real = 0
        @inline(__always) func vel(_ q: Real, _ hf: Real) -> Real { hf > hAdv ? q / max(hf, hAdv) : 0 }
        fu[qrow] = vel(qx[qrow], h[row])
        fu[qrow + nx] = vel(qx[qrow + nx], h[row + nx - 1])
        speed = max(abs(fu[qrow]), abs(fu[qrow + nx]))
        for i in 1..<max(nx, 1) {
            let kL = row + i - 1
            let kR = kL + 1
            let u = vel(qx[qrow + i], max(z[kL] + h[kL], z[kR] + h[kR]) - max(z[kL], z[kR]))
            fu[qrow + i] = u
            speed = max(speed, abs(u))
        }
        if j == 0 {
            for i in 0..<nx {
                let v = vel(qy[i], h[i])
                fv[i] = v
                speed = max(speed, abs(v))
            }
        } else {
            for i in 0..<nx {
                let kL = row - nx + i
                let kR = row + i
                let v = vel(qy[row + i], max(z[kL] + h[kL], z[kR] + h[kR]) - max(z[kL], z[kR]))
                fv[row + i] = v
                speed = max(speed, abs(v))
            }
        }
        if j == ny - 1 {
            let s = ny * nx
            for i in 0..<nx {
                let v = vel(qy[s + i], h[row + i])
                fv[s + i] = v
                speed = max(speed, abs(v))
            }
        }
        rowAcc[j * Self.accWidth + 7] = Double(speed)
    }

    /// Discharge through an edge face. `ghostIsLeft`: the ghost cell is on the negative side (west/north edge).
    @inline(__always)
    func edgeFlux(_ b: EdgeBoundary, level: Double, cell k: Int, inner: Int, q: Real, ghostIsLeft: Bool) -> Real {
        let p = setup.parameters
        let zc = z[k]
        let hc = h[k]
        let etac = zc + hc
        let dxr = Real(dx)
        let dt = Real(Double(dtMs) / 1000)
        let g = Real(p.gravity)
        let hmin = Real(p.flowDepthThreshold)
        let etaG: Real
        let zG: Real
        switch b {
        case .closed:
            return 0
        case .level, .levelSeries:
            zG = zc
            etaG = max(Real(level), zc)
        case .free(let minSlope):
            let bed = (z[inner] - zc) / dxr  // positive when the bed falls towards the edge
            let s = max(bed, Real(minSlope))
            zG = zc - s * dxr
            etaG = zG + hc
        }
        let (etaL, etaR, zL, zR) = ghostIsLeft ? (etaG, etac, zG, zc) : (etac, etaG, zc, zG)
        let hf = max(etaL, etaR) - max(zL, zR)
        if hf <= hmin { return 0 }
        let num = q - g * dt * hf * (etaR - etaL) / dxr
        let r = Real.inverseCubeRoot(hf)
        let r2 = r * r
        let den = 1 + dt * gn2[k] * abs(q) * (r2 * r2 * r2 * r)
        var out = num / den
        if case .free = b { out = ghostIsLeft ? min(out, 0) : max(out, 0) }  // outflow only
        return out
    }

    /// Flux phase, one row behind: the factor (≤ 1) by which each cell's outgoing fluxes are scaled so it cannot
    /// run dry below zero. `south` holds the raw discharges of the row's south faces.
    @inline(__always)
    func limiterRow(_ j: Int, south: UnsafeMutablePointer<Real>) {
        let nx = nx
        let h = h.base
        let qxr = qxRaw.base
        let qyr = qyRaw.base
        let lim = limiter.base
        let area = Real(dx * dx)
        let dtw = Real(Double(dtMs) / 1000) * Real(dx)
        let safety = 1 - 8 * Real.ulpOfOne
        let row = j * nx
        let qrow = j * (nx + 1)
        for i in 0..<nx {
            let k = row + i
            let out = max(-qxr[qrow + i], 0) + max(qxr[qrow + i + 1], 0) + max(-qyr[k], 0) + max(south[i], 0)
            let outVol = out * dtw
            let vol = h[k] * area
            lim[k] = outVol > vol ? vol / outVol * safety : 1
        }
    }

    // MARK: outputs

    public var outputSchema: OutputSchema {
        let g = geometry
        let crs = g.epsg != 0 ? ["crs": "EPSG:\(g.epsg)"] : [:]
        return OutputSchema(
            group: "flood",
            coordinates: [
                Coordinate(
                    "y", units: "m", longName: "northing of cell centre", values: (0..<g.ny).map { g.yCenter($0) },
                    attributes: crs.merging(["axis": "Y", "standard_name": "projection_y_coordinate"]) { a, _ in a }),
                Coordinate(
                    "x", units: "m", longName: "easting of cell centre", values: (0..<g.nx).map { g.xCenter($0) },
                    attributes: crs.merging(["axis": "X", "standard_name": "projection_x_coordinate"]) { a, _ in a }),
            ],
            snapshots: [Variable("depth", units: "m", longName: "water depth", dims: ["y", "x"])],
            finals: [
                Variable("max_depth", units: "m", longName: "maximum water depth", dims: ["y", "x"]),
                Variable(
                    "max_speed", units: "m s-1",
                    longName: "maximum flow speed (cells deeper than \(setup.parameters.speedDepth) m)",
                    dims: ["y", "x"]),
                Variable(
                    "arrival_time", units: "s",
                    longName: "time of first inundation (depth > \(setup.parameters.inundationDepth) m) since start",
                    dims: ["y", "x"], fillValue: .nan),
                Variable(
                    "terrain", units: "m", longName: "bed elevation used (after scenario changes)", dims: ["y", "x"]),
            ],
            diagnostics: [
                Variable("dt", units: "s", longName: "time step", dims: ["step"], type: .float64),
                Variable(
                    "volume", units: "m3", longName: "stored water volume at the end of the step", dims: ["step"],
                    type: .float64),
                Variable(
                    "inflow", units: "m3", longName: "inflow hydrograph volume in the step", dims: ["step"],
                    type: .float64),
                Variable(
                    "outflow", units: "m3", longName: "net volume leaving through boundaries in the step",
                    dims: ["step"], type: .float64),
                Variable("rain", units: "m3", longName: "rain volume in the step", dims: ["step"], type: .float64),
                Variable(
                    "infiltration", units: "m3", longName: "infiltrated volume in the step", dims: ["step"],
                    type: .float64),
                Variable(
                    "drainage", units: "m3", longName: "volume removed by urban drainage in the step", dims: ["step"],
                    type: .float64),
                Variable(
                    "mass_error", units: "1", longName: "cumulative relative mass-balance error", dims: ["step"],
                    type: .float64),
                Variable(
                    "max_depth_now", units: "m", longName: "largest depth at the end of the step", dims: ["step"],
                    type: .float64),
            ],
            attributes: [
                "scheme": setup.parameters.advection
                    ? "local inertial with momentum advection (Bates et al. 2010; de Almeida et al. 2012; "
                        + "Stelling & Duinmeijer 2003)"
                    : "local inertial (Bates et al. 2010; de Almeida et al. 2012)",
                "theta": "\(setup.parameters.theta)", "alpha": "\(setup.parameters.alpha)",
                "precision": setup.precision.rawValue,
            ])
    }

    public func diagnostics() -> [Double] { stepDiagnostics }

    public func snapshot() -> [ArrayData] { [.float32((0..<h.count).map { Float(h[$0]) })] }

    public func finals() -> [ArrayData] {
        let n = nx * ny
        return [
            .float32((0..<n).map { Float(maxDepth[$0]) }),
            .float32((0..<n).map { Float(maxSpeed[$0]) }),
            .float32(arrival.array),
            .float32((0..<n).map { Float(z[$0]) }),
        ]
    }

    public func kpis() -> [KPI] {
        let n = nx * ny
        var flooded = 0
        var maxD = 0.0
        let thr = Real(setup.parameters.inundationDepth)
        for k in 0..<n where flags[k] & 1 == 0 {
            if maxDepth[k] > thr { flooded += 1 }
            maxD = max(maxD, Double(maxDepth[k]))
        }
        let mb = massBalance
        return [
            KPI("flooded_area", Double(flooded) * dx * dx, "m2"),
            KPI("max_depth", maxD, "m"),
            KPI("rain_volume", mb.rain, "m3"),
            KPI("inflow_volume", mb.inflow, "m3"),
            KPI("outflow_volume", mb.outflow, "m3"),
            KPI("stored_volume", mb.volume, "m3"),
            KPI("mass_error", mb.relativeError, "1"),
            KPI("steps", Double(substeps), "1"),
        ]
    }

    // MARK: checkpoint

    public func checkpointState() -> [NamedArray] {
        func arr(_ f: FieldBuffer<Real>) -> ArrayData {
            Real.self == Float.self
                ? .float32((0..<f.count).map { Float(f[$0]) }) : .float64((0..<f.count).map { Double(f[$0]) })
        }
        return [
            NamedArray("h", shape: [ny, nx], arr(h)),
            NamedArray("qx", shape: [ny, nx + 1], arr(qx)),
            NamedArray("qy", shape: [ny + 1, nx], arr(qy)),
            NamedArray("cum_infiltration", shape: [ny, nx], arr(cumInfil)),
            NamedArray("max_depth", shape: [ny, nx], arr(maxDepth)),
            NamedArray("max_speed", shape: [ny, nx], arr(maxSpeed)),
            NamedArray("arrival", shape: [ny, nx], .float32(arrival.array)),
        ] + accountArrays
    }

    /// The water accounts and step counters of a checkpoint (the same on every rank).
    var accountArrays: [NamedArray] {
        let mb = massBalance
        return [
            NamedArray(
                "accounts",
                .float64([
                    mb.initialVolume, mb.volume, mb.rain, mb.inflow, mb.outflow, mb.infiltration, mb.drainage, hMax,
                    uMax,
                ])),
            NamedArray("counters", .int64([substeps, lastStep.milliseconds])),
        ]
    }

    public func restore(from state: [NamedArray]) throws {
        func find(_ name: String, _ count: Int) throws -> ArrayData {
            try state.checkpointArray(name, count: count, domain: "flood", mismatch: "a different grid")
        }
        func load(_ f: FieldBuffer<Real>, _ name: String) throws {
            let d = try find(name, f.count)
            switch d {
            case .float32(let v) where Real.self == Float.self: for k in 0..<v.count { f[k] = Real(v[k]) }
            case .float64(let v) where Real.self == Double.self: for k in 0..<v.count { f[k] = Real(v[k]) }
            default:
                throw RunError(
                    "checkpoint flood state '\(name)' is \(d.typeName), this run uses "
                        + "\(setup.precision.rawValue) precision",
                    hint: "resume with the precision the run started with")
            }
        }
        try load(h, "h")
        try load(qx, "qx")
        try load(qy, "qy")
        try load(cumInfil, "cum_infiltration")
        try load(maxDepth, "max_depth")
        try load(maxSpeed, "max_speed")
        guard case .float32(let a) = try find("arrival", arrival.count) else {
            throw RunError("checkpoint flood state 'arrival' has the wrong type")
        }
        arrival.assign(a)
        guard case .float64(let acc) = try find("accounts", 9), case .int64(let c) = try find("counters", 2) else {
            throw RunError("checkpoint flood accounts have the wrong type")
        }
        massBalance = FloodMassBalance(
            initialVolume: acc[0], volume: acc[1], rain: acc[2], inflow: acc[3], outflow: acc[4], infiltration: acc[5],
            drainage: acc[6])
        hMax = acc[7]
        uMax = acc[8]
        substeps = c[0]
        lastStep = SimDuration(milliseconds: c[1])
    }

    // MARK: inspection
    public var depths: [Double] { (0..<h.count).map { Double(h[$0]) } }

    // coupling: the water depth of every cell, read only where a consumer samples it
    public var provides: [ExchangeField] { [ExchangeField("flood.water_depth", units: "m", site: .cells(geometry))] }

    public func read(_ field: String, at indices: [Int32], into values: inout [Double]) {
        guard field == "flood.water_depth" else { return }
        if ranks != nil { return readDistributed(at: indices, into: &values) }
        for (k, i) in indices.enumerated() { values[k] = Double(h[Int(i)]) }
    }
    public var unitDischargeX: [Double] { (0..<qx.count).map { Double(qx[$0]) } }
    public var unitDischargeY: [Double] { (0..<qy.count).map { Double(qy[$0]) } }
}

@inline(__always) func lowerBound(_ a: [Int], _ v: Int) -> Int {
    var lo = 0
    var hi = a.count
    while lo < hi {
        let m = (lo + hi) / 2
        if a[m] < v { lo = m + 1 } else { hi = m }
    }
    return lo
}
