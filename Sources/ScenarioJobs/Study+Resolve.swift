import Foundation
import SimCore
import Yams

/// Builds each alternative's job tree: the base job's YAML with the alternative's ancestors' and its own `changes:`
/// appended and `set:` key paths overridden, then a sweep point's values. Spliced nodes keep their marks and are
/// recorded as written in the study file, so a problem in them is reported there, and one in the rest of the tree
/// in the base job.
struct StudyResolver {
    struct Spec {
        var name: String
        var node: YNode?
        var extends: YNode?
        var changes: [YNode] = []
        var set: [(path: String, key: YNode, value: YNode)] = []
        init(name: String, node: YNode?) {
            self.name = name
            self.node = node
        }
    }

    struct Axis {
        var path: String
        var key: YNode
        var values: [YNode]
    }

    struct Resolved {
        var name: String
        var comparedWith: String?
        var root: Node
        var origins: [String: String]
        var baseFile: String
        var studyFile: String
        var configuration: [String: String]

        /// The complete job tree of this alternative's run with `seed`.
        func tree(seed: UInt64) -> YNode {
            var node = root
            var byPath = origins
            if case .mapping(var m) = node {
                StudyResolver.put(&m, "name", .scalar(.init(name)))
                StudyResolver.put(&m, "seed", .scalar(.init(String(seed))))
                node = .mapping(m)
                byPath["name"] = studyFile
                byPath["seed"] = studyFile
            }
            return YNode(node: node, path: "", origins: YOrigins(root: baseFile, byPath: byPath))
        }
    }

    let study: String
    let base: YNode
    let specs: [Spec]
    let reader: YAMLReader

    init(study: String, base: YNode, specs: [Spec], reader: YAMLReader) {
        self.study = study
        self.base = base
        self.specs = specs
        self.reader = reader
    }

    func resolve(sweep: [Axis]) -> [Resolved] {
        guard case .mapping = base.node else {
            reader.report(file: base.file, 3, "the base job is not a mapping of keys")
            return []
        }
        var out: [Resolved] = []
        let points = Self.points(sweep)
        let suffixes = points.map { suffix($0, sweep) }
        if Set(suffixes).count < suffixes.count, let first = sweep.first {
            reader.report(
                first.key, 37, "two sweep points get the same name",
                hint: "use values that differ in letters or digits")
        }
        for spec in specs {
            guard let chain = chain(of: spec) else { continue }
            for (point, sfx) in zip(points, suffixes) {
                var root = base.node
                var origins: [String: String] = [:]
                for s in chain {
                    appendChanges(s.changes, to: &root, origins: &origins)
                    for entry in s.set { set(entry.path, entry.key, entry.value, in: &root, origins: &origins) }
                }
                for (axis, value) in zip(sweep, point) {
                    set(axis.path, axis.key, axis.values[value], in: &root, origins: &origins)
                }
                let name = spec.name + sfx
                out.append(
                    Resolved(
                        name: name, comparedWith: spec.name == "base" ? nil : "base" + sfx, root: root,
                        origins: origins, baseFile: base.file, studyFile: study,
                        configuration: Self.flatten(root).filter { !["name", "seed", "description"].contains($0.key) }
                    ))
            }
        }
        if Set(out.map(\.name)).count < out.count {
            reader.report(
                file: study, 37, "two runs of the study get the same name",
                hint: "an alternative's name may not equal another's with a sweep point appended")
        }
        return out
    }

    /// The alternative and its ancestors, oldest first; nil (and a located error) for an unknown or cyclic parent.
    func chain(of spec: Spec) -> [Spec]? {
        var out = [spec]
        var seen = [spec.name]
        var current = spec
        while let ext = current.extends {
            guard let parentName = reader.string(ext) else { return nil }
            guard let parent = specs.first(where: { $0.name == parentName }) else {
                let hint = DidYouMean.suggest(parentName, from: specs.map(\.name)).map { "did you mean '\($0)'?" }
                reader.report(
                    ext, 38, "'\(spec.name)' extends '\(parentName)', which is not an alternative of this study",
                    hint: hint ?? "alternatives: \(specs.map(\.name).joined(separator: ", "))")
                return nil
            }
            guard !seen.contains(parentName) else {
                reader.report(
                    ext, 39,
                    "alternatives extend each other in a cycle: \((seen + [parentName]).joined(separator: " → "))",
                    hint: "let one of them extend 'base' or nothing")
                return nil
            }
            seen.append(parentName)
            out.insert(parent, at: 0)
            current = parent
        }
        return out
    }

    func appendChanges(_ items: [YNode], to root: inout Node, origins: inout [String: String]) {
        guard !items.isEmpty, case .mapping(var m) = root else { return }
        var list: [Node] = []
        if let existing = m["changes"] {
            guard case .sequence(let s) = existing else {
                reader.report(
                    base.child("changes", existing), 8, "the base job's 'changes' is not a list",
                    hint: "a study appends its alternatives' changes to it")
                return
            }
            list = Array(s)
        } else {
            origins["changes"] = study
        }
        for item in items {
            origins["changes[\(list.count)]"] = study
            list.append(item.node)
        }
        Self.put(&m, "changes", .sequence(.init(list)))
        root = .mapping(m)
    }

    /// Overrides the value at a key path (`energy.ev_share`), creating the mappings on the way; `null` removes it.
    func set(_ path: String, _ key: YNode, _ value: YNode, in root: inout Node, origins: inout [String: String]) {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !parts.contains(where: { $0.isEmpty || $0.contains("[") || $0.contains("]") }) else {
            reader.report(
                key, 40, "'\(path)' is not a key path",
                hint: "name mapping keys joined by dots, e.g. energy.ev_share; list items change through 'changes:'")
            return
        }
        guard !Study.reservedPaths.contains(path) else {
            reader.report(key, 41, "a study sets '\(path)' itself", hint: "alternatives and seeds name the runs")
            return
        }
        let remove = value.node.scalar.map { $0.style == .plain && ["null", "~"].contains($0.string) } ?? false
        var problem: String?
        Self.set(parts[...], prefix: "", value.node, keyMark: key.node.mark, remove: remove, in: &root) { p, created in
            if created { origins[p] = study }
        } failed: {
            problem = $0
        }
        if let problem {
            reader.report(key, 42, "cannot set '\(path)': \(problem)", hint: "set a key inside a mapping of the job")
        } else {
            origins[path] = study
        }
    }

    static func set(
        _ parts: ArraySlice<String>, prefix: String, _ value: Node, keyMark: Mark?, remove: Bool, in node: inout Node,
        record: (String, Bool) -> Void, failed: (String) -> Void
    ) {
        guard case .mapping(let m) = node else {
            failed("'\(prefix)' is not a mapping in the base job")
            return
        }
        var pairs = Array(m)
        let key = parts.first!
        let path = prefix.isEmpty ? key : prefix + "." + key
        let index = pairs.firstIndex { $0.key.scalar?.string == key }
        let keyNode = Node.scalar(.init(key, .implicit, .plain, keyMark))
        if parts.count == 1 {
            if remove {
                if let index { pairs.remove(at: index) }
            } else if let index {
                pairs[index].value = value
            } else {
                pairs.append((key: keyNode, value: value))
            }
            node = mapping(like: m, pairs)
            return
        }
        var child: Node
        if let index {
            child = pairs[index].value
        } else {
            if remove { return }
            child = .mapping(.init([], .implicit, .any, keyMark))
            record(path, true)
        }
        set(
            parts.dropFirst(), prefix: path, value, keyMark: keyMark, remove: remove, in: &child, record: record,
            failed: failed)
        if let index {
            pairs[index].value = child
        } else {
            pairs.append((key: keyNode, value: child))
        }
        node = mapping(like: m, pairs)
    }

    static func mapping(like m: Node.Mapping, _ pairs: [(key: Node, value: Node)]) -> Node {
        .mapping(Node.Mapping(pairs.map { ($0.key, $0.value) }, m.tag, m.style, m.mark))
    }

    static func put(_ m: inout Node.Mapping, _ key: String, _ value: Node) {
        var pairs = Array(m)
        if let index = pairs.firstIndex(where: { $0.key.scalar?.string == key }) {
            pairs[index].value = value
        } else {
            pairs.append((key: .scalar(.init(key)), value: value))
        }
        m = Node.Mapping(pairs.map { ($0.key, $0.value) }, m.tag, m.style, m.mark)
    }

    /// Every combination of the axes' value indices (one empty point without a sweep).
    static func points(_ axes: [Axis]) -> [[Int]] {
        axes.reduce([[]]) { acc, axis in acc.flatMap { p in axis.values.indices.map { p + [$0] } } }
    }

    /// `.ev_share-0.3.pv_share-0.1`: each axis's last key and its value (the whole path if two axes share a key).
    func suffix(_ point: [Int], _ axes: [Axis]) -> String {
        let leaves = axes.map { String($0.path.split(separator: ".").last ?? "") }
        var s = ""
        for (k, axis) in axes.enumerated() {
            let leaf =
                leaves.filter { $0 == leaves[k] }.count > 1
                ? axis.path.replacingOccurrences(of: ".", with: "_")
                : leaves[k]
            let raw = axis.values[point[k]].node.scalar?.string ?? "v\(point[k])"
            let value = String(raw.map { Study.isSafeName(String($0)) ? $0 : "_" })
            s += ".\(leaf)-\(value)"
        }
        return s
    }

    /// Key path → scalar text of a tree (list items as `path[i]`).
    static func flatten(_ node: Node, _ prefix: String = "") -> [String: String] {
        switch node {
        case .scalar(let s): return [prefix: s.string]
        case .mapping(let m):
            var out: [String: String] = [:]
            for (k, v) in m {
                let key = k.scalar?.string ?? "?"
                out.merge(flatten(v, prefix.isEmpty ? key : prefix + "." + key)) { $1 }
            }
            return out
        case .sequence(let s):
            var out: [String: String] = [:]
            for (i, v) in s.enumerated() { out.merge(flatten(v, prefix + "[\(i)]")) { $1 } }
            if s.isEmpty { out[prefix] = "[]" }
            return out
        case .alias: return [prefix: "*alias"]
        }
    }
}
