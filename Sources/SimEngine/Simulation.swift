import SimCore

/// Receives what the step loop produces. Implemented by the result writer, the checkpoint store and the
/// progress display (all above this layer); any error it throws stops the run.
public protocol SimulationObserver: AnyObject {
    /// After every tick, with each domain's diagnostics (in domain order).
    func didTick(_ sim: Simulation, diagnostics: [[Double]]) throws
    /// At each output time (including t = 0 and the end), with each domain's snapshot variables.
    func didReachOutput(_ sim: Simulation, snapshots: [[ArrayData]]) throws
    /// At each checkpoint time (not at the end).
    func didReachCheckpoint(_ sim: Simulation) throws
}

/// The schedule of a run: all in integer milliseconds since the start.
public struct RunSchedule: Sendable, Equatable {
    public var end: SimTime
    public var outputInterval: SimDuration
    public var checkpointInterval: SimDuration?
    public init(end: SimTime, outputInterval: SimDuration, checkpointInterval: SimDuration? = nil) {
        self.end = end
        self.outputInterval = outputInterval
        self.checkpointInterval = checkpointInterval
    }
    func next(after t: SimTime, every d: SimDuration) -> SimTime {
        SimTime(milliseconds: (t.milliseconds / d.milliseconds + 1) * d.milliseconds)
    }
}

/// One simulation: its domains, clock and schedule. Many can live in one process (no globals).
///
/// The step loop (the only one): propose → begin → phases in parallel with exchange → reduce → record.
public final class Simulation {
    public let domains: [any DomainModel]
    public let schedule: RunSchedule
    public let executor: ParallelExecutor
    /// The processes of a distributed run (nil: this process alone), and which domains took them.
    public let ranks: (any RankGroup)?
    let distributed: [Bool]
    var syncedTick: Int64 = -1
    /// Bytes this rank sent making the state whole (outputs, checkpoints), apart from the step's own exchange.
    public private(set) var synchronizeBytes = 0
    public private(set) var clock: SimTime
    public private(set) var tick: Int64
    /// Set by the caller (e.g. a signal handler) to stop after the current tick.
    public var stopRequested: () -> Bool = { false }

    /// The couplings between the domains (`Coupling.connect`), exchanged after every tick that is due.
    public private(set) var couplings: [Coupling]
    var exchangePrimed = false

    public init(
        domains: [any DomainModel], schedule: RunSchedule, workers: Int, start: SimTime = .zero, tick: Int64 = 0,
        couplings: [Coupling] = [], ranks: (any RankGroup)? = nil
    ) {
        self.domains = domains
        self.ranks = ranks
        distributed = domains.map { d in ranks.map { $0.size > 1 && d.distribute(over: $0) } ?? false }
        self.couplings = couplings
        self.schedule = schedule
        self.executor = ParallelExecutor(workers: workers)
        self.clock = start
        self.tick = tick
        initialOutputDone = !(start == .zero && tick == 0)
    }

    /// True once the t = 0 output has been produced (in this process, or before the checkpoint it resumed from).
    public private(set) var initialOutputDone = false

    /// Restores the clock from a checkpoint (domains restore their own state). A checkpoint is written only after
    /// the t = 0 output, so a run resumed even from a checkpoint at t = 0 does not produce it again.
    public func restoreClock(_ t: SimTime, tick: Int64) {
        clock = t
        self.tick = tick
        initialOutputDone = true
    }

    /// The exchange buffers, for checkpoints (one named array per coupling).
    public func exchangeState() -> [NamedArray] { couplings.map { NamedArray($0.name, .float64($0.values)) } }

    /// Takes the exchange buffers back from a checkpoint and hands them to their consumers.
    public func restoreExchange(from state: [NamedArray]) throws {
        for k in couplings.indices {
            let data = try state.checkpointArray(
                couplings[k].name, count: couplings[k].values.count, domain: "exchange", mismatch: "another job")
            couplings[k].values = data.doubles
            couplings[k].deliver(domains)
        }
        exchangePrimed = true
    }

    /// Every read before any hand-over: consumers see the providers as of the end of the same tick.
    func exchange(before: SimTime?) {
        var due: [Int] = []
        for k in couplings.indices where before.map({ couplings[k].due(before: $0, now: clock) }) ?? true {
            couplings[k].gather(domains)
            due.append(k)
        }
        for k in due { couplings[k].deliver(domains) }
    }

    /// The partitions this process steps of domain k: all of them, or its rank's share in a distributed run.
    func partitions(_ k: Int) -> Range<Int> {
        let n = domains[k].partitionCount
        guard distributed[k], let ranks else { return 0..<n }
        return ranks.owned(n)
    }

    /// Makes the whole state of every distributed domain current on every rank (collective; no-op otherwise).
    public func synchronize() {
        guard syncedTick != tick else { return }
        syncedTick = tick
        let before = ranks?.bytesSent ?? 0
        for (k, d) in domains.enumerated() where distributed[k] { d.synchronize() }
        synchronizeBytes += (ranks?.bytesSent ?? 0) - before
    }

    /// True when domain k is stepped in shares by the ranks (it writes a part of each checkpoint on every rank).
    public func isDistributed(_ k: Int) -> Bool { distributed[k] }

    /// Writes a checkpoint through the observer. In a distributed run every rank's observer writes its part: the
    /// other ranks first, then rank 0 the file that makes the checkpoint complete; a failure on any rank fails it
    /// on every rank (rank 0 then writes nothing, so the checkpoint does not exist).
    public func checkpoint(_ observer: SimulationObserver?) throws {
        guard let ranks, ranks.size > 1 else { return try observer?.didReachCheckpoint(self) ?? () }
        var failure: (any Error)?
        if ranks.rank != 0 {
            do { try observer?.didReachCheckpoint(self) } catch { failure = error }
        }
        if ranks.any(failure != nil) {
            throw failure
                ?? RunError("another rank could not write its part of the checkpoint", hint: "see its message")
        }
        if ranks.rank == 0 { try observer?.didReachCheckpoint(self) }
    }

    /// A stop request of any rank stops every rank after the same tick.
    func shouldStop() -> Bool {
        guard let ranks, ranks.size > 1 else { return stopRequested() }
        return ranks.any(stopRequested())
    }

    /// Runs to the end of the schedule. Returns false if stopped early by `stopRequested`. In a distributed run
    /// every rank calls it with its observer (rank 0's result writer, the others' checkpoint part writers); at
    /// outputs and at the end the whole state is current on every rank.
    @discardableResult
    public func run(observer: SimulationObserver?) throws -> Bool {
        if !exchangePrimed {
            exchangePrimed = true
            exchange(before: nil)
        }
        // snapshot() is called at every output time whether or not anyone listens: it may close an output interval.
        if !initialOutputDone {
            initialOutputDone = true
            synchronize()
            let snaps = domains.map { $0.snapshot() }
            try observer?.didReachOutput(self, snapshots: snaps)
        }
        while clock < schedule.end {
            if shouldStop() { return false }
            let nextOutput = min(schedule.next(after: clock, every: schedule.outputInterval), schedule.end)
            // Checkpoints do not shorten steps (so results do not depend on the checkpoint interval): one is
            // written at the end of the first tick that reaches or passes each checkpoint time.
            let stop = nextOutput
            let dt = domains.reduce(stop - clock) { min($0, $1.proposeStep(at: clock, limit: stop - clock)) }
            for (k, d) in domains.enumerated() {
                d.beginTick(at: clock, step: dt)
                let mine = partitions(k)
                for phase in 0..<d.phaseCount {
                    executor.forEach(mine.count) { p in d.step(phase: phase, partition: mine.lowerBound + p) }
                    d.exchange(phase: phase)
                }
            }
            let before = clock
            clock = clock + dt
            tick += 1
            for d in domains { d.endTick(at: clock) }
            exchange(before: before)
            if let f = ranks?.failure { throw RunError(f, hint: "a rank of the run failed; see mpirun's report") }
            try observer?.didTick(self, diagnostics: domains.map { $0.diagnostics() })
            if clock == nextOutput {
                synchronize()
                let snaps = domains.map { $0.snapshot() }
                try observer?.didReachOutput(self, snapshots: snaps)
            }
            if let c = schedule.checkpointInterval,
                clock.milliseconds / c.milliseconds > before.milliseconds / c.milliseconds,
                clock < schedule.end
            {
                try checkpoint(observer)
            }
        }
        synchronize()
        return true
    }
}
