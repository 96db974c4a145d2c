import SimCore
import Yams

/// A YAML node with where it came from (file, line, column, key path).
public struct YNode {
    public let node: Node
    public let path: String
    let origins: YOrigins
    public init(node: Node, path: String, file: String) {
        self.init(node: node, path: path, origins: YOrigins(root: file))
    }
    init(node: Node, path: String, origins: YOrigins) {
        self.node = node
        self.path = path
        self.origins = origins
    }
    /// The file this node was written in (a merged tree's nodes come from several files).
    public var file: String { origins.file(at: path) }
    public var location: SourceLocation {
        SourceLocation(file: file, line: node.mark?.line, column: node.mark?.column)
    }
    func child(_ key: String, _ n: Node) -> YNode {
        YNode(node: n, path: path.isEmpty ? key : path + "." + key, origins: origins)
    }
    func item(_ k: Int, _ n: Node) -> YNode { YNode(node: n, path: path + "[\(k)]", origins: origins) }
    /// The node at a dotted key path below this one, or the nearest written parent.
    func located(_ keyPath: String) -> YNode {
        var n = self
        for part in keyPath.split(separator: ".") {
            guard case .mapping(let m) = n.node, let e = m.first(where: { $0.key.string == String(part) }) else {
                break
            }
            n = n.child(String(part), e.value)
        }
        return n
    }
}

/// The files the nodes of a merged tree came from, by key path: a study's overrides spliced into its base job.
/// A node belongs to the file of its longest recorded path prefix, else to the root's file.
final class YOrigins: @unchecked Sendable {
    let root: String
    private(set) var byPath: [String: String] = [:]
    init(root: String, byPath: [String: String] = [:]) {
        self.root = root
        self.byPath = byPath
    }
    func file(at path: String) -> String {
        if byPath.isEmpty { return root }
        var p = Substring(path)
        while !p.isEmpty {
            if let f = byPath[String(p)] { return f }
            guard let cut = p.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            p = p[..<cut]
        }
        return root
    }
}

/// Reads YAML into typed values, collecting every problem (with location, key path, fix and "did you mean")
/// instead of stopping at the first.
public final class YAMLReader {
    public private(set) var diagnostics: [Diagnostic] = []
    public let file: String
    let codePrefix: String

    public init(file: String, codePrefix: String = "E-JOB") {
        self.file = file
        self.codePrefix = codePrefix
    }

    public func report(_ at: YNode, _ code: Int, _ message: String, hint: String? = nil) {
        diagnostics.append(
            Diagnostic(at.location, code: "\(codePrefix)-\(pad3(code))", keyPath: at.path, message: message, hint: hint)
        )
    }
    public func report(file: String, _ code: Int, _ message: String, hint: String? = nil) {
        diagnostics.append(
            Diagnostic(SourceLocation(file: file), code: "\(codePrefix)-\(pad3(code))", message: message, hint: hint))
    }

    /// Takes over problems another reader found (a study's base job).
    public func absorb(_ more: [Diagnostic]) { diagnostics += more }

    /// Parses text; a syntax error becomes a located diagnostic.
    public func parse(_ text: String) -> YNode? {
        do {
            guard let n = try Yams.compose(yaml: text) else {
                report(file: file, 1, "the file is empty", hint: "a job starts with 'schema: 1'")
                return nil
            }
            return YNode(node: n, path: "", file: file)
        } catch let e as YamlError {
            var line: Int?
            var col: Int?
            var problem = "\(e)"
            switch e {
            case .scanner(let ctx, let p, let mark, _):
                line = mark.line
                col = mark.column
                problem = (ctx.map { $0.text + " " } ?? "") + p
            case .parser(let ctx, let p, let mark, _):
                line = mark.line
                col = mark.column
                problem = (ctx.map { $0.text + " " } ?? "") + p
            default: break
            }
            diagnostics.append(
                Diagnostic(
                    SourceLocation(file: file, line: line, column: col), code: "\(codePrefix)-002",
                    message: "YAML syntax error: \(problem)",
                    hint: "check indentation and that every 'key: value' has a space after the colon"))
            return nil
        } catch {
            report(file: file, 2, "YAML syntax error: \(error)")
            return nil
        }
    }

    /// The entries of a mapping; unknown keys are reported with the nearest allowed name, missing required keys too.
    public func mapping(_ n: YNode, allowed: [String], required: [String] = [], what: String? = nil) -> [String: YNode]?
    {
        guard case .mapping(let m) = n.node else {
            report(
                n, 3,
                "expected a mapping of keys (\(allowed.prefix(6).joined(separator: ", "))\(allowed.count > 6 ? ", ..." : "")), found \(kind(n.node))"
            )
            return nil
        }
        var out: [String: YNode] = [:]
        for (k, v) in m {
            guard case .scalar(let ks) = k else {
                report(n, 4, "keys must be plain names")
                continue
            }
            let key = ks.string
            let child = n.child(key, v)
            if !allowed.contains(key) {
                let keyNode = YNode(node: k, path: child.path, origins: n.origins)
                let s = DidYouMean.suggest(key, from: allowed)
                report(
                    keyNode, 5, "unknown key '\(key)'\(what.map { " in \($0)" } ?? "")",
                    hint: s.map { "did you mean '\($0)'?" } ?? "allowed keys: \(allowed.joined(separator: ", "))")
                continue
            }
            if out[key] != nil {
                report(keyNode(k, child), 6, "key '\(key)' appears twice", hint: "remove one of them")
                continue
            }
            out[key] = child
        }
        for r in required where out[r] == nil {
            report(n, 7, "missing required key '\(r)'\(what.map { " in \($0)" } ?? "")")
        }
        return out
    }
    private func keyNode(_ k: Node, _ child: YNode) -> YNode {
        YNode(node: k, path: child.path, origins: child.origins)
    }

    public func sequence(_ n: YNode) -> [YNode]? {
        guard case .sequence(let s) = n.node else {
            report(n, 8, "expected a list, found \(kind(n.node))")
            return nil
        }
        return s.enumerated().map { n.item($0.offset, $0.element) }
    }

    public func scalar(_ n: YNode) -> String? {
        guard case .scalar(let s) = n.node else {
            report(n, 9, "expected a single value, found \(kind(n.node))")
            return nil
        }
        return s.string
    }

    public func string(_ n: YNode?) -> String? { n.flatMap { scalar($0) } }

    public func double(
        _ n: YNode?, min lo: Double? = nil, max hi: Double? = nil, exclusiveMin: Bool = false, units: String = ""
    ) -> Double? {
        guard let n, let s = scalar(n) else { return nil }
        guard let v = Double(s), v.isFinite else {
            report(n, 10, "expected a number\(units.isEmpty ? "" : " in \(units)"), got '\(s)'")
            return nil
        }
        if let lo, exclusiveMin ? !(v > lo) : !(v >= lo) {
            report(
                n, 11, "must be \(exclusiveMin ? ">" : ">=") \(fmt(lo))\(units.isEmpty ? "" : " \(units)") (got \(s))")
            return nil
        }
        if let hi, v > hi {
            report(n, 11, "must be <= \(fmt(hi))\(units.isEmpty ? "" : " \(units)") (got \(s))")
            return nil
        }
        return v
    }

    public func int(_ n: YNode?, min lo: Int? = nil, max hi: Int? = nil) -> Int? {
        guard let n, let s = scalar(n) else { return nil }
        guard let v = Int(s) else {
            report(n, 12, "expected a whole number, got '\(s)'")
            return nil
        }
        if let lo, v < lo {
            report(n, 11, "must be >= \(lo) (got \(v))")
            return nil
        }
        if let hi, v > hi {
            report(n, 11, "must be <= \(hi) (got \(v))")
            return nil
        }
        return v
    }

    public func duration(_ n: YNode?, positive: Bool = true) -> SimDuration? {
        guard let n, let s = scalar(n) else { return nil }
        guard let d = SimDuration(parsing: s) else {
            if let ms = SimDuration.parsedMilliseconds(s), ms > Double(SimDuration.maximum.milliseconds) {
                report(n, 11, "'\(s)' is longer than the 100 years a job may span")
            } else if SimDuration.parsedMilliseconds(s) != nil {
                report(n, 13, "'\(s)' is not a whole number of milliseconds", hint: "durations resolve to 1 ms")
            } else {
                report(
                    n, 13, "'\(s)' is not a duration", hint: "write a number with a unit: 250ms, 30s, 15min, 6h, 2d")
            }
            return nil
        }
        if positive && d.milliseconds <= 0 {
            report(n, 11, "must be longer than 0 (got \(s))")
            return nil
        }
        return d
    }

    public func bool(_ n: YNode?) -> Bool? {
        guard let n, let s = scalar(n) else { return nil }
        switch s.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            report(n, 15, "expected true or false, got '\(s)'")
            return nil
        }
    }

    public func choice(_ n: YNode?, _ options: [String]) -> String? {
        guard let n, let s = scalar(n) else { return nil }
        guard options.contains(s) else {
            let hint =
                DidYouMean.suggest(s, from: options).map { "did you mean '\($0)'?" }
                ?? "choose one of: \(options.joined(separator: ", "))"
            report(n, 14, "'\(s)' is not one of \(options.joined(separator: ", "))", hint: hint)
            return nil
        }
        return s
    }

    func kind(_ n: Node) -> String {
        switch n {
        case .scalar(let s): "the value '\(s.string)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }
}

func pad3(_ n: Int) -> String { n < 10 ? "00\(n)" : n < 100 ? "0\(n)" : "\(n)" }
func fmt(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v) }
