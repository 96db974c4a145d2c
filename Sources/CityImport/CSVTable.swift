import Foundation
import SimCore

/// A small comma-separated table read by column name, every problem located by file and line: numeric columns
/// as Double (optionally empty = 0), text columns as strings. Used for the grid's side tables (buildings, assets,
/// weather) and the reference solver tables.
public struct CSVTable: Sendable {
    public struct Row: Sendable {
        public var line: Int
        public var values: [String: Double], text: [String: String]
        public subscript(_ k: String) -> Double? { values[k] }
    }
    public var rows: [Row]

    public static func read(_ path: String, numeric: [String], text: [String] = [], emptyIsZero: Bool = false) throws
        -> CSVTable
    {
        try parse(
            InputFile.text(path, what: "the table"), path: path, numeric: numeric, text: text, emptyIsZero: emptyIsZero)
    }

    /// The table in `s` (read from `path`, for messages).
    public static func parse(
        _ s: String, path: String, numeric: [String], text: [String] = [], emptyIsZero: Bool = false
    ) throws -> CSVTable {
        var lines = s.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        while lines.last == "" { lines.removeLast() }
        guard !lines.isEmpty else {
            throw InputError(SourceLocation(file: path), code: "E-GRID-004", message: "empty table")
        }
        let head = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var problems: [Diagnostic] = []
        for h in numeric + text where !head.contains(h) {
            problems.append(
                Diagnostic(
                    SourceLocation(file: path, line: 1), code: "E-GRID-005", message: "column '\(h)' is missing",
                    hint: DidYouMean.suggest(h, from: head.filter { InputToken.isPlain($0) }).map {
                        "did you mean '\($0)'?"
                    }))
        }
        if !problems.isEmpty { throw InputError(problems) }
        var rows: [Row] = []
        for (n, l) in lines.enumerated().dropFirst() where !l.isEmpty {
            let f = l.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count == head.count else {
                problems.append(
                    Diagnostic(
                        SourceLocation(file: path, line: n + 1), code: "E-GRID-006",
                        message: "expected \(head.count) values, found \(f.count)"))
                continue
            }
            var row = Row(line: n + 1, values: [:], text: [:])
            for (k, h) in head.enumerated() {
                if numeric.contains(h) {
                    guard let v = Double(f[k].isEmpty && emptyIsZero ? "0" : f[k]), v.isFinite else {
                        problems.append(
                            Diagnostic(
                                SourceLocation(file: path, line: n + 1), code: "E-GRID-007",
                                message: "'\(h)' = \(InputToken.quote(f[k])) is not a finite number"))
                        continue
                    }
                    row.values[h] = v
                } else if text.contains(h) {
                    row.text[h] = f[k]
                }
            }
            rows.append(row)
        }
        if !problems.isEmpty { throw InputError(problems) }
        return CSVTable(rows: rows)
    }

    /// Checks values of rows against their physical ranges, collecting located problems.
    public struct Checker {
        public let file: String
        public private(set) var problems: [Diagnostic] = []
        public init(file: String) { self.file = file }

        /// The column's value if it lies in `range` (units for the message), else a problem and nil.
        public mutating func number(_ row: Row, _ column: String, _ range: ClosedRange<Double>, units: String = "")
            -> Double?
        {
            guard let v = row[column] else { return nil }
            guard range.contains(v) else {
                let u = units.isEmpty ? "" : " \(units)"
                problems.append(
                    Diagnostic(
                        SourceLocation(file: file, line: row.line), code: "E-GRID-008", keyPath: column,
                        message: "\(v)\(u) is outside \(range.lowerBound)...\(range.upperBound)\(u)"))
                return nil
            }
            return v
        }

        /// The column's value if it is a whole number in `range`, else a problem and nil.
        public mutating func whole(_ row: Row, _ column: String, _ range: ClosedRange<Int>) -> Int? {
            guard let v = row[column] else { return nil }
            guard let i = Int(exactly: v), range.contains(i) else {
                problems.append(
                    Diagnostic(
                        SourceLocation(file: file, line: row.line), code: "E-GRID-009", keyPath: column,
                        message: "\(v) is not a whole number in \(range.lowerBound)...\(range.upperBound)"))
                return nil
            }
            return i
        }

        /// Records a problem of the row.
        public mutating func report(_ row: Row, _ column: String?, code: String, _ message: String, hint: String? = nil)
        {
            problems.append(
                Diagnostic(
                    SourceLocation(file: file, line: row.line), code: code, keyPath: column, message: message,
                    hint: hint))
        }
    }
}
