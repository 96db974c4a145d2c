/// The plug-in contract for a simulation domain (flood, traffic, energy). This file is the whole contract.
///
/// The engine (`SimEngine.Simulation`) drives every domain through the same tick:
/// 1. `proposeStep` — the largest step the domain accepts now (a CFL limit, the next event); the engine takes the
///    minimum over domains and over the next output/checkpoint/end time, so every schedule is hit exactly.
/// 2. `beginTick` — apply inputs for `[now, now + step)` (boundary series, coupling fields from the last tick).
/// 3. for each phase: `step(phase:partition:)` for every partition in parallel, then `exchange(phase:)` alone.
///    A partition writes only what it owns and reads neighbours' data only from earlier phases (two-phase updates),
///    so the result never depends on the number of workers or on which worker ran which partition.
/// 4. `endTick` — reduce diagnostics in partition/row order.
///
/// Everything a domain needs to continue bit-identically is in `checkpointState()`; `restore` takes it back.
///
/// Coupling (optional; a domain with none implements nothing): a domain declares the fields it `provides` and
/// `requires` (`ExchangeField`: a name such as `flood.water_depth`, units, and the site where the values live).
/// The engine joins each required field to the domain that provides it (the name's prefix), computes once how
/// the consumer's site samples the provider's (`SimEngine.Coupling`), and after each tick — or each `interval`
/// of the consumer — reads the mapped values from the provider (`read`) into an exchange buffer and hands the
/// buffer to the consumer (`receive`) before the next tick. Every read happens before any hand-over, so a
/// consumer sees the provider's state as of the end of the previous exchange, whatever the order of the domains.
///
/// Distribution over processes (optional; MPI ranks): the engine offers each domain the run's `RankGroup` once,
/// before the first tick. A domain that takes it (`distribute` returns true) is stepped by each rank only for the
/// contiguous partitions `ranks.owned(partitionCount)` and moves what its neighbours need in `exchange(phase:)`;
/// before snapshots and the end of the run the engine calls `synchronize()` on every rank, after which the whole
/// state is current everywhere, and `read` must answer the same on every rank. A checkpoint is written by every
/// rank (`checkpointPart`: what it owns) and read back from all the parts (`restore(fromParts:)`). A domain
/// that declines runs replicated: every rank steps every partition, which gives the same bits.
public protocol DomainModel: AnyObject {
    /// Group name in result files ("flood", "traffic", "energy").
    var name: String { get }
    var partitionCount: Int { get }
    var phaseCount: Int { get }

    func proposeStep(at now: SimTime, limit: SimDuration) -> SimDuration
    func beginTick(at now: SimTime, step: SimDuration)
    func step(phase: Int, partition: Int)
    func exchange(phase: Int)
    func endTick(at now: SimTime)

    /// Names, units and shapes of everything the domain writes to results.
    var outputSchema: OutputSchema { get }
    /// Values of the per-tick diagnostics, in `outputSchema.diagnostics` order.
    func diagnostics() -> [Double]
    /// Values of the snapshot variables at an output time, in `outputSchema.snapshots` order. Called exactly once
    /// at t = 0 and at every output time (observed or not), so it may close the domain's output interval (reset
    /// per-interval counters, which then belong in `checkpointState`).
    func snapshot() -> [ArrayData]
    /// Values of the end-of-run variables, in `outputSchema.finals` order.
    func finals() -> [ArrayData]
    /// Headline numbers of the run so far.
    func kpis() -> [KPI]

    func checkpointState() -> [NamedArray]
    func restore(from state: [NamedArray]) throws

    /// Tables the domain writes beside the result as `<job name>-<file>` (e.g. `energy-events.csv`): their names,
    /// known once it is built, and their text at the end of the run.
    var sideFiles: [String] { get }
    func sideFile(_ name: String) -> String

    /// Fields this domain offers other domains.
    var provides: [ExchangeField] { get }
    /// Fields this domain uses when another domain provides them.
    var requires: [ExchangeField] { get }
    /// Provider: the values of `field` at `indices` of its site, into `values` (as many as indices).
    func read(_ field: String, at indices: [Int32], into values: inout [Double])
    /// Consumer: the values of `field` on its own site, as of the last exchange (called before the first tick,
    /// after each exchange and after a restore).
    func receive(_ field: String, _ values: [Double])

    /// Distributed runs: takes the rank group (true) or declines it and runs replicated (false).
    func distribute(over ranks: any RankGroup) -> Bool
    /// Distributed runs: makes every rank's copy of the whole state current (a collective call).
    func synchronize()
    /// Distributed runs: what this rank owns of `checkpointState()`, for its own checkpoint file.
    func checkpointPart() -> [NamedArray]
    /// Takes the state back from every part of a distributed checkpoint, in the order of the ranks that wrote
    /// them (a run may resume it on any number of ranks).
    func restore(fromParts parts: [[NamedArray]]) throws
}

extension DomainModel {
    public var sideFiles: [String] { [] }
    public func sideFile(_ name: String) -> String { "" }
    public var provides: [ExchangeField] { [] }
    public var requires: [ExchangeField] { [] }
    public func read(_ field: String, at indices: [Int32], into values: inout [Double]) {}
    public func receive(_ field: String, _ values: [Double]) {}
    public func distribute(over ranks: any RankGroup) -> Bool { false }
    public func synchronize() {}
    public func checkpointPart() -> [NamedArray] { checkpointState() }
    public func restore(fromParts parts: [[NamedArray]]) throws { try restore(from: parts.first ?? []) }
}

/// The processes of one distributed run (MPI ranks), as the domains see them. Every call is collective over the
/// ranks it names and is made from the engine's thread only, between the parallel phases. A failed transfer is
/// kept in `failure` (the engine stops the run with it after the tick).
public protocol RankGroup: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    /// Sends `send` to rank `to` while receiving `receive` from rank `from` (nil: no partner on that side).
    func sendReceive(_ send: UnsafeRawBufferPointer, to: Int?, _ receive: UnsafeMutableRawBufferPointer, from: Int?)
    /// In place: rank r's block (`offsets[r]`, `counts[r]` bytes of `buffer`) is copied to every rank.
    func allGather(_ buffer: UnsafeMutableRawBufferPointer, offsets: [Int], counts: [Int])
    /// Element-wise maximum over the ranks, in place (exact, so order-free).
    func allReduceMax(_ values: UnsafeMutableBufferPointer<Double>)
    func allReduceMax(_ values: UnsafeMutableBufferPointer<Int64>)
    /// Personalised exchange: `sends[r]` goes to rank r; returns what each rank sent this one, by rank.
    func allToAll(_ sends: [[Int64]]) -> [[Int64]]
    /// Rank `root`'s bytes to every rank (the others' `bytes` are replaced).
    func broadcast(_ bytes: inout [UInt8], from root: Int)
    /// Bytes this rank has sent so far (for the benchmark's message volume).
    var bytesSent: Int { get }
    /// The first failed transfer, if any.
    var failure: String? { get }
}

extension RankGroup {
    /// The contiguous partitions rank `r` steps: an equal share of `count`, in order.
    public func owned(_ count: Int, rank r: Int? = nil) -> Range<Int> {
        let r = r ?? rank
        return (count * r / size)..<(count * (r + 1) / size)
    }
    /// True on every rank when it is true on any.
    public func any(_ flag: Bool) -> Bool {
        var v = [flag ? 1.0 : 0.0]
        v.withUnsafeMutableBufferPointer { allReduceMax($0) }
        return v[0] > 0
    }
}

/// Where the values of an exchanged field live (model CRS metres).
public enum FieldSite: Sendable, Equatable {
    /// One value per cell of a grid, row-major, north row first.
    case cells(GridGeometry)
    /// One value per named point.
    case points(ids: [String], x: [Double], y: [Double])
    /// One value per named polyline (a road link's shape): its points are `start[k] ..< start[k + 1]` of x and y.
    case lines(ids: [String], start: [Int32], x: [Double], y: [Double])
    /// One value per named entity (a vehicle, a bus), matched by id.
    case entities(ids: [String])

    public var count: Int {
        switch self {
        case .cells(let g): g.count
        case .points(let ids, _, _), .lines(let ids, _, _, _), .entities(let ids): ids.count
        }
    }
}

/// A field a domain provides or requires.
public struct ExchangeField: Sendable, Equatable {
    /// `<provider domain>.<quantity>`, e.g. `flood.water_depth`.
    public var name: String
    public var units: String
    public var site: FieldSite
    /// Consumers: how often the values must be fresh (nil: after every tick). The exchange then happens at the end
    /// of the first tick reaching each multiple of it, so a consumer acting on that grid sees the state there.
    public var interval: SimDuration?
    public init(_ name: String, units: String, site: FieldSite, interval: SimDuration? = nil) {
        self.name = name
        self.units = units
        self.site = site
        self.interval = interval
    }

    /// The providing domain's name (the part before the first dot).
    public var provider: String { String(name.prefix { $0 != "." }) }
}

/// A headline number with its unit.
public struct KPI: Sendable, Equatable {
    public var name: String
    public var value: Double
    public var units: String
    public init(_ name: String, _ value: Double, _ units: String) {
        self.name = name
        self.value = value
        self.units = units
    }
}
