/// Cable types by their per-km data, and laying a new cable in a grid.
public struct CableType: Sendable, Equatable {
    /// Ω/km, Ω/km, nF/km, kA.
    public var r: Double, x: Double, c: Double, imax: Double
    public init(r: Double, x: Double, c: Double, imax: Double) {
        self.r = r
        self.x = x
        self.c = c
        self.imax = imax
    }
    /// The main LV cable of SimBench 1-LV-urban6 (Meinecke et al. 2020, SimBench data set).
    public static let simbenchLV = CableType(r: 0.1267, x: 0.0797965, c: 870.0, imax: 0.357)
    /// The MV cable of SimBench 1-MV-urban.
    public static let simbenchMV = CableType(r: 0.078, x: 0.0942, c: 540.0, imax: 0.535)
}

extension Grid {
    /// Adds a cable of `km` between two buses (a planning alternative: a new or meshed feeder).
    public mutating func addCable(name: String, fromBus f: Int, toBus t: Int, km: Double, type c: CableType) {
        lines.append(
            Grid.Line(
                name: name, fromBus: f, toBus: t, rOhm: c.r * km, xOhm: c.x * km,
                bMicroS: c.c * km * 2 * Double.pi * fHz * 1e-3, maxIkA: c.imax))
    }
}
