import FloodModel
import Foundation
import SimCore

/// Turns a job and its city model into a flood setup: forcing, boundaries, land cover, scenario changes.
public enum ScenarioBuilder {
    public static func floodSetup(job: Job, model: CityModel) throws -> FloodSetup {
        guard let fj = job.flood else {
            throw InputError(SourceLocation(file: job.file), code: "E-JOB-028", message: "the job has no flood section")
        }
        guard let modelTerrain = model.terrain else {
            throw InputError(
                SourceLocation(file: model.directory + "/model.yaml"), code: "E-JOB-029",
                message: "model '\(model.name)' has no terrain, which the flood section needs",
                hint: "point 'model:' at a city model with terrain (e.g. Data/monaco), or drop the flood section")
        }
        let g = modelTerrain.geometry
        var diags: [Diagnostic] = []
        var terrain = modelTerrain.values
        // land cover → Manning, masks
        var manning = [Double](repeating: 0.035, count: g.count)
        var sea: [UInt8]? = nil
        var pervious: [UInt8]? = nil
        var drained: [UInt8]? = nil
        var classes = model.classes
        for (name, n) in fj.manningOverrides {
            if let k = classes.firstIndex(where: { $0.name == name }) {
                classes[k].manning = n
            } else {
                let s = DidYouMean.suggest(name, from: classes.map(\.name))
                diags.append(
                    Diagnostic(
                        SourceLocation(file: job.file), code: "E-JOB-050", keyPath: "flood.manning.classes.\(name)",
                        message: "model '\(model.name)' has no land-cover class '\(name)'",
                        hint: s.map { "did you mean '\($0)'?" }
                            ?? "classes: \(classes.map(\.name).joined(separator: ", "))"))
            }
        }
        if let lc = model.landcover {
            var byCode: [Int: LandClass] = [:]
            for c in classes { byCode[c.code] = c }
            var s = [UInt8](repeating: 0, count: g.count)
            var p = s
            var d = s
            for k in 0..<g.count {
                let c = byCode[lc.values[k]]!
                manning[k] = c.manning
                s[k] = c.sea ? 1 : 0
                p[k] = c.pervious ? 1 : 0
                d[k] = c.drained ? 1 : 0
            }
            sea = s
            pervious = p
            drained = d
        }
        let proj =
            model.epsg >= 32601 && model.epsg <= 32760
            ? UTMProjection(zone: model.epsg % 100, north: model.epsg < 32700) : nil
        func xy(_ p: JobPoint, _ loc: SourceLocation, _ path: String) -> (Double, Double)? {
            switch p {
            case .projected(let x, let y): return (x, y)
            case .lonLat(let lon, let lat):
                guard let proj else {
                    diags.append(
                        Diagnostic(
                            loc, code: "E-JOB-051", keyPath: path,
                            message: "model '\(model.name)' has no UTM CRS, so lon/lat points cannot be placed",
                            hint: "give the point as {x, y} in the model's coordinates"))
                    return nil
                }
                let r = proj.forward(longitude: lon, latitude: lat)
                return (r.x, r.y)
            }
        }
        // scenario changes along polylines
        for (ci, ch) in job.changes.enumerated() {
            let pts = ch.line.enumerated().compactMap {
                xy($0.element, ch.location, "changes[\(ci)].line[\($0.offset)]")
            }
            guard pts.count == ch.line.count else { continue }
            let cells = cellsAlong(pts, width: ch.width ?? g.cellSize, geometry: g)
            if cells.isEmpty {
                diags.append(
                    Diagnostic(
                        ch.location, code: "E-JOB-052", keyPath: "changes[\(ci)]",
                        message: "change '\(ch.name)' touches no cell of the grid",
                        hint:
                            "the grid covers x \(Int(g.xllCorner))...\(Int(g.xllCorner + Double(g.nx) * g.cellSize)), y \(Int(g.yllCorner))...\(Int(g.yllCorner + Double(g.ny) * g.cellSize)) (EPSG:\(g.epsg))"
                    ))
                continue
            }
            for k in cells {
                switch ch.kind {
                case .raise: terrain[k] += ch.amount
                case .lower: terrain[k] -= ch.amount
                case .setManning: manning[k] = ch.amount
                }
            }
        }
        var setup = FloodSetup(geometry: g, terrain: terrain, manning: manning)
        if let ini = fj.initial {
            let (depth, problems) = try initialDepth(
                ini, terrain: terrain, geometry: g, at: fj.initialLocation ?? SourceLocation(file: job.file),
                xy: { xy($0, $1, "flood.initial.within") })
            setup.initialDepth = depth
            diags += problems
        }
        setup.fixedLevelMask = sea
        setup.fixedLevel = fj.seaLevel ?? model.seaLevel
        setup.perviousMask = pervious
        setup.drainedMask = drained
        setup.boundaries = fj.boundaries ?? model.boundaries
        setup.precision = fj.precision
        var p = FloodParameters()
        p.theta = fj.theta
        p.alpha = fj.alpha
        p.maxStep = fj.maxStep
        p.advection = fj.advection
        p.infiltration = fj.infiltration
        p.drainageRate = fj.drainageMmPerHour / 3_600_000
        p.inundationDepth = fj.inundationDepth
        setup.parameters = p
        // rain
        switch fj.rainfall {
        case .none: break
        case .series(let t, let v):
            setup.rain = RainSeries(
                times: t.map { SimTime(milliseconds: $0.milliseconds) }, rates: v.map { $0 / 3_600_000 })
        case .designStorm(let a, let b, let c, let dur, let step, let peak, let start):
            let blocks = DesignStorm.alternatingBlock(a: a, b: b, c: c, duration: dur, step: step, peak: peak)
            var times = blocks.indices.map { SimTime(milliseconds: start.milliseconds + Int64($0) * step.milliseconds) }
            var rates = blocks.map { $0 / 3_600_000 }
            times.append(SimTime(milliseconds: start.milliseconds + dur.milliseconds))
            rates.append(0)
            setup.rain = RainSeries(times: times, rates: rates)
        case .gridded(let t, let files):
            var grids: [[Double]] = []
            for f in files {
                let r = try AsciiGrid.read(path: f, epsg: g.epsg)
                if let bad = r.values.firstIndex(where: { $0.map { !($0 >= 0 && $0 <= Job.maxRainIntensity) } ?? false }
                ) {
                    throw InputError(
                        SourceLocation(file: f), code: "E-JOB-056",
                        message:
                            "rain intensity \(r.values[bad]!) mm/h at column \(bad % r.geometry.nx), row "
                            + "\(bad / r.geometry.nx) is not plausible",
                        hint: "rain grids give mm/h from 0 to \(Int(Job.maxRainIntensity))")
                }
                grids.append(resampleNearest(r, to: g).map { ($0 ?? 0) / 3_600_000 })
            }
            setup.rain = RainSeries(times: t.map { SimTime(milliseconds: $0.milliseconds) }, grids: grids)
        }
        // inflows
        for (ii, inf) in fj.inflows.enumerated() {
            let pts = inf.points.enumerated().compactMap { xy($0.element, inf.location, "flood.inflows[\(ii)]") }
            guard pts.count == inf.points.count else { continue }
            let cells = cellsAlong(pts, width: g.cellSize, geometry: g)
            if cells.isEmpty {
                diags.append(
                    Diagnostic(
                        inf.location, code: "E-JOB-053", keyPath: "flood.inflows[\(ii)]",
                        message: "inflow '\(inf.name)' lies outside the grid",
                        hint:
                            "the grid covers x \(Int(g.xllCorner))...\(Int(g.xllCorner + Double(g.nx) * g.cellSize)), y \(Int(g.yllCorner))...\(Int(g.yllCorner + Double(g.ny) * g.cellSize)) (EPSG:\(g.epsg))"
                    ))
                continue
            }
            setup.inflows.append(
                Inflow(
                    name: inf.name, cells: cells, times: inf.times.map { SimTime(milliseconds: $0.milliseconds) },
                    discharge: inf.discharge))
        }
        // settings that would silently do nothing on this model are errors
        if fj.infiltration != .none, let p = pervious, !p.contains(1) {
            diags.append(
                Diagnostic(
                    SourceLocation(file: job.file), code: "E-JOB-054", keyPath: "flood.infiltration",
                    message: "model '\(model.name)' has no pervious land-cover class, so infiltration would do nothing",
                    hint: "remove 'infiltration', or mark a class 'pervious: true' in the model"))
        }
        if fj.drainageMmPerHour > 0, let d = drained, !d.contains(1) {
            diags.append(
                Diagnostic(
                    SourceLocation(file: job.file), code: "E-JOB-055", keyPath: "flood.drainage",
                    message: "model '\(model.name)' has no drained land-cover class, so drainage would do nothing",
                    hint: "remove 'drainage', or mark a class 'drained: true' in the model"))
        }
        diags += setup.validate(origin: SourceLocation(file: job.file))
        if !diags.isEmpty { throw InputError(diags) }
        return setup
    }

    /// The initial depths of `flood.initial` on the (changed) terrain: a depth grid (NODATA cells dry), a level
    /// grid or a level within a polygon (depth = level − bed where positive). A grid must be georeferenced like the
    /// terrain; depths must be 0–1,000 m; levels −11,000–9,000 m.
    static func initialDepth(
        _ ini: JobInitialWater, terrain: [Double], geometry g: GridGeometry, at loc: SourceLocation,
        xy: (JobPoint, SourceLocation) -> (Double, Double)?
    ) throws -> (depth: [Double]?, problems: [Diagnostic]) {
        var diags: [Diagnostic] = []
        var depth = [Double](repeating: 0, count: g.count)
        switch ini {
        case .depth(let file), .levelGrid(let file):
            let isDepth = if case .depth = ini { true } else { false }
            let r = try AsciiGrid.read(path: file, epsg: g.epsg)
            let rg = r.geometry
            guard rg.nx == g.nx, rg.ny == g.ny, rg.cellSize == g.cellSize, rg.xllCorner == g.xllCorner,
                rg.yllCorner == g.yllCorner
            else {
                throw InputError(
                    SourceLocation(file: file), code: "E-JOB-057",
                    message:
                        "the grid is \(rg.nx) x \(rg.ny) cells of \(rg.cellSize) m at (\(rg.xllCorner), \(rg.yllCorner)), "
                        + "the terrain \(g.nx) x \(g.ny) of \(g.cellSize) m at (\(g.xllCorner), \(g.yllCorner))",
                    hint: "an initial depth or level grid must cover the terrain's grid exactly")
            }
            for (k, v) in r.values.enumerated() {
                guard let v else { continue }  // NODATA: dry
                let range = isDepth ? 0.0...1000.0 : -11_000.0...9_000.0
                guard range.contains(v) else {
                    throw InputError(
                        SourceLocation(file: file), code: "E-JOB-058",
                        message:
                            "\(isDepth ? "depth" : "level") \(v) m at column \(k % g.nx), row \(k / g.nx) is outside "
                            + "\(range.lowerBound)...\(range.upperBound) m",
                        hint: isDepth ? "depths are metres of water, never negative" : "levels are metres above datum")
                }
                depth[k] = isDepth ? v : max(v - terrain[k], 0)
            }
        case .level(let level, let points):
            let pts = points.compactMap { xy($0, loc) }
            guard pts.count == points.count else { return (nil, diags) }
            var inside = 0
            for j in 0..<g.ny {
                for i in 0..<g.nx {
                    let px = g.xCenter(i)
                    let py = g.yCenter(j)
                    // even-odd rule: crossings of a ray to the east
                    var odd = false
                    var q = pts.count - 1
                    for p in 0..<pts.count {
                        let (xa, ya) = pts[p]
                        let (xb, yb) = pts[q]
                        if (ya > py) != (yb > py) && px < (xb - xa) * (py - ya) / (yb - ya) + xa { odd.toggle() }
                        q = p
                    }
                    if odd {
                        let k = g.index(i, j)
                        inside += 1
                        depth[k] = max(level - terrain[k], 0)
                    }
                }
            }
            if inside == 0 {
                diags.append(
                    Diagnostic(
                        loc, code: "E-JOB-059", keyPath: "flood.initial.within",
                        message: "the polygon contains no cell centre of the grid",
                        hint: "give its corners in the model's coordinates or as lon/lat inside the terrain"))
            }
        }
        return (depth, diags)
    }

    /// Cells whose centre lies within width/2 of the polyline (a single point: its cell).
    public static func cellsAlong(_ pts: [(Double, Double)], width: Double, geometry g: GridGeometry) -> [Int] {
        if pts.count == 1 {
            guard let c = g.cell(x: pts[0].0, y: pts[0].1) else { return [] }
            return [g.index(c.i, c.j)]
        }
        let half = max(width / 2, g.cellSize * 0.5)
        var out = Set<Int>()
        for s in 0..<(pts.count - 1) {
            let (ax, ay) = pts[s]
            let (bx, by) = pts[s + 1]
            let minX = min(ax, bx) - half
            let maxX = max(ax, bx) + half
            let minY = min(ay, by) - half
            let maxY = max(ay, by) + half
            let i0 = max(0, Int(((minX - g.xllCorner) / g.cellSize).rounded(.down)))
            let i1 = min(g.nx - 1, Int(((maxX - g.xllCorner) / g.cellSize).rounded(.down)))
            let j0 = max(0, Int((Double(g.ny) - (maxY - g.yllCorner) / g.cellSize).rounded(.down)))
            let j1 = min(g.ny - 1, Int((Double(g.ny) - (minY - g.yllCorner) / g.cellSize).rounded(.down)))
            if i0 > i1 || j0 > j1 { continue }
            let dx = bx - ax
            let dy = by - ay
            let len2 = dx * dx + dy * dy
            for j in j0...j1 {
                for i in i0...i1 {
                    let px = g.xCenter(i)
                    let py = g.yCenter(j)
                    let t = len2 > 0 ? max(0, min(1, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0
                    let qx = ax + t * dx - px
                    let qy = ay + t * dy - py
                    if qx * qx + qy * qy <= half * half { out.insert(g.index(i, j)) }
                }
            }
        }
        return out.sorted()
    }

    static func resampleNearest(_ r: Raster<Double?>, to g: GridGeometry) -> [Double?] {
        if r.geometry.nx == g.nx && r.geometry.ny == g.ny && r.geometry.cellSize == g.cellSize { return r.values }
        var out = [Double?](repeating: nil, count: g.count)
        for j in 0..<g.ny {
            for i in 0..<g.nx {
                if let c = r.geometry.cell(x: g.xCenter(i), y: g.yCenter(j)) { out[g.index(i, j)] = r[c.i, c.j] }
            }
        }
        return out
    }
}
