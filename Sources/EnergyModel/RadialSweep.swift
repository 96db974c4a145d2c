import Foundation
import SimCore

/// Backward/forward sweep for radial networks (Shirmohammadi, Hong, Semlyen & Luo 1988, IEEE Trans. Power Systems
/// 3(2)): a cross-check of the general solvers, not a production path. Each branch is MATPOWER's: an ideal
/// transformer t = tap·e^{j·shift} at the from side feeding a pi section (series z, shunt y/2 at both ends).
/// Backward: branch currents from the leaves to the source (load current conj(S/V) plus downstream branches plus the
/// shunts); forward: voltages from the source, V_internal = V_from/t, V_to = V_internal − z·I. Repeats until no
/// voltage moves by more than `tolerance`. Throws if the network has a loop or more than one slack bus.
public enum RadialSweep {
    public static func solve(_ net: PowerNetwork, tolerance: Double = 1e-13, maxIterations: Int = 500) throws -> (
        vm: [Double], vaDeg: [Double], iterations: Int
    ) {
        let nb = net.busCount
        guard let root = (0..<nb).first(where: { net.busType[$0] == .slack }),
            net.busType.filter({ $0 == .slack }).count == 1
        else {
            throw RunError("the radial sweep needs exactly one slack bus")
        }
        // orient the tree from the slack: parent branch of every bus, and a breadth-first order
        let (head, next, other) = net.adjacency()
        var parentBranch = [Int](repeating: -1, count: nb)
        var seen = [Bool](repeating: false, count: nb)
        var order = [root]
        seen[root] = true
        var k = 0
        while k < order.count {
            let i = order[k]
            k += 1
            var e = head[i]
            while e >= 0 {
                let j = Int(other[Int(e)])
                let br = Int(e) / 2
                if br != parentBranch[i] {
                    if seen[j] {
                        throw RunError(
                            "the network has a loop at \(net.branchNames[br]); the radial sweep needs a tree")
                    }
                    seen[j] = true
                    parentBranch[j] = br
                    order.append(j)
                }
                e = next[Int(e)]
            }
        }
        let base = net.baseMVA
        var vr = [Double](repeating: 0, count: nb)
        var vi = vr
        vr[root] = net.vmSet[root] * cos(net.vaSetDeg[root] * .pi / 180)
        vi[root] = net.vmSet[root] * sin(net.vaSetDeg[root] * .pi / 180)
        // flat start with the transformers' phase shifts propagated
        for i in order.dropFirst() {
            let b = parentBranch[i]
            let p = Int(net.from[b]) == i ? Int(net.to[b]) : Int(net.from[b])
            let sh = net.shiftDeg[b] * .pi / 180 * (Int(net.to[b]) == i ? -1 : 1)
            let m = (vr[p] * vr[p] + vi[p] * vi[p]).squareRoot()
            let a = atan2(vi[p], vr[p]) + sh
            vr[i] = m * cos(a)
            vi[i] = m * sin(a)
        }
        var ir = [Double](repeating: 0, count: nb)
        var ii = ir
        var it = 0
        while it < maxIterations {
            it += 1
            // backward: current each bus draws from its parent (load + shunt + children)
            for i in 0..<nb {
                let d = vr[i] * vr[i] + vi[i] * vi[i]
                // conj(S/V) with S = pd + j qd (demand, MW) in per unit, plus the bus shunt (gs + j bs)·V
                let sr = net.pd[i] / base
                let si = net.qd[i] / base
                ir[i] = (sr * vr[i] + si * vi[i]) / d + (net.gs[i] * vr[i] - net.bs[i] * vi[i]) / base
                ii[i] = (sr * vi[i] - si * vr[i]) / d + (net.gs[i] * vi[i] + net.bs[i] * vr[i]) / base
            }
            var brR = [Double](repeating: 0, count: net.branchCount)
            var brI = brR  // series current toward the child
            for i in order.reversed() where i != root {
                let b = parentBranch[i]
                let plain = (net.tap[b] == 0 || net.tap[b] == 1) && net.shiftDeg[b] == 0
                guard Int(net.to[b]) == i || plain else {
                    throw RunError(
                        "\(net.branchNames[b]) has its transformer on the load side; the sweep expects taps at the source side"
                    )
                }
                // shunt y/2 at the child end
                let hr = net.g[b] / 2
                let hi = net.b[b] / 2
                let cr = ir[i] + hr * vr[i] - hi * vi[i]
                let ci = ii[i] + hr * vi[i] + hi * vr[i]
                brR[b] = cr
                brI[b] = ci
                // at the internal node: the other shunt y/2; then through the ideal transformer: I_from = I_int / conj(t)
                let p = Int(net.to[b]) == i ? Int(net.from[b]) : Int(net.to[b])
                let tm = net.tap[b] == 0 ? 1 : net.tap[b]
                let sh = net.shiftDeg[b] * .pi / 180
                let tr = tm * cos(sh)
                let ti = tm * sin(sh)
                let wr = vr[p] / tm / tm * tr + vi[p] / tm / tm * ti
                let wi = vi[p] / tm / tm * tr - vr[p] / tm / tm * ti  // V_from / t
                let intR = cr + hr * wr - hi * wi
                let intI = ci + hr * wi + hi * wr
                // / conj(t) = · t / |t|²
                ir[p] += (intR * tr - intI * ti) / (tm * tm)
                ii[p] += (intR * ti + intI * tr) / (tm * tm)
            }
            // forward: voltages from the source
            var worst = 0.0
            for i in order.dropFirst() {
                let b = parentBranch[i]
                let p = Int(net.to[b]) == i ? Int(net.from[b]) : Int(net.to[b])
                let tm = net.tap[b] == 0 ? 1 : net.tap[b]
                let sh = net.shiftDeg[b] * .pi / 180
                let tr = tm * cos(sh)
                let ti = tm * sin(sh)
                let wr = (vr[p] * tr + vi[p] * ti) / (tm * tm)
                let wi = (vi[p] * tr - vr[p] * ti) / (tm * tm)
                let nr = wr - (net.r[b] * brR[b] - net.x[b] * brI[b])
                let ni = wi - (net.r[b] * brI[b] + net.x[b] * brR[b])
                worst = max(worst, abs(nr - vr[i]), abs(ni - vi[i]))
                vr[i] = nr
                vi[i] = ni
            }
            if worst <= tolerance { break }
        }
        return (
            (0..<nb).map { (vr[$0] * vr[$0] + vi[$0] * vi[$0]).squareRoot() },
            (0..<nb).map { wrappedDegrees(atan2(vi[$0], vr[$0])) }, it
        )
    }
}
