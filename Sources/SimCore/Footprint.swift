/// What a domain will hold, write and cost, counted from its sizes before it is built, so that a run can be
/// refused before it allocates (`citytwin validate --estimate`, `run --max-memory`). Bytes unless said.
/// Each domain computes its own (`FloodSetup.footprint`, `TrafficDomain.footprint`, `EnergyDomain.footprint`)
/// from the arrays it allocates; the constants per element are documented there and checked in
/// docs/performance.md against measured runs.
public struct Footprint: Sendable, Equatable {
    /// Resident while the run steps.
    public var state = 0.0
    /// Extra, transient, while the domain is built (readers, set-up copies); released before the run steps.
    public var building = 0.0
    /// One output snapshot as stored (float32 values).
    public var snapshot = 0.0
    /// The end-of-run variables.
    public var finals = 0.0
    /// Values of the per-tick diagnostics.
    public var diagnostics = 0
    /// One checkpoint file.
    public var checkpoint = 0.0
    /// Ticks the domain needs over the run (the engine takes the smallest step of all domains).
    public var ticks = 0.0
    /// Compute time on one worker (s), and the share of it that runs in parallel over workers.
    public var seconds = 0.0
    public var parallelShare = 1.0
    /// Set-up time before the first step (reading and building; serial), included in `seconds(workers:)`.
    public var setupSeconds = 0.0

    public init() {}

    /// Compute time with `workers` workers (Amdahl).
    public func seconds(workers: Int) -> Double {
        setupSeconds + seconds * ((1 - parallelShare) + parallelShare / Double(max(1, workers)))
    }
}
