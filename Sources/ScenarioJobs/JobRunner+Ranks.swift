import SimCore

/// Another rank of a distributed run failed (it reports its own error); this one stops without a message.
public struct RankStopped: Error, CustomStringConvertible {
    public var description: String { "another rank of the run stopped it" }
}

/// An error every rank of a distributed run learnt of at an agreement point (so none is left waiting): the
/// process may end normally.
public struct AgreedError: Error, CustomStringConvertible {
    public let underlying: any Error
    public var description: String { "\(underlying)" }
}

/// The points where the ranks of a distributed run agree: every rank passes each in the same order, so an error
/// on one rank (a locked output folder, a missing file) stops all of them instead of leaving the others waiting.
struct RankSync {
    let ranks: (any RankGroup)?
    var leader: Bool { (ranks?.rank ?? 0) == 0 }
    var distributed: Bool { (ranks?.size ?? 1) > 1 }

    /// Runs `body`, then tells every rank whether any failed: the failing rank throws its error, the others
    /// `RankStopped`.
    func agree<T>(_ body: () throws -> T) throws -> T {
        let result = Result { try body() }
        if distributed, let ranks, ranks.any((try? result.get()) == nil) {
            if case .failure(let e) = result { throw AgreedError(underlying: e) }
            throw RankStopped()
        }
        return try result.get()
    }

    /// True on every rank when `flag` is on any.
    func any(_ flag: Bool) -> Bool {
        guard distributed, let ranks else { return flag }
        return ranks.any(flag)
    }

    /// Rank 0's string on every rank.
    func share(_ s: String) -> String {
        guard distributed, let ranks else { return s }
        var bytes = Array(s.utf8)
        ranks.broadcast(&bytes, from: 0)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// What rank 0 found in the output folder, on every rank.
    func share(_ s: JobRunner.OutputStatus) -> JobRunner.OutputStatus {
        switch share(s == .complete ? "complete" : s.hasWork ? "resume" : "start") {
        case "complete": .complete
        case "resume": .start(hasWork: true)
        default: .start(hasWork: false)
        }
    }
}
