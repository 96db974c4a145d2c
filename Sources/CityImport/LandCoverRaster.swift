import Foundation
import SimCore

/// Rasterises OpenStreetMap areas and roads onto a model's land-cover grid (cell centres): green areas (class 3),
/// then water (4), buildings (2) and roads (1) on top, each road as a band of its carriageway width (at least one
/// cell wide so it stays continuous). Sea cells (9) and cells outside every feature keep their class.
public enum LandCoverRaster {
    public static func rasterize(
        _ g: GridGeometry, base: [Int], areas: [(kind: Int, ring: [(x: Double, y: Double)])],
        roads: [(width: Double, line: [(x: Double, y: Double)])]
    ) -> [Int] {
        var out = base
        func cellRange(_ minX: Double, _ maxX: Double, _ minY: Double, _ maxY: Double) -> (
            ClosedRange<Int>, ClosedRange<Int>
        )? {
            let i0 = max(0, Int(((minX - g.xllCorner) / g.cellSize - 0.5).rounded(.up)))
            let i1 = min(g.nx - 1, Int(((maxX - g.xllCorner) / g.cellSize - 0.5).rounded(.down)))
            let top = g.yllCorner + Double(g.ny) * g.cellSize
            let j0 = max(0, Int(((top - maxY) / g.cellSize - 0.5).rounded(.up)))
            let j1 = min(g.ny - 1, Int(((top - minY) / g.cellSize - 0.5).rounded(.down)))
            guard i0 <= i1, j0 <= j1 else { return nil }
            return (i0...i1, j0...j1)
        }
        func set(_ k: Int, _ c: Int) { if out[k] != 9 { out[k] = c } }
        for kind in [3, 4, 2] {
            for a in areas where a.kind == kind {
                let r = a.ring
                guard r.count >= 3,
                    let (ir, jr) = cellRange(r.map(\.x).min()!, r.map(\.x).max()!, r.map(\.y).min()!, r.map(\.y).max()!)
                else { continue }
                for j in jr {
                    for i in ir {
                        let x = g.xCenter(i)
                        let y = g.yCenter(j)
                        // even-odd ray casting
                        var inside = false
                        var p = r.count - 1
                        for q in 0..<r.count {
                            if (r[q].y > y) != (r[p].y > y),
                                x < (r[p].x - r[q].x) * (y - r[q].y) / (r[p].y - r[q].y) + r[q].x
                            {
                                inside.toggle()
                            }
                            p = q
                        }
                        if inside { set(g.index(i, j), kind) }
                    }
                }
            }
        }
        for road in roads {
            let half = max(road.width / 2, g.cellSize / 2)
            for s in 1..<max(road.line.count, 1) {
                let a = road.line[s - 1]
                let b = road.line[s]
                guard
                    let (ir, jr) = cellRange(
                        min(a.x, b.x) - half, max(a.x, b.x) + half, min(a.y, b.y) - half, max(a.y, b.y) + half)
                else { continue }
                let dx = b.x - a.x
                let dy = b.y - a.y
                let len2 = dx * dx + dy * dy
                for j in jr {
                    for i in ir {
                        let x = g.xCenter(i)
                        let y = g.yCenter(j)
                        let t = len2 > 0 ? max(0, min(1, ((x - a.x) * dx + (y - a.y) * dy) / len2)) : 0
                        let px = a.x + t * dx - x
                        let py = a.y + t * dy - y
                        if px * px + py * py <= half * half { set(g.index(i, j), 1) }
                    }
                }
            }
        }
        return out
    }

    /// Rasterises an OSM extract's roads, buildings, green areas and water into a model's `landcover.asc` (written
    /// atomically); the cells per class of the result. The existing raster's codes must be whole numbers.
    public static func update(modelDirectory dir: String, from osm: OSM.Result) throws -> [Int: Int] {
        let path = dir + "/landcover.asc"
        let lc = try AsciiGrid.read(path: path, epsg: osm.projection.epsg)
        var base: [Int] = []
        base.reserveCapacity(lc.values.count)
        for (k, v) in lc.values.enumerated() {
            guard let c = Int(exactly: v ?? 0), (0...255).contains(c) else {
                throw InputError(
                    SourceLocation(file: path), code: "E-MODEL-032",
                    message: "land cover value at column \(k % lc.geometry.nx), row \(k / lc.geometry.nx) is not a "
                        + "class code (a whole number from 0 to 255)")
            }
            base.append(c)
        }
        let codes = rasterize(lc.geometry, base: base, areas: osm.areas, roads: osm.roadLines)
        try writeFileAtomically(
            path, AsciiGrid.format(Raster(geometry: lc.geometry, values: codes.map(Double.init)), decimals: 0))
        var counts: [Int: Int] = [:]
        for c in codes { counts[c, default: 0] += 1 }
        return counts
    }
}
