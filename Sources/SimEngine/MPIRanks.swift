import CMPI
import SimCore

#if canImport(Glibc)
    import Glibc
#endif

/// A failed MPI call: which call and Open MPI's own message.
public struct MPIError: Error, CustomStringConvertible {
    public let call: String
    public let message: String
    public var description: String { "MPI: \(call) failed: \(message)" }
}

/// The ranks of a run started by `mpirun` (Open MPI): the one wrapper of the MPI C API. Every call goes through
/// `MPIRanks.check`, which turns an MPI error code into `MPIError` (the communicator returns errors instead of
/// aborting). Only the engine's thread calls MPI (`MPI_THREAD_FUNNELED`); partitions run on worker threads between
/// the calls. Messages larger than 1 GiB are split, since MPI counts are 32-bit.
public final class MPIRanks: RankGroup {
    public let rank: Int
    public let size: Int
    /// Ranks on this rank's node (sharing its memory), for the memory check before a run.
    public let ranksOnNode: Int
    public private(set) var bytesSent = 0
    public private(set) var failure: String?
    let comm: MPI_Comm
    var finalized = false
    static let chunk = 1 << 30

    /// True when this process was started by an MPI launcher (`mpirun`, `srun --mpi`): Open MPI and PMIx set
    /// these variables in every rank's environment.
    public static func launched(environment: [String: String]) -> Bool {
        environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil
    }

    /// Initialises MPI (once per process) on `MPI_COMM_WORLD`.
    public init() throws {
        var provided: Int32 = 0
        try Self.check("MPI_Init_thread", MPI_Init_thread(nil, nil, ct_mpi_thread_funneled(), &provided))
        comm = ct_mpi_comm_world()
        try Self.check("MPI_Comm_set_errhandler", MPI_Comm_set_errhandler(comm, ct_mpi_errors_return()))
        var r: Int32 = 0
        var s: Int32 = 0
        try Self.check("MPI_Comm_rank", MPI_Comm_rank(comm, &r))
        try Self.check("MPI_Comm_size", MPI_Comm_size(comm, &s))
        rank = Int(r)
        size = Int(s)
        var node: MPI_Comm? = nil
        try Self.check(
            "MPI_Comm_split_type", MPI_Comm_split_type(comm, ct_mpi_comm_type_shared(), r, ct_mpi_info_null(), &node))
        var local: Int32 = 1
        if let n = node {
            try Self.check("MPI_Comm_size", MPI_Comm_size(n, &local))
            _ = MPI_Comm_free(&node)
        }
        ranksOnNode = Int(local)
    }

    /// Ends MPI (after the last collective call of the process).
    public func finalize() {
        guard !finalized else { return }
        finalized = true
        _ = MPI_Finalize()
    }

    /// Ends every rank of the run (after an error on this one, so that no rank waits for it forever).
    public func abort(code: Int32) -> Never {
        _ = MPI_Abort(comm, code)
        exit(code)
    }

    static func check(_ call: String, _ code: Int32) throws {
        guard code != ct_mpi_success() else { return }
        throw MPIError(call: call, message: errorString(code))
    }

    static func errorString(_ code: Int32) -> String {
        var buf = [CChar](repeating: 0, count: Int(ct_mpi_max_error_string()) + 1)
        var len: Int32 = 0
        _ = MPI_Error_string(code, &buf, &len)
        return String(decoding: buf.prefix(Int(len)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func record(_ call: String, _ code: Int32) {
        guard code != ct_mpi_success(), failure == nil else { return }
        failure = MPIError(call: call, message: Self.errorString(code)).description
    }

    public func sendReceive(
        _ send: UnsafeRawBufferPointer, to: Int?, _ receive: UnsafeMutableRawBufferPointer, from: Int?
    ) {
        let dest = to.map { Int32($0) } ?? ct_mpi_proc_null()
        let source = from.map { Int32($0) } ?? ct_mpi_proc_null()
        var done = 0
        let total = max(to == nil ? 0 : send.count, from == nil ? 0 : receive.count)
        repeat {
            let s = to == nil ? 0 : min(Self.chunk, max(0, send.count - done))
            let r = from == nil ? 0 : min(Self.chunk, max(0, receive.count - done))
            let code = MPI_Sendrecv(
                send.baseAddress.map { $0 + min(done, send.count) }, Int32(s), ct_mpi_byte(), dest, 7,
                receive.baseAddress.map { $0 + min(done, receive.count) }, Int32(r), ct_mpi_byte(), source, 7,
                comm, ct_mpi_status_ignore())
            record("MPI_Sendrecv", code)
            bytesSent += s
            done += Self.chunk
        } while done < total
    }

    public func allGather(_ buffer: UnsafeMutableRawBufferPointer, offsets: [Int], counts: [Int]) {
        guard let base = buffer.baseAddress else { return }
        bytesSent += counts[rank] * (size - 1)
        if buffer.count < Int(Int32.max) {
            let code = MPI_Allgatherv(
                ct_mpi_in_place(), 0, ct_mpi_byte(), base, counts.map { Int32($0) }, offsets.map { Int32($0) },
                ct_mpi_byte(), comm)
            return record("MPI_Allgatherv", code)
        }
        // byte displacements beyond 2 GiB do not fit MPI's 32-bit counts: each rank broadcasts its block in pieces
        for r in 0..<size {
            var done = 0
            while done < counts[r] {
                let c = min(Self.chunk, counts[r] - done)
                record("MPI_Bcast", MPI_Bcast(base + offsets[r] + done, Int32(c), ct_mpi_byte(), Int32(r), comm))
                done += c
            }
        }
    }

    public func allReduceMax(_ values: UnsafeMutableBufferPointer<Double>) {
        guard let base = values.baseAddress, !values.isEmpty else { return }
        let code = MPI_Allreduce(
            ct_mpi_in_place(), base, Int32(values.count), ct_mpi_double(), ct_mpi_max(), comm)
        record("MPI_Allreduce", code)
        bytesSent += values.count * 8
    }

    public func allReduceMax(_ values: UnsafeMutableBufferPointer<Int64>) {
        guard let base = values.baseAddress, !values.isEmpty else { return }
        let code = MPI_Allreduce(
            ct_mpi_in_place(), base, Int32(values.count), ct_mpi_int64(), ct_mpi_max(), comm)
        record("MPI_Allreduce", code)
        bytesSent += values.count * 8
    }

    public func allToAll(_ sends: [[Int64]]) -> [[Int64]] {
        var counts = sends.map { Int32(clamping: $0.count) }
        var incoming = [Int32](repeating: 0, count: size)
        record("MPI_Alltoall", MPI_Alltoall(&counts, 1, ct_mpi_int(), &incoming, 1, ct_mpi_int(), comm))
        var sdispl = [Int32](repeating: 0, count: size)
        var rdispl = [Int32](repeating: 0, count: size)
        for r in 1..<max(size, 1) {
            sdispl[r] = sdispl[r - 1] + counts[r - 1]
            rdispl[r] = rdispl[r - 1] + incoming[r - 1]
        }
        var flat = sends.flatMap { $0 }
        let total = Int(incoming.reduce(0, +))
        var received = [Int64](repeating: 0, count: max(total, 1))
        let code = MPI_Alltoallv(
            &flat, &counts, &sdispl, ct_mpi_int64(), &received, &incoming, &rdispl, ct_mpi_int64(), comm)
        record("MPI_Alltoallv", code)
        bytesSent += 8 * (flat.count - sends[rank].count)
        return (0..<size).map { r in Array(received[Int(rdispl[r])..<Int(rdispl[r] + incoming[r])]) }
    }

    public func broadcast(_ bytes: inout [UInt8], from root: Int) {
        var n = [Int64(bytes.count)]
        record("MPI_Bcast", MPI_Bcast(&n, 1, ct_mpi_int64(), Int32(root), comm))
        if rank != root { bytes = [UInt8](repeating: 0, count: Int(n[0])) }
        var done = 0
        while done < bytes.count {
            let c = min(Self.chunk, bytes.count - done)
            let code = bytes.withUnsafeMutableBytes {
                MPI_Bcast($0.baseAddress! + done, Int32(c), ct_mpi_byte(), Int32(root), comm)
            }
            record("MPI_Bcast", code)
            done += c
        }
    }
}
