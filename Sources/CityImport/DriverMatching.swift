import EnergyModel
import Foundation
import SimCore
import TrafficModel

/// Matching a traffic population to the buildings of a grid (above both domains, which never import each
/// other).
public enum DriverMatching {
    /// The drivers of a traffic population as energy agents' schedules: vehicles named `<person>_<leg>` (the
    /// synthetic population's convention) are grouped by person; the home is the residential building nearest the
    /// start of the first leg; a leg is homeward when it ends at that leg's start node; the day's distance is the
    /// sum of the routes; the estimated arrival is departure + free-flow time (the traffic domain's actual arrival
    /// replaces it when traffic runs in the same job). Vehicles not named that way are left out (and counted).
    public static func drivers(plans: VehiclePlans, network net: RoadNetwork, buildings: [EnergySetup.Building])
        -> (
            drivers: [(
                building: Int, legs: [(vehicle: Int, depart: Double, homeward: Bool, arrival: Double)], km: Double
            )], unmatched: Int
        )
    {
        var persons: [String: [(leg: Int, vehicle: Int)]] = [:]
        var unmatched = 0
        for (v, id) in plans.ids.enumerated() {
            guard let u = id.lastIndex(of: "_"), let leg = Int(id[id.index(after: u)...]),
                plans.routeStart[v + 1] > plans.routeStart[v]
            else {
                unmatched += 1
                continue
            }
            persons[String(id[..<u]), default: []].append((leg, v))
        }
        // residential buildings on a coarse grid for the nearest search
        let cell = 200.0
        var grid: [Int64: [Int]] = [:]
        func key(_ x: Double, _ y: Double) -> Int64 {
            Int64((x / cell).rounded(.down)) << 32 | (Int64((y / cell).rounded(.down)) & 0xFFFF_FFFF)
        }
        for (b, bl) in buildings.enumerated() where bl.dwellings > 0 { grid[key(bl.x, bl.y), default: []].append(b) }
        func nearest(_ x: Double, _ y: Double) -> Int? {
            var best: Int?
            var bd = Double.infinity
            for r in 0...5 {
                let cx = Int64((x / cell).rounded(.down))
                let cy = Int64((y / cell).rounded(.down))
                for dx in -Int64(r)...Int64(r) {
                    for dy in -Int64(r)...Int64(r) where max(abs(dx), abs(dy)) == Int64(r) {
                        for b in grid[(cx + dx) << 32 | ((cy + dy) & 0xFFFF_FFFF)] ?? [] {
                            let d = hypot(buildings[b].x - x, buildings[b].y - y)
                            if d < bd || (d == bd && b < best!) {
                                bd = d
                                best = b
                            }
                        }
                    }
                }
                if best != nil && Double(r) * cell > bd { break }
            }
            return best
        }
        var out:
            [(building: Int, legs: [(vehicle: Int, depart: Double, homeward: Bool, arrival: Double)], km: Double)] = []
        for person in persons.keys.sorted() {
            let legs = persons[person]!.sorted { $0.leg < $1.leg }
            let first = legs[0].vehicle
            let homeNode = net.from[Int(plans.routeLinks[Int(plans.routeStart[first])])]
            guard let home = nearest(net.nodeX[Int(homeNode)], net.nodeY[Int(homeNode)]) else {
                unmatched += legs.count
                continue
            }
            var km = 0.0
            var list: [(vehicle: Int, depart: Double, homeward: Bool, arrival: Double)] = []
            for l in legs {
                let r = Int(plans.routeStart[l.vehicle])..<Int(plans.routeStart[l.vehicle + 1])
                let links = r.map { Int(plans.routeLinks[$0]) }
                km += links.reduce(0.0) { $0 + net.length[$1] } / 1000
                let dep = Double(plans.depart[l.vehicle]) / 1000
                let tt = links.reduce(0.0) { $0 + net.freeFlowTime[$1] }
                list.append((l.vehicle, dep, net.to[links.last!] == homeNode, dep + tt))
            }
            out.append((home, list, km))
        }
        return (out, unmatched)
    }
}
