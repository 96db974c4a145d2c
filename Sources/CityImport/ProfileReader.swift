import EnergyModel
import Foundation
import SimCore

/// Reads relative profiles (SimBench layout: a `time` column, then one numeric column per profile, comma-separated)
/// into a `ProfileTable`. Byte-level parsing: a year of 15-min steps with 45 columns takes well under a second.
public enum ProfileReader {
    public static func read(_ path: String) throws -> ProfileTable {
        try parse(try InputFile.read(path, what: "the profile table"), path: path)
    }

    /// The profiles in `bytes` (read from `path`, for messages).
    public static func parse(_ bytes: [UInt8], path: String) throws -> ProfileTable {
        var lineStarts: [Int] = [0]
        for (i, b) in bytes.enumerated() where b == 10 && i + 1 < bytes.count { lineStarts.append(i + 1) }
        func field(_ s: Int, _ e: Int) -> String {
            String(decoding: bytes[s..<e], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        }
        func lineEnd(_ s: Int) -> Int {
            var e = s
            while e < bytes.count && bytes[e] != 10 { e += 1 }
            return e > s && bytes[e - 1] == 13 ? e - 1 : e
        }
        let headEnd = lineEnd(0)
        let head = String(decoding: bytes[0..<headEnd], as: UTF8.self).split(
            separator: ",", omittingEmptySubsequences: false
        ).map { $0.trimmingCharacters(in: .whitespaces) }
        guard head.count >= 2, head[0] == "time" else {
            throw InputError(
                SourceLocation(file: path, line: 1), code: "E-GRID-053",
                message: "the header must start with 'time' followed by profile columns",
                hint: head.first.flatMap { InputToken.isPlain($0) ? DidYouMean.suggest($0, from: ["time"]) : nil }.map {
                    "did you mean '\($0)'?"
                })
        }
        if let dup = Dictionary(grouping: head, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw InputError(
                SourceLocation(file: path, line: 1), code: "E-GRID-054",
                message: "column \(InputToken.quote(dup)) appears twice")
        }
        let nc = head.count - 1
        var columns = [[Double]](repeating: [], count: nc)
        var times: [String] = []
        for c in 0..<nc { columns[c].reserveCapacity(lineStarts.count) }
        var buf = [CChar](repeating: 0, count: 64)
        for (ln, s) in lineStarts.enumerated().dropFirst() {
            let e = lineEnd(s)
            if e == s { continue }
            var c = -1
            var fs = s
            for i in s...e where i == e || bytes[i] == 44 {
                if c == -1 {
                    times.append(field(fs, i))
                } else if c < nc {
                    let len = i - fs
                    var v = Double.nan
                    if len > 0 && len < 63 {
                        for k in 0..<len { buf[k] = CChar(bitPattern: bytes[fs + k]) }
                        buf[len] = 0
                        var end: UnsafeMutablePointer<CChar>?
                        v = buf.withUnsafeMutableBufferPointer { p in
                            let r = strtod(p.baseAddress!, &end)
                            return end == p.baseAddress! + len ? r : .nan
                        }
                    }
                    guard v.isFinite else {
                        throw InputError(
                            SourceLocation(file: path, line: ln + 1), code: "E-GRID-055", keyPath: head[c + 1],
                            message: "\(InputToken.quote(field(fs, i))) is not a finite number")
                    }
                    columns[c].append(v)
                }
                c += 1
                fs = i + 1
            }
            guard c == nc else {
                throw InputError(
                    SourceLocation(file: path, line: ln + 1), code: "E-GRID-056",
                    message: "expected \(nc + 1) values, found \(c + 1)")
            }
        }
        guard !times.isEmpty else {
            throw InputError(SourceLocation(file: path), code: "E-GRID-057", message: "the profile table has no rows")
        }
        return ProfileTable(names: Array(head.dropFirst()), columns: columns, times: times)
    }
}
