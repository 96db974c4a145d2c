extension PowerNetwork {
    /// A part of a network solved on its own: its buses and branches as indices into the whole network.
    public struct Feeder: Sendable {
        public var network: PowerNetwork
        /// Whole-network index of each local bus / branch.
        public var buses: [Int32], branches: [Int32]
    }

    /// Splits the network at its slack buses: every connected group of non-slack buses, with copies of the slack
    /// buses it touches, is a feeder that can be solved independently (the slack voltage is fixed, so nothing
    /// flows between feeders except through the slack). Feeders come in order of their lowest bus index;
    /// buses no slack bus reaches form no feeder.
    public func feeders() -> [Feeder] {
        let nb = busCount
        let (head, next, other) = adjacency()
        var comp = [Int32](repeating: -1, count: nb)
        var count = 0
        var members: [[Int]] = []
        for s in 0..<nb where comp[s] < 0 && busType[s] != .slack {
            var stack = [s]
            var list: [Int] = []
            comp[s] = Int32(count)
            while let i = stack.popLast() {
                list.append(i)
                var e = head[i]
                while e >= 0 {
                    let j = Int(other[Int(e)])
                    if busType[j] != .slack && comp[j] < 0 {
                        comp[j] = Int32(count)
                        stack.append(j)
                    }
                    e = next[Int(e)]
                }
            }
            members.append(list.sorted())
            count += 1
        }
        var out: [Feeder] = []
        for (c, list) in members.enumerated() {
            var branchList: [Int] = []
            var slackSet = Set<Int>()
            for k in 0..<branchCount where inService[k] {
                let f = Int(from[k])
                let t = Int(to[k])
                let inF = comp[f] == Int32(c)
                let inT = comp[t] == Int32(c)
                guard inF || inT else { continue }
                if !inF { slackSet.insert(f) }
                if !inT { slackSet.insert(t) }
                branchList.append(k)
            }
            if slackSet.isEmpty { continue }  // no source: not a feeder
            let buses = list + slackSet.sorted()
            var local = [Int32: Int32]()
            for (k, b) in buses.enumerated() { local[Int32(b)] = Int32(k) }
            func pick<T>(_ a: [T]) -> [T] { buses.map { a[$0] } }
            func pickB<T>(_ a: [T]) -> [T] { branchList.map { a[$0] } }
            var sub = PowerNetwork(
                baseMVA: baseMVA, busType: pick(busType), pd: pick(pd), qd: pick(qd), gs: pick(gs), bs: pick(bs),
                baseKV: pick(baseKV),
                vmSet: pick(vmSet), vaSetDeg: pick(vaSetDeg), from: branchList.map { local[from[$0]]! },
                to: branchList.map { local[to[$0]]! },
                r: pickB(r), x: pickB(x), b: pickB(b), g: pickB(g), tap: pickB(tap), shiftDeg: pickB(shiftDeg),
                inService: pickB(inService), branchNames: pickB(branchNames))
            if ratingKA.count == branchCount { sub.ratingKA = pickB(ratingKA) }
            if ratingMVA.count == branchCount { sub.ratingMVA = pickB(ratingMVA) }
            out.append(Feeder(network: sub, buses: buses.map(Int32.init), branches: branchList.map(Int32.init)))
        }
        return out
    }
}
