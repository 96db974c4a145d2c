import CKLU
import SimCore

/// The one wrapper around SuiteSparse KLU (T. A. Davis and E. Palamadai Natarajan, "Algorithm 907: KLU, a direct
/// sparse solver for circuit simulation problems", ACM TOMS 37(3), 2010). Every KLU call in the project goes
/// through this type.
///
/// Life cycle, as KLU intends it for Newton iterations: `analyse` the sparsity pattern once per topology (BTF +
/// AMD ordering), `factor` the first set of values, then `refactor` with new values on the same pattern and pivot
/// order (much cheaper); `solve` in place. A refactorisation whose reciprocal pivot growth collapses falls back to
/// a fresh factorisation with pivoting. Values are real (`Scalar.real`) or interleaved complex (`.complex`,
/// re/im pairs). One instance per matrix; not shared between threads.
public final class SparseLU {
    public enum Scalar: Sendable { case real, complex }
    public let n: Int
    public let scalar: Scalar
    public private(set) var colPtr: [Int32]
    public private(set) var rowIdx: [Int32]
    private let common: UnsafeMutablePointer<klu_common>
    private var symbolic: UnsafeMutablePointer<klu_symbolic>?
    private var numeric: UnsafeMutablePointer<klu_numeric>?
    /// Factorisations from scratch and refactorisations so far (for tests and benchmarks).
    public private(set) var fullFactorisations = 0, refactorisations = 0

    /// Analyses the pattern of an n×n matrix in compressed-column form (row indices sorted within a column).
    public init(n: Int, colPtr: [Int32], rowIdx: [Int32], scalar: Scalar) throws {
        precondition(colPtr.count == n + 1 && Int(colPtr[n]) == rowIdx.count)
        self.n = n
        self.scalar = scalar
        self.colPtr = colPtr
        self.rowIdx = rowIdx
        common = .allocate(capacity: 1)
        klu_defaults(common)
        common.pointee.scale = -1  // no row scaling: admittance and Jacobian rows are well balanced in per unit
        if n == 0 { return }
        symbolic = self.colPtr.withUnsafeMutableBufferPointer { cp in
            self.rowIdx.withUnsafeMutableBufferPointer { ri in
                klu_analyze(Int32(n), cp.baseAddress, ri.baseAddress, common)
            }
        }
        guard symbolic != nil else {
            let status = common.pointee.status
            klu_free_symbolic(&symbolic, common)
            common.deallocate()
            throw RunError(
                "sparse LU analysis failed (KLU status \(status))",
                hint: "the matrix pattern is structurally singular: a bus without any connection?")
        }
    }

    deinit {
        if numeric != nil {
            if scalar == .real { klu_free_numeric(&numeric, common) } else { klu_z_free_numeric(&numeric, common) }
        }
        if symbolic != nil { klu_free_symbolic(&symbolic, common) }
        common.deallocate()
    }

    /// Factorises `values` (count nnz, or 2·nnz interleaved for complex). Reuses the pivot order of the previous
    /// factorisation when there is one. Throws if the matrix is numerically singular.
    public func factor(_ values: inout [Double]) throws {
        if n == 0 { return }
        precondition(values.count == rowIdx.count * (scalar == .real ? 1 : 2))
        let ok: Bool = colPtr.withUnsafeMutableBufferPointer { cp in
            rowIdx.withUnsafeMutableBufferPointer { ri in
                values.withUnsafeMutableBufferPointer { vx in
                    if numeric != nil {
                        let r =
                            scalar == .real
                            ? klu_refactor(cp.baseAddress, ri.baseAddress, vx.baseAddress, symbolic, numeric, common)
                            : klu_z_refactor(cp.baseAddress, ri.baseAddress, vx.baseAddress, symbolic, numeric, common)
                        if r != 0 {
                            // a cheap stability check (smallest/largest |pivot|); refactor keeps old pivots
                            _ =
                                scalar == .real
                                ? klu_rcond(symbolic, numeric, common) : klu_z_rcond(symbolic, numeric, common)
                            if common.pointee.rcond > 1e-14 {
                                refactorisations += 1
                                return true
                            }
                        }
                        if scalar == .real {
                            klu_free_numeric(&numeric, common)
                        } else {
                            klu_z_free_numeric(&numeric, common)
                        }
                    }
                    numeric =
                        scalar == .real
                        ? klu_factor(cp.baseAddress, ri.baseAddress, vx.baseAddress, symbolic, common)
                        : klu_z_factor(cp.baseAddress, ri.baseAddress, vx.baseAddress, symbolic, common)
                    fullFactorisations += 1
                    return numeric != nil && common.pointee.status == KLU_OK
                }
            }
        }
        guard ok else {
            throw RunError(
                "the matrix is singular (KLU status \(common.pointee.status))",
                hint: "check for a part of the grid without a source or a branch with zero impedance")
        }
    }

    /// Solves A x = b in place (b has n values, or 2·n interleaved for complex).
    public func solve(_ b: inout [Double]) {
        if n == 0 { return }
        precondition(numeric != nil && b.count == n * (scalar == .real ? 1 : 2))
        b.withUnsafeMutableBufferPointer { bx in
            _ =
                scalar == .real
                ? klu_solve(symbolic, numeric, Int32(n), 1, bx.baseAddress, common)
                : klu_z_solve(symbolic, numeric, Int32(n), 1, bx.baseAddress, common)
        }
    }
}
