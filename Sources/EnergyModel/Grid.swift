import SimCore

/// A distribution grid as its assets (balanced, positive sequence), in engineering units: the element tables of the
/// reference format (pandapower's conventions: kV, MW, Mvar, Ω, µS, kA, percent). `busBranchModel()` turns it into
/// the per-unit `PowerNetwork` a solver sees. Element tables are set-up data (arrays of small structs); the hot
/// loops work on the SoA `PowerNetwork`.
public struct Grid: Sendable {
    public struct Bus: Sendable {
        public var id: Int
        public var name: String
        public var vnKV: Double
        public var inService: Bool
        public init(id: Int, name: String, vnKV: Double, inService: Bool = true) {
            self.id = id
            self.name = name
            self.vnKV = vnKV
            self.inService = inService
        }
    }
    /// A line or cable: series r + jx (Ω, whole length), total shunt g + jb (µS) split half/half (pi model).
    public struct Line: Sendable {
        public var name: String
        public var fromBus: Int
        public var toBus: Int
        public var rOhm: Double, xOhm: Double, bMicroS: Double, gMicroS: Double
        public var parallel: Int
        public var maxIkA: Double
        public var inService: Bool
        public init(
            name: String, fromBus: Int, toBus: Int, rOhm: Double, xOhm: Double, bMicroS: Double, gMicroS: Double = 0,
            parallel: Int = 1, maxIkA: Double, inService: Bool = true
        ) {
            self.name = name
            self.fromBus = fromBus
            self.toBus = toBus
            self.rOhm = rOhm
            self.xOhm = xOhm
            self.bMicroS = bMicroS
            self.gMicroS = gMicroS
            self.parallel = parallel
            self.maxIkA = maxIkA
            self.inService = inService
        }
    }
    /// A two-winding transformer from its nameplate (T equivalent circuit, series impedance split half/half).
    public struct Trafo: Sendable {
        public enum TapSide: String, Sendable { case hv, lv }
        public var name: String
        public var hvBus: Int
        public var lvBus: Int
        public var snMVA: Double, vnHVkV: Double, vnLVkV: Double
        public var vkPercent: Double, vkrPercent: Double, pfeKW: Double, i0Percent: Double, shiftDeg: Double
        /// Off-nominal ratio from an active tap changer (1 + (pos − neutral)·step/100), applied on `tapSide`.
        public var tapSide: TapSide
        public var tapRatio: Double
        public var parallel: Int
        public var inService: Bool
        /// Derating: the thermal rating is snMVA · ratingFactor · parallel.
        public var ratingFactor: Double = 1
        public init(
            name: String, hvBus: Int, lvBus: Int, snMVA: Double, vnHVkV: Double, vnLVkV: Double, vkPercent: Double,
            vkrPercent: Double,
            pfeKW: Double, i0Percent: Double, shiftDeg: Double, tapSide: TapSide = .hv, tapRatio: Double = 1,
            parallel: Int = 1, inService: Bool = true
        ) {
            self.name = name
            self.hvBus = hvBus
            self.lvBus = lvBus
            self.snMVA = snMVA
            self.vnHVkV = vnHVkV
            self.vnLVkV = vnLVkV
            self.vkPercent = vkPercent
            self.vkrPercent = vkrPercent
            self.pfeKW = pfeKW
            self.i0Percent = i0Percent
            self.shiftDeg = shiftDeg
            self.tapSide = tapSide
            self.tapRatio = tapRatio
            self.parallel = parallel
            self.inService = inService
        }
    }
    public struct Switch: Sendable {
        public enum Kind: String, Sendable { case bus = "b", line = "l", trafo = "t" }
        public var name: String
        public var bus: Int
        public var element: Int
        public var kind: Kind
        public var closed: Bool
        public init(name: String, bus: Int, element: Int, kind: Kind, closed: Bool) {
            self.name = name
            self.bus = bus
            self.element = element
            self.kind = kind
            self.closed = closed
        }
    }
    /// A constant-power load (consumption) or static generator (injection, e.g. PV): p·scaling, q·scaling.
    public struct Injection: Sendable {
        public var name: String
        public var bus: Int
        public var pMW: Double, qMvar: Double, scaling: Double
        public var inService: Bool
        public var profile: String?
        public init(
            name: String, bus: Int, pMW: Double, qMvar: Double, scaling: Double = 1, inService: Bool = true,
            profile: String? = nil
        ) {
            self.name = name
            self.bus = bus
            self.pMW = pMW
            self.qMvar = qMvar
            self.scaling = scaling
            self.inService = inService
            self.profile = profile
        }
    }
    public struct ExternalGrid: Sendable {
        public var name: String
        public var bus: Int
        public var vmPU: Double
        public var vaDeg: Double
        public var inService: Bool
        public init(name: String, bus: Int, vmPU: Double, vaDeg: Double = 0, inService: Bool = true) {
            self.name = name
            self.bus = bus
            self.vmPU = vmPU
            self.vaDeg = vaDeg
            self.inService = inService
        }
    }

    public var name: String
    public var snMVA: Double
    public var fHz: Double
    /// Buses, lines, … reference buses by position in `buses` (not by id); readers translate ids.
    public var buses: [Bus] = [], lines: [Line] = [], trafos: [Trafo] = [], switches: [Switch] = []
    public var loads: [Injection] = [], sgens: [Injection] = [], extGrids: [ExternalGrid] = []

    public init(name: String, snMVA: Double, fHz: Double = 50) {
        self.name = name
        self.snMVA = snMVA
        self.fHz = fHz
    }
}
