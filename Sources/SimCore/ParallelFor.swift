import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs partition work on a fixed number of workers. The one audited place where non-Sendable work crosses
/// threads: callers guarantee that iteration `p` only writes data owned by partition `p` (the step loop's
/// two-phase contract), and `forEach` returning is the barrier.
public struct ParallelExecutor: Sendable {
    public let workers: Int
    public init(workers: Int) { self.workers = max(1, workers) }

    /// Calls `body(p)` for every p in 0..<count; partitions are dealt to workers round-robin.
    public func forEach(_ count: Int, _ body: (Int) -> Void) {
        if workers == 1 || count <= 1 {
            for p in 0..<count { body(p) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body)
            let w = min(workers, count)
            DispatchQueue.concurrentPerform(iterations: w) { worker in
                var p = worker
                while p < count {
                    box.value(p)
                    p += w
                }
            }
        }
    }
}

extension ParallelExecutor {
    /// `body(i)` for every i in 0..<count, in parallel, results in index order (each iteration writes only its slot).
    public func map<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
        [T](unsafeUninitializedCapacity: count) { buf, initialised in
            let base = buf.baseAddress
            forEach(count) { i in (base! + i).initialize(to: body(i)) }
            initialised = count
        }
    }
}

/// The one `@unchecked Sendable`: see `ParallelExecutor`.
@usableFromInline struct UncheckedBox<T>: @unchecked Sendable {
    @usableFromInline let value: T
    @usableFromInline init(_ v: T) { value = v }
}

/// CPU seconds (user + system) this process has used, for benchmarks and run summaries.
public func processCPUSeconds() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(
        u.ru_stime.tv_usec) / 1e6
}
