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
