import CMETIS
import SimCore

/// A failed METIS call, with METIS's status.
public struct METISError: Error, CustomStringConvertible {
    public let status: Int32
    public var description: String {
        switch status {
        case METIS_ERROR_INPUT.rawValue: "METIS: the graph is malformed (METIS_ERROR_INPUT)"
        case METIS_ERROR_MEMORY.rawValue: "METIS: out of memory (METIS_ERROR_MEMORY)"
        default: "METIS: failed (status \(status))"
        }
    }
}

/// Partitions of the road network's nodes by METIS multilevel k-way partitioning (Karypis & Kumar 1998, "A fast
/// and high quality multilevel scheme for partitioning irregular graphs", SIAM J. Sci. Comput. 20(1):359–392):
/// balanced node work with the fewest vehicles crossing between partitions, the scheme MATSim's distributed mobsim
/// uses. The one wrapper of the METIS C API.
///
/// The graph is the network made undirected: an edge per pair of adjacent nodes weighted by the expected flow of
/// their links (the routes through them, plus one), a node weighted by the flow it serves (its incoming links'),
/// plus one. The seed is fixed, so the partition is the same on every run and rank.
public enum GraphPartition {
    /// The partition of every node of `network` into `parts`, from the expected flow of each link.
    public static func metis(network: RoadNetwork, linkFlow: [Int64], parts: Int) throws -> [Int32] {
        let n = network.nodeCount
        guard parts > 1, n > parts else { return [Int32](repeating: 0, count: n) }
        // undirected adjacency with summed weights (both directions, parallel links merged): sorted (u, v) pairs
        var pairs: [(u: Int32, v: Int32, w: Int64)] = []
        pairs.reserveCapacity(2 * network.linkCount)
        var nodeWork = [Int64](repeating: 1, count: n)
        for a in 0..<network.linkCount {
            let u = network.from[a]
            let v = network.to[a]
            nodeWork[Int(v)] += linkFlow[a]
            if u == v { continue }
            pairs.append((u, v, linkFlow[a] + 1))
            pairs.append((v, u, linkFlow[a] + 1))
        }
        pairs.sort { ($0.u, $0.v) < ($1.u, $1.v) }
        var merged: [(u: Int32, v: Int32, w: Int64)] = []
        for p in pairs {
            if let last = merged.last, last.u == p.u, last.v == p.v {
                merged[merged.count - 1].w += p.w
            } else {
                merged.append(p)
            }
        }
        // METIS sums weights in 32 bits: scale them down to fit
        let limit = Int64(Int32.max / 4)
        let edgeScale = max(1, merged.reduce(Int64(0)) { $0 + $1.w } / limit + 1)
        let workScale = max(1, nodeWork.reduce(0, +) / limit + 1)
        var xadj = [idx_t](repeating: 0, count: n + 1)
        for p in merged { xadj[Int(p.u) + 1] += 1 }
        for u in 0..<n { xadj[u + 1] += xadj[u] }
        var adjncy = merged.map { idx_t($0.v) }
        var adjwgt = merged.map { idx_t(max(1, $0.w / edgeScale)) }
        var vwgt = nodeWork.map { idx_t(max(1, $0 / workScale)) }
        var nv = idx_t(n)
        var ncon: idx_t = 1
        var np = idx_t(parts)
        var options = [idx_t](repeating: 0, count: Int(METIS_NOPTIONS))
        METIS_SetDefaultOptions(&options)
        options[Int(METIS_OPTION_SEED.rawValue)] = 1
        options[Int(METIS_OPTION_NUMBERING.rawValue)] = 0
        var cut: idx_t = 0
        var part = [idx_t](repeating: 0, count: n)
        let status = METIS_PartGraphKway(
            &nv, &ncon, &xadj, &adjncy, &vwgt, nil, &adjwgt, &np, nil, nil, &options, &cut, &part)
        guard status == METIS_OK.rawValue else { throw METISError(status: status) }
        return part.map { Int32($0) }
    }

    /// Routes through each link (the expected flow METIS balances and cuts by).
    public static func linkFlow(plans: VehiclePlans, links: Int) -> [Int64] {
        var f = [Int64](repeating: 0, count: links)
        for a in plans.routeLinks where a >= 0 && Int(a) < links { f[Int(a)] += 1 }
        return f
    }
}
