import SimCore

extension FloodDomain {
    /// Last phase: the limited fluxes become the new state, and depths are updated with the fluxes, rain, inflows
    /// and losses (continuity, Bates et al. 2010 eq. 2):
    ///   h⁺ = h + Δt/Δx (q_W − q_E + q_N − q_S) + rain − infiltration − drainage.
    /// A face's raw flux is scaled by the limiter of its upwind cell (a ghost beyond an edge is unlimited).
    /// Each row is one branch-free pass that the compiler vectorises; the row's water accounts are summed
    /// afterwards from per-partition scratch rows in a fixed order (`laneSum`), so they do not depend on the
    /// partitioning.
    @inline(__always)
    func depthRows(_ rows: Range<Int>, partition: Int) {
        let p = setup.parameters
        let nx = nx
        let ny = ny
        let dtd = Double(dtMs) / 1000
        let dt = Real(dtd)
        let dtdx = Real(dtd / dx)
        let area = dx * dx
        let z = z.base
        let h = h.base
        let qx = qx.base
        let qy = qy.base
        let qxr = qxRaw.base
        let qyr = qyRaw.base
        let lim = limiter.base
        let flags = flags.base
        let mxd = maxDepth.base
        let mxs = maxSpeed.base
        let arr = arrival.base
        let F = cumInfil.base
        let one = ones.base
        let rg = rainGrid?.base
        let rainDepth = Real(rainRate * dtd)
        let fixedLevel = Real(setup.fixedLevel)
        let thr = Real(p.inundationDepth)
        let speedDepth = Real(p.speedDepth)
        let tEnd = Float(tEndSeconds)
        let drain = Real(p.drainageRate * dtd)
        var infilConst: Real = 0
        var gaKs: Real = 0
        var gaPsi: Real = 0
        var greenAmpt = false
        switch p.infiltration {
        case .none: break
        case .constant(let r): infilConst = Real(r * dtd)
        case .greenAmpt(let ks, let psi, let dtheta):
            gaKs = Real(ks * dtd)
            gaPsi = Real(psi * dtheta)
            greenAmpt = true
        }
        let infiltrates = infilConst > 0 || greenAmpt
        let drains = drain > 0
        let hasFixed = setup.fixedLevelMask != nil
        let sc = rowScratch.base + partition * 5 * nx
        let sInfil = sc
        let sDrain = sc + nx
        let sFixed = sc + 2 * nx
        let sRain = sc + 3 * nx
        let b = setup.boundaries
        let westOpen = b.west != .closed
        let eastOpen = b.east != .closed
        let w = Self.accWidth

        // Inflow sources of these rows are added before the update.
        let firstCell = rows.lowerBound * nx
        let endCell = rows.upperBound * nx
        var s = lowerBound(sourceCells, firstCell)
        for j in rows { rowAcc[j * w + 2] = 0 }
        while s < sourceCells.count, sourceCells[s] < endCell {
            let k = sourceCells[s]
            h[k] += Real(sourceDepth[s])
            rowAcc[(k / nx) * w + 2] += sourceDepth[s] * area
            s += 1
        }

        for j in rows {
            let row = j * nx
            let qrow = j * (nx + 1)
            let limRow = lim + row
            let qxRow = qx + qrow
            let qxrRow = qxr + qrow
            // Limited x faces of this row (face i lies between cells i-1 and i).
            do {
                let q = qxrRow[0]
                let l = limRow[0]
                qxRow[0] = q > 0 ? q : q * l
            }
            for i in 1..<max(nx, 1) {
                let q = qxrRow[i]
                let a = limRow[i - 1]
                let c = limRow[i]
                qxRow[i] = q * (q > 0 ? a : c)
            }
            do {
                let q = qxrRow[nx]
                let l = limRow[nx - 1]
                qxRow[nx] = q > 0 ? q * l : q
            }
            // Limited north faces (written by this row), and the factors of the south faces (written by the next).
            let qyN = qy + row
            let qyrN = qyr + row
            let qyrS = qyr + row + nx
            let limUp = j > 0 ? limRow - nx : one
            for i in 0..<nx {
                let q = qyrN[i]
                let a = limUp[i]
                let c = limRow[i]
                qyN[i] = q * (q > 0 ? a : c)
            }
            let limDn = j + 1 < ny ? limRow + nx : one
            let rgRow = rg.map { $0 + row } ?? sRain  // not read without gridded rain

            @inline(__always) func cells(_ gridRain: Bool, _ infil: Bool, _ ga: Bool, _ drainage: Bool, _ fixed: Bool) {
                for i in 0..<nx {
                    let k = row + i
                    let qW = qxRow[i]
                    let qE = qxRow[i + 1]
                    let qN = qyN[i]
                    let qSr = qyrS[i]
                    let la = limRow[i]
                    let lb = limDn[i]
                    let qS = qSr * (qSr > 0 ? la : lb)
                    var hn = h[k] + dtdx * (qW - qE + qN - qS)
                    let r = gridRain ? rgRow[i] * dt : rainDepth
                    hn += r
                    if gridRain { sRain[i] = r }
                    let fl = flags[k]
                    if infil {
                        var cap = infilConst
                        if ga { cap = gaKs * (1 + gaPsi / max(F[k], Real(0.001))) }
                        let loss = fl & 2 != 0 ? max(min(hn, cap), 0) : 0
                        hn -= loss
                        sInfil[i] = loss
                        if ga { F[k] += loss }
                    }
                    if drainage {
                        let loss = fl & 4 != 0 ? max(min(hn, drain), 0) : 0
                        hn -= loss
                        sDrain[i] = loss
                    }
                    if fixed {
                        let target = max(fixedLevel - z[k], 0)
                        let isFixed = fl & 1 != 0
                        sFixed[i] = isFixed ? hn - target : 0
                        hn = isFixed ? target : hn
                    }
                    // Limiting keeps hn >= 0 up to rounding of the last bit; never let that bit go negative.
                    hn = hn < 0 ? 0 : hn
                    h[k] = hn
                    let md = mxd[k]
                    let a = arr[k]
                    let ms = mxs[k]
                    arr[k] = hn > thr && md <= thr && a.isNaN ? tEnd : a
                    mxd[k] = hn > md ? hn : md
                    let ux = (qW + qE) / 2
                    let uy = (qN + qS) / 2
                    let sp = (ux * ux + uy * uy).squareRoot() / max(hn, speedDepth)
                    mxs[k] = hn > speedDepth && sp > ms ? sp : ms
                }
            }
            // Specialised copies for the common cases; the general one covers the rest.
            if rg == nil && !infiltrates && !drains {
                if hasFixed {
                    cells(false, false, false, false, true)
                } else {
                    cells(false, false, false, false, false)
                }
            } else if rg == nil && !infiltrates && drains && hasFixed {
                cells(false, false, false, true, true)
            } else {
                cells(rg != nil, infiltrates, greenAmpt, drains, hasFixed)
            }

            // The row's accounts.
            var out = 0.0
            if westOpen { out -= Double(qxRow[0]) * dtd * dx }
            if eastOpen { out += Double(qxRow[nx]) * dtd * dx }
            if j == 0, b.north != .closed { for i in 0..<nx { out -= Double(qyN[i]) * dtd * dx } }
            if j == ny - 1 {
                // south edge faces belong to the last row
                let qyS = qy + row + nx
                for i in 0..<nx {
                    let q = qyrS[i]
                    let l = limRow[i]
                    qyS[i] = q > 0 ? q * l : q
                }
                if b.south != .closed { for i in 0..<nx { out += Double(qyS[i]) * dtd * dx } }
            }
            if hasFixed { out += Real.laneSum(sFixed, nx) * area }
            rowAcc[j * w + 0] = Real.laneSum(h + row, nx) * area
            rowAcc[j * w + 1] = (rg != nil ? Real.laneSum(sRain, nx) : Double(rainDepth) * Double(nx)) * area
            rowAcc[j * w + 3] = out
            rowAcc[j * w + 4] = infiltrates ? Real.laneSum(sInfil, nx) * area : 0
            rowAcc[j * w + 5] = drains ? Real.laneSum(sDrain, nx) * area : 0
            rowAcc[j * w + 6] = Double(Real.laneMax(h + row, nx))
        }
    }
}
