import SimCore

extension EnergySetup {
    /// Map positions (model CRS) of buses and transformers, which the grid file does not place: a bus sits at the
    /// mean of the buildings it supplies and the substations on it; a bus with neither takes the mean of its placed
    /// neighbours (over lines, transformers and closed bus-bus switches), repeated until nothing changes. A
    /// transformer sits at its substation asset, else at its low-voltage bus. NaN: nothing to place it by.
    public var positions: (bus: (x: [Double], y: [Double]), trafo: (x: [Double], y: [Double])) {
        let n = grid.buses.count
        var sx = [Double](repeating: 0, count: n)
        var sy = sx
        var count = sx
        func add(_ bus: Int, _ x: Double, _ y: Double) {
            guard bus >= 0, bus < n, x.isFinite, y.isFinite else { return }
            sx[bus] += x
            sy[bus] += y
            count[bus] += 1
        }
        for b in buildings where b.load >= 0 && b.load < grid.loads.count { add(grid.loads[b.load].bus, b.x, b.y) }
        var trafoAt = [(Double, Double)?](repeating: nil, count: grid.trafos.count)
        for a in assets {
            switch a.kind {
            case .secondary where a.element >= 0 && a.element < grid.trafos.count:
                trafoAt[a.element] = (a.x, a.y)
                add(grid.trafos[a.element].hvBus, a.x, a.y)
                add(grid.trafos[a.element].lvBus, a.x, a.y)
            case .primary where a.element >= 0 && a.element < grid.extGrids.count:
                add(grid.extGrids[a.element].bus, a.x, a.y)
            default:
                break
            }
        }
        var x = (0..<n).map { count[$0] > 0 ? sx[$0] / count[$0] : .nan }
        var y = (0..<n).map { count[$0] > 0 ? sy[$0] / count[$0] : .nan }
        var edges = grid.lines.map { ($0.fromBus, $0.toBus) } + grid.trafos.map { ($0.hvBus, $0.lvBus) }
        edges += grid.switches.filter { $0.kind == .bus && $0.closed }.map { ($0.bus, $0.element) }
        var changed = true
        while changed {
            changed = false
            var ax = [Double](repeating: 0, count: n)
            var ay = ax
            var an = ax
            for (a, b) in edges where a >= 0 && a < n && b >= 0 && b < n {
                if x[a].isNaN, !x[b].isNaN {
                    ax[a] += x[b]
                    ay[a] += y[b]
                    an[a] += 1
                }
                if x[b].isNaN, !x[a].isNaN {
                    ax[b] += x[a]
                    ay[b] += y[a]
                    an[b] += 1
                }
            }
            for i in 0..<n where an[i] > 0 {
                x[i] = ax[i] / an[i]
                y[i] = ay[i] / an[i]
                changed = true
            }
        }
        var tx: [Double] = []
        var ty: [Double] = []
        for (k, t) in grid.trafos.enumerated() {
            let p = trafoAt[k] ?? (t.lvBus >= 0 && t.lvBus < n ? (x[t.lvBus], y[t.lvBus]) : (.nan, .nan))
            tx.append(p.0)
            ty.append(p.1)
        }
        return ((x, y), (tx, ty))
    }
}
