import EnergyModel
import Foundation
import SimCore

/// Readers of distribution grids into `Grid`: the reference format of ../shared/data/energy (`network.json`:
/// element tables as arrays of objects, bus references by `id`) and pandapower's own JSON (`pandapowerNet` with
/// DataFrames in "split" orientation). Both go through one table reader, so both give the same located errors
/// (`file: error[E-GRID-…] line[12].r_ohm: …`), reject unknown columns with a suggestion, and reject settings the
/// solver does not model (ZIP loads, non-ratio tap changers, switch impedances) instead of ignoring them.
public enum GridReader {
    /// One element table: rows of column → value, plus each row's id and key path for messages.
    struct Table {
        var name: String
        var rows: [[String: Any]]
        var ids: [Int]
    }

    static let columns: [String: (required: [String], optional: [String])] = [
        "bus": (
            ["vn_kv"],
            [
                "id", "name", "in_service", "type", "zone", "geo", "max_vm_pu", "min_vm_pu", "subnet", "voltLvl", "x",
                "y",
            ]
        ),
        "line": (
            ["from_bus", "to_bus", "max_i_ka"],
            [
                "id", "name", "length_km", "r_ohm_per_km", "x_ohm_per_km", "c_nf_per_km", "g_us_per_km", "r_ohm",
                "x_ohm", "b_us", "g_us",
                "parallel", "df", "in_service", "std_type", "type", "geo", "max_loading_percent", "subnet", "voltLvl",
                "alpha", "temperature_degree_celsius", "endtemp_degree",
            ]
        ),
        "trafo": (
            [
                "hv_bus", "lv_bus", "sn_mva", "vn_hv_kv", "vn_lv_kv", "vk_percent", "vkr_percent", "pfe_kw",
                "i0_percent",
            ],
            [
                "id", "name", "shift_degree", "tap_side", "tap_neutral", "tap_min", "tap_max", "tap_step_percent",
                "tap_step_degree", "tap_pos",
                "tap_changer_type", "tap_phase_shifter", "parallel", "df", "in_service", "std_type",
                "max_loading_percent", "subnet", "voltLvl",
                "autoTapSide", "autoTap", "substation", "vector_group", "oltc", "tap2_pos", "tap_dependency_table",
                "id_characteristic_table",
                "vk0_percent", "vkr0_percent", "mag0_percent", "mag0_rx", "si0_hv_partial",
                "leakage_resistance_ratio_hv", "leakage_reactance_ratio_hv",
            ]
        ),
        "load": (
            ["bus", "p_mw"],
            [
                "id", "name", "q_mvar", "const_z_p_percent", "const_i_p_percent", "const_z_q_percent",
                "const_i_q_percent",
                "const_z_percent", "const_i_percent", "scaling", "in_service", "profile", "type", "sn_mva",
                "controllable", "subnet", "voltLvl",
            ] + opfAndShortCircuit
        ),
        "sgen": (
            ["bus", "p_mw"],
            [
                "id", "name", "q_mvar", "scaling", "in_service", "profile", "type", "sn_mva", "controllable",
                "current_source",
                "k", "rx", "generator_type", "phase", "subnet", "voltLvl", "reactive_capability_curve",
                "id_q_capability_curve_characteristic",
                "id_q_capability_characteristic", "curve_style",
            ] + opfAndShortCircuit
        ),
        "ext_grid": (
            ["bus"],
            [
                "id", "name", "vm_pu", "va_degree", "in_service", "slack_weight", "subnet", "voltLvl", "profile",
                "phys_type", "controllable", "type",
            ] + opfAndShortCircuit
        ),
        "switch": (["bus", "element", "et", "closed"], ["id", "name", "z_ohm", "type", "in_ka", "subnet"]),
    ]
    /// Optimal-power-flow limits and short-circuit data: not used by a power flow, accepted and not read.
    static let opfAndShortCircuit = [
        "max_p_mw", "min_p_mw", "max_q_mvar", "min_q_mvar", "s_sc_max_mva", "s_sc_min_mva", "rx_max", "rx_min",
        "r0x0_max", "x0x_max",
    ]
    /// Tables of pandapower nets that must be empty here (assets this model has no equations for).
    static let unsupported = [
        "gen", "trafo3w", "impedance", "dcline", "ward", "xward", "shunt", "storage", "motor", "asymmetric_load",
        "asymmetric_sgen", "svc", "tcsc", "ssc", "vsc",
    ]

    /// An element id of a JSON table: a whole number of magnitude below 2^53, or -1 (which the bus and element
    /// look-ups report as missing) — never a clamped or wrapped integer.
    static func elementID(_ v: Any?) -> Int {
        guard let n = v as? NSNumber, let i = Int(exactly: n.doubleValue), abs(i) < 1 << 53 else {
            return -1
        }
        return i
    }

    /// `dir/network.json` in the reference format.
    public static func readReference(_ dir: String) throws -> Grid {
        let path = dir.hasSuffix(".json") ? dir : dir + "/network.json"
        return try readReference(data: Data(try InputFile.read(path, what: "the grid file")), path: path)
    }

    /// A reference-format grid from its JSON text (read from `path`, for messages).
    public static func readReference(data: Data, path: String) throws -> Grid {
        let dir = (path as NSString).deletingLastPathComponent
        let obj = try parseJSON(data, path: path)
        let topKeys = [
            "name", "source", "f_hz", "sn_mva", "units", "bus", "line", "trafo", "load", "sgen", "ext_grid", "switch",
        ]
        var problems: [Diagnostic] = []
        for k in obj.keys.sorted() where !topKeys.contains(k) {
            let plain = InputToken.isPlain(k)
            problems.append(
                Diagnostic(
                    SourceLocation(file: path), code: "E-GRID-012", keyPath: plain ? k : nil,
                    message: plain ? "unknown key" : "unknown key \(InputToken.quote(k))",
                    hint: (plain ? DidYouMean.suggest(k, from: topKeys).map { "did you mean '\($0)'?" } : nil)
                        ?? "the reference format has: \(topKeys.joined(separator: ", "))"))
        }
        var tables: [String: Table] = [:]
        for t in ["bus", "line", "trafo", "load", "sgen", "ext_grid", "switch"] {
            guard let v = obj[t] else {
                if t == "bus" || t == "ext_grid" {
                    problems.append(
                        Diagnostic(
                            SourceLocation(file: path), code: "E-GRID-013", keyPath: t,
                            message: "table '\(t)' is missing"))
                }
                tables[t] = Table(name: t, rows: [], ids: [])
                continue
            }
            guard let rows = v as? [[String: Any]] else {
                problems.append(
                    Diagnostic(
                        SourceLocation(file: path), code: "E-GRID-014", keyPath: t,
                        message: "must be an array of objects"))
                continue
            }
            tables[t] = Table(
                name: t, rows: rows, ids: rows.enumerated().map { (k, r) in r["id"] == nil ? k : elementID(r["id"]) })
        }
        if !problems.isEmpty { throw InputError(problems) }
        return try build(
            path: path, name: obj["name"] as? String ?? URL(fileURLWithPath: dir).lastPathComponent,
            snMVA: obj["sn_mva"], fHz: obj["f_hz"], tables: tables)
    }

    /// A pandapower net saved with `pandapower.to_json` (DataFrames in "split" orientation).
    public static func readPandapower(_ path: String) throws -> Grid {
        let obj = try loadJSON(path)
        guard let net = (obj["_object"] as? [String: Any]) ?? (obj["bus"] != nil ? obj : nil) else {
            throw InputError(
                SourceLocation(file: path), code: "E-GRID-015", message: "not a pandapower net (no '_object')",
                hint: "save it with pandapower.to_json(net, path)")
        }
        var tables: [String: Table] = [:]
        var problems: [Diagnostic] = []
        func frame(_ key: String) -> (columns: [String], index: [Int], data: [[Any]])? {
            guard let f = net[key] as? [String: Any] else { return nil }
            var inner: Any? = f["_object"]
            if let s = inner as? String { inner = try? JSONSerialization.jsonObject(with: Data(s.utf8)) }
            guard let o = inner as? [String: Any], let cols = o["columns"] as? [String],
                let data = o["data"] as? [[Any]]
            else {
                problems.append(
                    Diagnostic(
                        SourceLocation(file: path), code: "E-GRID-016", keyPath: key,
                        message: "not a DataFrame in 'split' orientation"))
                return nil
            }
            let index = (o["index"] as? [Any])?.map { elementID($0) } ?? Array(0..<data.count)
            return (cols, index, data)
        }
        for t in unsupported {
            if let f = frame(t), !f.data.isEmpty {
                problems.append(
                    Diagnostic(
                        SourceLocation(file: path), code: "E-GRID-017", keyPath: t,
                        message: "\(f.data.count) '\(t)' element(s): not modelled by this solver",
                        hint: "express them as loads/sgens or remove them"))
            }
        }
        for t in ["bus", "line", "trafo", "load", "sgen", "ext_grid", "switch"] {
            guard let f = frame(t) else {
                tables[t] = Table(name: t, rows: [], ids: [])
                continue
            }
            var rows: [[String: Any]] = []
            for (k, r) in f.data.enumerated() {
                var row: [String: Any] = [:]
                for (c, name) in f.columns.enumerated() where c < r.count && !(r[c] is NSNull) { row[name] = r[c] }
                row["id"] = f.index[k]
                rows.append(row)
            }
            tables[t] = Table(name: t, rows: rows, ids: f.index)
        }
        if !problems.isEmpty { throw InputError(problems) }
        return try build(
            path: path,
            name: (net["name"] as? String).flatMap { $0.isEmpty ? nil : $0 }
                ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent,
            snMVA: net["sn_mva"], fHz: net["f_hz"], tables: tables)
    }

    static func loadJSON(_ path: String) throws -> [String: Any] {
        try parseJSON(Data(try InputFile.read(path, what: "the grid file")), path: path)
    }

    static func parseJSON(_ data: Data, path: String) throws -> [String: Any] {
        do {
            guard let o = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw InputError(
                    SourceLocation(file: path), code: "E-GRID-018", message: "the top level must be a JSON object")
            }
            return o
        } catch let e as InputError { throw e } catch {
            throw InputError(
                SourceLocation(file: path), code: "E-GRID-019",
                message: "not valid JSON",
                hint: "the reference format is one JSON object of element tables; pandapower writes it with to_json"
            )
        }
    }

    static func build(path: String, name: String, snMVA: Any?, fHz: Any?, tables: [String: Table]) throws -> Grid {
        var problems: [Diagnostic] = []
        let here = SourceLocation(file: path)
        func fail(_ code: String, _ key: String, _ msg: String, hint: String? = nil) {
            problems.append(Diagnostic(here, code: code, keyPath: key, message: msg, hint: hint))
        }
        guard let sn = (snMVA as? NSNumber)?.doubleValue, sn > 0, sn.isFinite else {
            throw InputError(
                here, code: "E-GRID-002", keyPath: "sn_mva", message: "no positive 'sn_mva' (system base power, MVA)")
        }
        var grid = Grid(name: name, snMVA: sn, fHz: (fHz as? NSNumber)?.doubleValue ?? 50)
        // column checks
        for (t, table) in tables {
            let (req, opt) = columns[t]!
            let known = req + opt
            var reported = Set<String>()
            for (k, row) in table.rows.enumerated() {
                for key in row.keys where !known.contains(key) && !reported.contains(key) {
                    reported.insert(key)
                    let plain = InputToken.isPlain(key)
                    fail(
                        "E-GRID-012", "\(t)[\(k)]" + (plain ? ".\(key)" : ""),
                        plain ? "unknown column" : "unknown column (\(InputToken.quote(key)))",
                        hint: plain ? DidYouMean.suggest(key, from: known).map { "did you mean '\($0)'?" } : nil)
                }
                for key in req where row[key] == nil {
                    fail("E-GRID-033", "\(t)[\(k)].\(key)", "required value is missing")
                }
            }
        }
        if !problems.isEmpty { throw InputError(problems) }
        func num(_ t: String, _ k: Int, _ row: [String: Any], _ key: String, _ def: Double? = nil) -> Double {
            guard let v = row[key] else {
                if let d = def { return d }
                fail("E-GRID-033", "\(t)[\(k)].\(key)", "required value is missing")
                return .nan
            }
            if v is NSNull, let d = def { return d }
            guard let n = v as? NSNumber, n.doubleValue.isFinite else {
                fail("E-GRID-007", "\(t)[\(k)].\(key)", "\(InputToken.quote("\(v)")) is not a finite number")
                return .nan
            }
            return n.doubleValue
        }
        func flag(_ t: String, _ k: Int, _ row: [String: Any], _ key: String) -> Bool {
            guard let v = row[key], !(v is NSNull) else { return true }
            guard let b = v as? Bool else {
                fail("E-GRID-034", "\(t)[\(k)].\(key)", "\(InputToken.quote("\(v)")) is not true/false")
                return true
            }
            return b
        }
        func text(_ row: [String: Any], _ key: String) -> String? {
            guard let v = row[key], !(v is NSNull) else { return nil }
            return v as? String ?? "\(v)"
        }
        // buses, by id
        let busTable = tables["bus"]!
        var busIndex: [Int: Int] = [:]
        for (k, row) in busTable.rows.enumerated() {
            let id = busTable.ids[k]
            if id == -1 && row["id"] != nil {
                fail("E-GRID-035", "bus[\(k)].id", "a bus id must be a whole number (of magnitude below 2^53)")
                continue
            }
            if busIndex[id] != nil {
                fail("E-GRID-035", "bus[\(k)].id", "bus id \(id) appears twice")
                continue
            }
            busIndex[id] = grid.buses.count
            grid.buses.append(
                .init(
                    id: id, name: text(row, "name") ?? "bus \(id)", vnKV: num("bus", k, row, "vn_kv"),
                    inService: flag("bus", k, row, "in_service")))
        }
        let sortedIds = busIndex.keys.sorted()
        func bus(_ t: String, _ k: Int, _ row: [String: Any], _ key: String) -> Int {
            let v = num(t, k, row, key)
            guard let id = Int(exactly: v), let b = busIndex[id] else {
                if let id = Int(exactly: v), abs(id) < 1 << 53 {
                    let near = sortedIds.min { abs($0 - id) < abs($1 - id) }
                    fail(
                        "E-GRID-020", "\(t)[\(k)].\(key)", "bus \(id) does not exist",
                        hint: near.map { "the nearest bus id is \($0)" })
                } else if v.isFinite {
                    fail("E-GRID-020", "\(t)[\(k)].\(key)", "a bus id must be a whole number (got \(v))")
                }
                return -1
            }
            return b
        }
        func ids(_ t: String) -> [Int: Int] {
            var out: [Int: Int] = [:]
            for (k, id) in tables[t]!.ids.enumerated() {
                if out[id] != nil {
                    fail("E-GRID-035", "\(t)[\(k)].id", "\(t) id \(id) appears twice")
                } else {
                    out[id] = k
                }
            }
            return out
        }
        let fHzV = grid.fHz
        for (k, row) in tables["line"]!.rows.enumerated() {
            let len = num("line", k, row, "length_km", 1)
            func total(_ key: String, _ perKm: String, _ scale: Double = 1) -> Double {
                if row[key] != nil { return num("line", k, row, key) }
                return num("line", k, row, perKm, 0) * len * scale
            }
            let b =
                row["b_us"] != nil
                ? num("line", k, row, "b_us") : num("line", k, row, "c_nf_per_km", 0) * len * 2 * .pi * fHzV * 1e-3
            if len <= 0 && row["r_ohm"] == nil { fail("E-GRID-036", "line[\(k)].length_km", "length must be positive") }
            let par = num("line", k, row, "parallel", 1)
            let df = num("line", k, row, "df", 1)
            if par != par.rounded() || par < 1 {
                fail("E-GRID-026", "line[\(k)].parallel", "must be a whole number ≥ 1")
            }
            if !(df > 0 && df <= 1) { fail("E-GRID-037", "line[\(k)].df", "derating factor must be in (0, 1]") }
            grid.lines.append(
                .init(
                    name: text(row, "name") ?? "line \(tables["line"]!.ids[k])",
                    fromBus: bus("line", k, row, "from_bus"), toBus: bus("line", k, row, "to_bus"),
                    rOhm: total("r_ohm", "r_ohm_per_km"), xOhm: total("x_ohm", "x_ohm_per_km"), bMicroS: b,
                    gMicroS: total("g_us", "g_us_per_km"),
                    parallel: Int(exactly: par).map { max(1, min($0, 1000)) } ?? 1,
                    maxIkA: num("line", k, row, "max_i_ka") * df, inService: flag("line", k, row, "in_service")))
        }
        for (k, row) in tables["trafo"]!.rows.enumerated() {
            var ratio = 1.0
            let side = text(row, "tap_side") ?? "hv"
            if side != "hv" && side != "lv" {
                fail("E-GRID-038", "trafo[\(k)].tap_side", "\(InputToken.quote(side)) is not 'hv' or 'lv'")
            }
            switch text(row, "tap_changer_type") {
            case nil:
                break  // pandapower 3: no changer type → nominal ratio (tap_pos not applied)
            case "Ratio"?:
                let pos = num("trafo", k, row, "tap_pos", 0)
                let neutral = num("trafo", k, row, "tap_neutral", 0)
                let step = num("trafo", k, row, "tap_step_percent", 0)
                if num("trafo", k, row, "tap_step_degree", 0) != 0 {
                    fail(
                        "E-GRID-039", "trafo[\(k)].tap_step_degree",
                        "a ratio tap changer with an angle step is not modelled")
                }
                ratio = 1 + (pos - neutral) * step / 100
            case let other?:
                fail(
                    "E-GRID-039", "trafo[\(k)].tap_changer_type",
                    "\(InputToken.quote(other)) tap changers are not modelled",
                    hint: "use 'Ratio' or leave it empty")
            }
            let par = num("trafo", k, row, "parallel", 1)
            let df = num("trafo", k, row, "df", 1)
            if par != par.rounded() || par < 1 {
                fail("E-GRID-026", "trafo[\(k)].parallel", "must be a whole number ≥ 1")
            }
            if !(df > 0 && df <= 1) { fail("E-GRID-037", "trafo[\(k)].df", "derating factor must be in (0, 1]") }
            grid.trafos.append(
                .init(
                    name: text(row, "name") ?? "trafo \(tables["trafo"]!.ids[k])",
                    hvBus: bus("trafo", k, row, "hv_bus"), lvBus: bus("trafo", k, row, "lv_bus"),
                    snMVA: num("trafo", k, row, "sn_mva"), vnHVkV: num("trafo", k, row, "vn_hv_kv"),
                    vnLVkV: num("trafo", k, row, "vn_lv_kv"),
                    vkPercent: num("trafo", k, row, "vk_percent"), vkrPercent: num("trafo", k, row, "vkr_percent"),
                    pfeKW: num("trafo", k, row, "pfe_kw"), i0Percent: num("trafo", k, row, "i0_percent"),
                    shiftDeg: num("trafo", k, row, "shift_degree", 0), tapSide: side == "lv" ? .lv : .hv,
                    tapRatio: ratio,
                    parallel: Int(exactly: par).map { max(1, min($0, 1000)) } ?? 1,
                    inService: flag("trafo", k, row, "in_service")))
            grid.trafos[grid.trafos.count - 1].ratingFactor = df
        }
        for t in ["load", "sgen"] {
            for (k, row) in tables[t]!.rows.enumerated() {
                for z in [
                    "const_z_p_percent", "const_i_p_percent", "const_z_q_percent", "const_i_q_percent",
                    "const_z_percent", "const_i_percent",
                ] where num(t, k, row, z, 0) != 0 {
                    fail(
                        "E-GRID-040", "\(t)[\(k)].\(z)",
                        "voltage-dependent (ZIP) loads are not modelled: loads are constant power", hint: "set it to 0")
                }
                let inj = Grid.Injection(
                    name: text(row, "name") ?? "\(t) \(tables[t]!.ids[k])", bus: bus(t, k, row, "bus"),
                    pMW: num(t, k, row, "p_mw"),
                    qMvar: num(t, k, row, "q_mvar", 0), scaling: num(t, k, row, "scaling", 1),
                    inService: flag(t, k, row, "in_service"),
                    profile: text(row, "profile"))
                if t == "load" { grid.loads.append(inj) } else { grid.sgens.append(inj) }
            }
        }
        for (k, row) in tables["ext_grid"]!.rows.enumerated() {
            grid.extGrids.append(
                .init(
                    name: text(row, "name") ?? "ext_grid \(k)", bus: bus("ext_grid", k, row, "bus"),
                    vmPU: num("ext_grid", k, row, "vm_pu", 1),
                    vaDeg: num("ext_grid", k, row, "va_degree", 0), inService: flag("ext_grid", k, row, "in_service")))
        }
        let lineIds = ids("line")
        let trafoIds = ids("trafo")
        for (k, row) in tables["switch"]!.rows.enumerated() {
            guard let et = text(row, "et"), let kind = Grid.Switch.Kind(rawValue: et) else {
                fail(
                    "E-GRID-041", "switch[\(k)].et",
                    "element type \(InputToken.quote(text(row, "et") ?? "")) is not 'b', 'l' or 't'")
                continue
            }
            let closed = flag("switch", k, row, "closed")
            if closed && kind == .bus && num("switch", k, row, "z_ohm", 0) != 0 {
                fail(
                    "E-GRID-042", "switch[\(k)].z_ohm", "a switch impedance is not modelled",
                    hint: "model it as a short line, or set z_ohm to 0")
            }
            let e = Int(exactly: num("switch", k, row, "element")) ?? Int.min
            var element = -1
            switch kind {
            case .bus: element = busIndex[e] ?? -1
            case .line: element = lineIds[e] ?? -1
            case .trafo: element = trafoIds[e] ?? -1
            }
            if element < 0 {
                fail(
                    "E-GRID-023", "switch[\(k)].element",
                    "\(kind == .bus ? "bus" : kind == .line ? "line" : "transformer") \(e) does not exist")
                continue
            }
            grid.switches.append(
                .init(
                    name: text(row, "name") ?? "switch \(k)", bus: bus("switch", k, row, "bus"), element: element,
                    kind: kind, closed: closed))
        }
        if !problems.isEmpty { throw InputError(problems) }
        return grid
    }
}
