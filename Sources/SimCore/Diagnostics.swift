/// Where an input problem is: a file, and where known a line/column and a key path inside it.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var column: Int?
    public init(file: String, line: Int? = nil, column: Int? = nil) {
        self.file = file
        self.line = line
        self.column = column
    }
    public var description: String {
        var s = file
        if let line {
            s += ":\(line)"
            if let column { s += ":\(column)" }
        }
        return s
    }
}

/// One finding about user input, printed like a compiler diagnostic:
/// `Jobs/storm.yaml:14:9: error[E-FLOOD-012]: flood.manning_n must be > 0 (got -0.03)` then `  hint: ...`.
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    public var location: SourceLocation
    public var code: String
    public var keyPath: String?
    public var message: String
    public var hint: String?
    public init(_ location: SourceLocation, code: String, keyPath: String? = nil, message: String, hint: String? = nil)
    {
        self.location = location
        self.code = code
        self.keyPath = keyPath
        self.message = message
        self.hint = hint
    }
    public var description: String {
        var s = "\(location): error[\(code)]: "
        if let keyPath, !keyPath.isEmpty { s += "\(keyPath): " }
        s += message
        if let hint { s += "\n  hint: \(hint)" }
        return s
    }
}

/// Bad input: one or more diagnostics, all gathered before failing.
public struct InputError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public init(_ location: SourceLocation, code: String, keyPath: String? = nil, message: String, hint: String? = nil)
    {
        self.diagnostics = [Diagnostic(location, code: code, keyPath: keyPath, message: message, hint: hint)]
    }
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// A failure of the run itself (I/O, a refused checkpoint), not of the user's input.
public struct RunError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var hint: String?
    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
    public var description: String { hint.map { "error: \(message)\n  hint: \($0)" } ?? "error: \(message)" }
}

public enum DidYouMean {
    /// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo.
    public static func suggest(_ word: String, from candidates: [String]) -> String? {
        let w = Array(word.lowercased())
        var best: (String, Int)?
        for c in candidates {
            let d = editDistance(w, Array(c.lowercased()))
            if best == nil || d < best!.1 { best = (c, d) }
        }
        guard let (name, d) = best else { return nil }
        let limit = max(2, min(w.count, name.count) / 3)
        return d <= limit ? name : nil
    }

    /// Damerau–Levenshtein (optimal string alignment) distance.
    public static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev2 = [Int](repeating: 0, count: b.count + 1)
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { v = min(v, prev2[j - 2] + 1) }
                cur[j] = v
            }
            prev2 = prev
            prev = cur
        }
        return prev[b.count]
    }
}
