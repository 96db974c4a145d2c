#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Universal Transverse Mercator on the WGS 84 ellipsoid, by Krüger's series to third order in n
/// (Karney, "Transverse Mercator with an accuracy of a few nanometers", J. Geodesy 85, 2011, eqs. 7–11, 35–36);
/// sub-millimetre within a zone, which is far below any grid cell.
public struct UTMProjection: Sendable, Equatable {
    public let zone: Int
    public let north: Bool
    public init(zone: Int, north: Bool = true) {
        self.zone = zone
        self.north = north
    }
    /// The zone of a longitude (no Norway/Svalbard exceptions).
    public init(longitude: Double, latitude: Double) {
        self.zone = Int(((longitude + 180) / 6).rounded(.down)) + 1
        self.north = latitude >= 0
    }
    public var epsg: Int { (north ? 32600 : 32700) + zone }

    static let a = 6_378_137.0
    static let f = 1 / 298.257_223_563
    static let k0 = 0.9996
    static let n = f / (2 - f)
    static let bigA = a / (1 + n) * (1 + n * n / 4 + n * n * n * n / 64)
    static let alpha = [
        n / 2 - 2 * n * n / 3 + 5 * n * n * n / 16, 13 * n * n / 48 - 3 * n * n * n / 5, 61 * n * n * n / 240,
    ]
    static let beta = [n / 2 - 2 * n * n / 3 + 37 * n * n * n / 96, n * n / 48 + n * n * n / 15, 17 * n * n * n / 480]
    static let delta = [2 * n - 2 * n * n / 3 - 2 * n * n * n, 7 * n * n / 3 - 8 * n * n * n / 5, 56 * n * n * n / 15]

    var lambda0: Double { (Double(zone) * 6 - 183) * .pi / 180 }
    var falseNorthing: Double { north ? 0 : 10_000_000 }

    /// (easting, northing) in metres from degrees.
    public func forward(longitude: Double, latitude: Double) -> (x: Double, y: Double) {
        let phi = latitude * .pi / 180
        let dl = longitude * .pi / 180 - lambda0
        let c = 2 * Self.n.squareRoot() / (1 + Self.n)
        let t = sinh(atanh(sin(phi)) - c * atanh(c * sin(phi)))
        let xi = atan2(t, cos(dl))
        let eta = atanh(sin(dl) / (1 + t * t).squareRoot())
        var e = eta
        var nn = xi
        for j in 1...3 {
            let jj = Double(2 * j)
            e += Self.alpha[j - 1] * cos(jj * xi) * sinh(jj * eta)
            nn += Self.alpha[j - 1] * sin(jj * xi) * cosh(jj * eta)
        }
        return (500_000 + Self.k0 * Self.bigA * e, falseNorthing + Self.k0 * Self.bigA * nn)
    }

    /// Degrees (longitude, latitude) from easting/northing.
    public func inverse(x: Double, y: Double) -> (longitude: Double, latitude: Double) {
        let xi = (y - falseNorthing) / (Self.k0 * Self.bigA)
        let eta = (x - 500_000) / (Self.k0 * Self.bigA)
        var xp = xi
        var ep = eta
        for j in 1...3 {
            let jj = Double(2 * j)
            xp -= Self.beta[j - 1] * sin(jj * xi) * cosh(jj * eta)
            ep -= Self.beta[j - 1] * cos(jj * xi) * sinh(jj * eta)
        }
        let chi = asin(sin(xp) / cosh(ep))
        var phi = chi
        for j in 1...3 { phi += Self.delta[j - 1] * sin(Double(2 * j) * chi) }
        let lam = lambda0 + atan2(sinh(ep), cos(xp))
        return (lam * 180 / .pi, phi * 180 / .pi)
    }
}
