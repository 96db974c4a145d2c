/// Simulated time as integer milliseconds since the start of a run. Integer time makes every schedule
/// (outputs, checkpoints, forcing breakpoints) land exactly and keeps resumed runs bit-identical.
public struct SimTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var milliseconds: Int64
    @inlinable public init(milliseconds: Int64) { self.milliseconds = milliseconds }
    public static let zero = SimTime(milliseconds: 0)
    @inlinable public var seconds: Double { Double(milliseconds) / 1000 }
    @inlinable public static func < (a: SimTime, b: SimTime) -> Bool { a.milliseconds < b.milliseconds }
    @inlinable public static func + (a: SimTime, d: SimDuration) -> SimTime {
        SimTime(milliseconds: a.milliseconds + d.milliseconds)
    }
    @inlinable public static func - (a: SimTime, b: SimTime) -> SimDuration {
        SimDuration(milliseconds: a.milliseconds - b.milliseconds)
    }
    public var description: String { SimDuration(milliseconds: milliseconds).clockString }
}

/// A span of simulated time in integer milliseconds.
public struct SimDuration: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var milliseconds: Int64
    @inlinable public init(milliseconds: Int64) { self.milliseconds = milliseconds }
    public static func seconds(_ s: Int64) -> SimDuration { SimDuration(milliseconds: s * 1000) }
    public static func minutes(_ m: Int64) -> SimDuration { SimDuration(milliseconds: m * 60_000) }
    public static func hours(_ h: Int64) -> SimDuration { SimDuration(milliseconds: h * 3_600_000) }
    public static let zero = SimDuration(milliseconds: 0)
    /// The longest duration a job may give (100 years): sums of a few such durations stay far from overflow.
    public static let maximum = SimDuration(milliseconds: 100 * 366 * 86_400_000)
    @inlinable public var seconds: Double { Double(milliseconds) / 1000 }
    @inlinable public static func < (a: SimDuration, b: SimDuration) -> Bool { a.milliseconds < b.milliseconds }

    /// Parses "90s", "15min", "6h", "2d", "250ms", or a bare number of seconds. Returns nil when malformed, not a
    /// whole number of milliseconds, or longer than `maximum`.
    public init?(parsing text: String) {
        guard let ms = Self.parsedMilliseconds(text), ms <= Double(Self.maximum.milliseconds), ms == ms.rounded()
        else { return nil }
        self.milliseconds = Int64(ms)
    }

    /// The milliseconds a duration text stands for, unbounded (nil when malformed): for messages about durations
    /// that parse but are too long.
    public static func parsedMilliseconds(_ text: String) -> Double? {
        let t = text.trimmingCharactersInSet(" ")
        var digits = ""
        var unit = ""
        for ch in t {
            if unit.isEmpty && (ch.isNumber || ch == ".") { digits.append(ch) } else if ch != " " { unit.append(ch) }
        }
        guard let value = Double(digits), value >= 0, value.isFinite else { return nil }
        let factor: Double
        switch unit.lowercased() {
        case "ms": factor = 1
        case "", "s", "sec", "second", "seconds": factor = 1000
        case "m", "min", "minute", "minutes": factor = 60_000
        case "h", "hr", "hour", "hours": factor = 3_600_000
        case "d", "day", "days": factor = 86_400_000
        default: return nil
        }
        return value * factor
    }

    /// "01:30:00.250" style.
    public var clockString: String {
        let ms = milliseconds
        let sign = ms < 0 ? "-" : ""
        let a = abs(ms)
        let h = a / 3_600_000
        let m = (a / 60_000) % 60
        let s = (a / 1000) % 60
        let r = a % 1000
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let base = "\(sign)\(two(h)):\(two(m)):\(two(s))"
        if r == 0 { return base }
        let frac = String(r + 1000).dropFirst()
        return base + "." + frac
    }
    public var description: String {
        let ms = milliseconds
        if ms % 3_600_000 == 0 { return "\(ms / 3_600_000)h" }
        if ms % 60_000 == 0 { return "\(ms / 60_000)min" }
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }
}

extension String {
    func trimmingCharactersInSet(_ c: Character) -> String {
        var s = Substring(self)
        while s.first == c { s = s.dropFirst() }
        while s.last == c { s = s.dropLast() }
        return String(s)
    }
}
