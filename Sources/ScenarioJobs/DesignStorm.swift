import SimCore

/// Alternating-block design hyetograph (Chow, Maidment & Mays, "Applied Hydrology", 1988, §14.4) from an
/// intensity-duration-frequency curve of Sherman form i(t) = a / (t + b)^c (i in mm/h, t in minutes).
/// The block with the largest increment sits at `peak` (0–1) of the storm, the others alternate around it,
/// so every centred window of k blocks has the IDF depth for duration k·Δt.
public enum DesignStorm {
    /// Intensities (mm/h) of the blocks, in time order.
    public static func alternatingBlock(
        a: Double, b: Double, c: Double, duration: SimDuration, step: SimDuration, peak: Double
    ) -> [Double] {
        let n = Int(duration.milliseconds / max(step.milliseconds, 1))
        guard n > 0 else { return [] }
        let dtMin = step.seconds / 60
        // cumulative depth (mm) for durations k·Δt, and the increments
        var inc: [Double] = []
        var prev = 0.0
        for k in 1...n {
            let t = Double(k) * dtMin
            let depth = a / pow(t + b, c) * t / 60
            inc.append(depth - prev)
            prev = depth
        }
        // place: largest at the peak index, then alternately after and before it
        var blocks = [Double](repeating: 0, count: n)
        let p = min(n - 1, max(0, Int((peak * Double(n)).rounded(.down))))
        var after = p + 1
        var before = p - 1
        blocks[p] = inc[0]
        var k = 1
        var takeAfter = true
        while k < n {
            if takeAfter && after < n {
                blocks[after] = inc[k]
                after += 1
                k += 1
            } else if !takeAfter && before >= 0 {
                blocks[before] = inc[k]
                before -= 1
                k += 1
            } else if after < n {
                blocks[after] = inc[k]
                after += 1
                k += 1
            } else {
                blocks[before] = inc[k]
                before -= 1
                k += 1
            }
            takeAfter.toggle()
        }
        return blocks.map { $0 / dtMin * 60 }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
