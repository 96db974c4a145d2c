import FloodModel
import Foundation
import SimCore
import SimIO

extension ResultData {
    /// Depth above which a cell counts as flooded in the flooded-area series and the newly wet / dry masks.
    public static let wetThreshold = 0.1

    /// Rows of a (y, x) grid in GDAL's order (north first), whichever way the y coordinate runs.
    static func northUp(_ v: [Double], width: Int, height: Int, yIncreasing: Bool) -> [Float] {
        var out = [Float](repeating: .nan, count: width * height)
        for j in 0..<height {
            let src = (yIncreasing ? height - 1 - j : j) * width
            for i in 0..<width { out[j * width + i] = Float(v[src + i]) }
        }
        return out
    }

    mutating func readFlood(_ g: H5Group, depthAt: [Double]) throws {
        guard let x = try array(g, "x"), let y = try array(g, "y"), let gt = GeoReference.geoTransform(x: x, y: y)
        else { return }
        let up = y.count > 1 && y[1] > y[0]
        let (w, h) = (x.count, y.count)
        func raster(_ name: String, _ values: [Double], units: String, long: String, noData: Double? = nil) -> Raster {
            Raster(
                name: name, longName: long, width: w, height: h, geoTransform: gt,
                bands: [
                    RasterBand(
                        name: name, units: units, values: Self.northUp(values, width: w, height: h, yIncreasing: up),
                        noData: noData)
                ])
        }
        var finals: [String: [Double]] = [:]
        for name in ["max_depth", "max_speed", "arrival_time", "terrain"] {
            guard let v = try array(g, name) else { continue }
            finals[name] = v
            let d = try g.dataset(name)
            rasters.append(
                raster(
                    name, v, units: try d.stringAttribute("units") ?? "",
                    long: try d.stringAttribute("long_name") ?? "",
                    noData: name == "arrival_time" ? .nan : nil))
        }
        if let d = finals["max_depth"], let v = finals["max_speed"] {
            let hr = zip(d, v).map { FloodHazard.rating(depth: $0, speed: $1) }
            rasters.append(
                raster(
                    "hazard_rating", hr, units: "1",
                    long: "flood hazard rating HR = d (v + 0.5) + DF (FD2320/TR2, urban debris factor) from the "
                        + "maximum depth and maximum speed: an upper bound of the rating's maximum over time"))
        }
        depthTimes = try array(g, "time") ?? []
        guard try g.exists("depth"), !depthTimes.isEmpty else { return }
        // one snapshot at a time: a large grid's (time, y, x) need not fit in memory
        let depth = try g.dataset("depth")
        func snapshot(_ k: Int) throws -> [Float] { try depth.readFloats(start: [k, 0, 0], count: [1, h, w]) }
        var area: [Double] = []
        let cellArea = gt[1] * -gt[5]
        let wet = Float(Self.wetThreshold)
        for k in depthTimes.indices {
            let n = try snapshot(k).reduce(0) { $0 + ($1 > wet ? 1 : 0) }
            area.append(Double(n) * cellArea)
        }
        series.append(
            Series(
                name: "flood_snapshots", time: depthTimes,
                columns: [Field("flooded_area", "m2", area)]))
        for t in depthAt {
            guard let k = depthTimes.firstIndex(where: { abs($0 - t) < 0.5 }) else { continue }
            rasters.append(
                raster(
                    "depth_t\(Int(t.rounded()))s", try snapshot(k).map(Double.init), units: "m",
                    long: "water depth at \(ResultData.clock(t)) since start"))
        }
    }

    /// `1h30m00s`-style label of seconds.
    public static func clock(_ s: Double) -> String {
        let t = Int(s.rounded())
        return String(format: "%dh%02dm%02ds", t / 3600, t / 60 % 60, t % 60)
    }

    /// Per-entity reduction of a (time, entity) snapshot variable.
    static func reduce(_ v: [Double], entities n: Int, _ combine: (Double, Double) -> Double, initial: Double)
        -> [Double]
    {
        var out = [Double](repeating: initial, count: n)
        guard n > 0 else { return out }
        for t in 0..<(v.count / n) {
            for e in 0..<n { out[e] = combine(out[e], v[t * n + e]) }
        }
        return out
    }

    mutating func readTraffic(_ g: H5Group) throws {
        guard try g.exists("link_id") else { return }
        let ids = try g.dataset("link_id").readStrings()
        let m = ids.count
        var start: [Int] = [0]
        var x: [Double] = []
        var y: [Double] = []
        if let counts = try array(g, "link_node_count"), let nx = try array(g, "link_node_x"),
            let ny = try array(g, "link_node_y")
        {
            for c in counts { start.append(start.last! + Int(c)) }
            x = nx
            y = ny
        } else if let xf = try array(g, "link_x_from"), let yf = try array(g, "link_y_from"),
            let xt = try array(g, "link_x_to"), let yt = try array(g, "link_y_to")
        {
            for a in 0..<m {
                x += [xf[a], xt[a]]
                y += [yf[a], yt[a]]
                start.append(2 * (a + 1))
            }
        } else {
            return
        }
        let times = try array(g, "time") ?? []
        let dt = times.count > 1 ? times[1] - times[0] : 0
        var fields: [Field] = []
        for (name, field, units) in [
            ("link_length", "length", "m"), ("link_lanes", "lanes", "1"), ("link_capacity", "capacity", "h-1"),
            ("link_free_flow_time", "free_flow_time", "s"), ("total_entries", "flow", "1"),
        ] {
            if let v = try array(g, name) { fields.append(Field(field, units, v)) }
        }
        if let exits = try array(g, "exits"), let mtt = try array(g, "mean_travel_time") {
            var sum = [Double](repeating: 0, count: m)
            var n = sum
            for k in 0..<min(exits.count, mtt.count) where exits[k] > 0 && mtt[k].isFinite {
                sum[k % m] += exits[k] * mtt[k]
                n[k % m] += exits[k]
            }
            let tt = (0..<m).map { n[$0] > 0 ? sum[$0] / n[$0] : .nan }
            fields.append(Field("mean_travel_time", "s", tt))
            if let length = try array(g, "link_length") {
                fields.append(Field("mean_speed", "m s-1", (0..<m).map { length[$0] / tt[$0] }))
            }
            if let free = try array(g, "link_free_flow_time") {
                fields.append(Field("delay", "s", (0..<m).map { tt[$0] - free[$0] }))
            }
            // the city-wide mean speed at each output time: distance covered / time spent by the vehicles that left
            if let length = try array(g, "link_length"), let veh = try array(g, "vehicles") {
                var speed: [Double] = []
                var onLinks: [Double] = []
                for t in times.indices {
                    var dist = 0.0
                    var time = 0.0
                    var count = 0.0
                    for a in 0..<m {
                        let k = t * m + a
                        count += veh[k]
                        guard exits[k] > 0, mtt[k].isFinite else { continue }
                        dist += exits[k] * length[a]
                        time += exits[k] * mtt[k]
                    }
                    speed.append(time > 0 ? dist / time : .nan)
                    onLinks.append(count)
                }
                series.append(
                    Series(
                        name: "traffic_snapshots", time: times,
                        columns: [Field("mean_speed", "m s-1", speed), Field("vehicles_on_links", "1", onLinks)]))
            }
        }
        if let v = try array(g, "vehicles") {
            fields.append(Field("max_vehicles", "1", Self.reduce(v, entities: m, max, initial: 0)))
        }
        if let v = try array(g, "queue") {
            fields.append(Field("max_queue", "1", Self.reduce(v, entities: m, max, initial: 0)))
        }
        if let v = try array(g, "link_speed_limit") {
            let closed = Self.reduce(v, entities: m, { $0 + ($1 == 0 ? 1 : 0) }, initial: 0)
            fields.append(Field("hours_closed", "h", closed.map { $0 * dt / 3600 }))
        }
        if let v = try array(g, "link_depth") {
            fields.append(Field("max_water_depth", "m", Self.reduce(v, entities: m, max, initial: 0)))
        }
        layers.append(Layer(name: "links", kind: .line, ids: ids, x: x, y: y, start: start, fields: fields))
    }

    mutating func readEnergy(_ g: H5Group) throws {
        let times = try array(g, "time") ?? []
        let dt = times.count > 1 ? times[1] - times[0] : 0
        func points(_ dim: String, layer: String, _ fields: [Field], text: [(String, [String])] = []) throws {
            guard let x = try array(g, dim + "_x"), let y = try array(g, dim + "_y") else { return }
            let ids = try g.exists(dim + "_id") ? try g.dataset(dim + "_id").readStrings() : x.indices.map(String.init)
            layers.append(
                Layer(
                    name: layer, kind: .point, ids: ids, x: x, y: y, start: [], fields: fields,
                    text: text.map { (name: $0.0, values: $0.1) }))
        }
        let buses = (try array(g, "bus_x"))?.count ?? 0
        if buses > 0, var vm = try array(g, "vm_pu") {
            // snapshots before the first power flow (only the slack buses set) say nothing about supply: from the
            // first snapshot with most buses energised on
            let snapshots = vm.count / buses
            let first =
                (0..<snapshots).first { t in
                    (0..<buses).reduce(0) { $0 + (vm[t * buses + $1] > 0 ? 1 : 0) } * 2 > buses
                } ?? snapshots
            vm = Array(vm[(first * buses)...])
            let on = vm.map { $0 > 0 ? $0 : .nan }
            let low = Self.reduce(on, entities: buses, { $1.isNaN ? $0 : min($0, $1) }, initial: .infinity)
            let high = Self.reduce(on, entities: buses, { $1.isNaN ? $0 : max($0, $1) }, initial: 0)
            let off = Self.reduce(vm, entities: buses, { $0 + ($1 == 0 ? 1 : 0) }, initial: 0)
            try points(
                "bus", layer: "buses",
                [
                    Field("vm_min", "1", low.map { $0.isFinite ? $0 : .nan }), Field("vm_max", "1", high),
                    Field("hours_off", "h", off.map { $0 * dt / 3600 }),
                ])
        }
        let trafos = (try array(g, "trafo_x"))?.count ?? 0
        if trafos > 0, let load = try array(g, "trafo_loading") {
            let top = Self.reduce(load, entities: trafos, max, initial: 0)
            let sum = Self.reduce(load, entities: trafos, +, initial: 0)
            try points(
                "trafo", layer: "transformers",
                [
                    Field("loading_max", "percent", top),
                    Field("loading_mean", "percent", sum.map { times.isEmpty ? .nan : $0 / Double(times.count) }),
                ])
        }
        if let load = try array(g, "line_loading"), let counts = try array(g, "line_node_count"),
            let x = try array(g, "line_node_x"), let y = try array(g, "line_node_y")
        {
            let n = counts.count
            var start = [0]
            for c in counts { start.append(start.last! + Int(c)) }
            let top = Self.reduce(load, entities: n, max, initial: 0)
            let sum = Self.reduce(load, entities: n, +, initial: 0)
            let ids = try g.exists("line_id") ? try g.dataset("line_id").readStrings() : (0..<n).map(String.init)
            layers.append(
                Layer(
                    name: "lines", kind: .line, ids: ids, x: x, y: y, start: start,
                    fields: [
                        Field("loading_max", "percent", top),
                        Field("loading_mean", "percent", sum.map { times.isEmpty ? .nan : $0 / Double(times.count) }),
                    ]))
        }
        if let trips = try array(g, "asset_trips"), let outage = try array(g, "asset_outage") {
            let names = try g.exists("asset_id") ? try g.dataset("asset_id").readStrings() : []
            let table = try g.stringAttribute("table_energy-events.csv") ?? ""
            var events = [String](repeating: "", count: names.count)
            for line in table.split(separator: "\n").dropFirst() {
                let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                guard f.count >= 4, let t = Double(f[0]), let k = names.firstIndex(of: f[1]) else { continue }
                events[k] += (events[k].isEmpty ? "" : "; ") + "\(f[3]) at \(Self.clock(t))"
            }
            try points(
                "asset", layer: "substations",
                [Field("trips", "1", trips), Field("outage", "min", outage)], text: [("events", events)])
        }
        let buildings = (try array(g, "building_x"))?.count ?? 0
        if buildings > 0, let unserved = try array(g, "building_unserved") {
            var fields = [Field("unserved_energy", "kWh", unserved)]
            if let served = try array(g, "served") {
                let off = Self.reduce(served, entities: buildings, { $0 + ($1 == 0 ? 1 : 0) }, initial: 0)
                fields.append(Field("hours_off", "h", off.map { $0 * dt / 3600 }))
            }
            if let demand = try array(g, "building_demand") {
                fields.append(Field("peak_demand", "kW", Self.reduce(demand, entities: buildings, max, initial: 0)))
            }
            try points("building", layer: "buildings", fields)
        }
    }
}
