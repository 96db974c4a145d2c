extension ArrayData {
    /// The arrays one after another (nil when their element types differ): a checkpoint's parts joined.
    public static func joined(_ parts: [ArrayData]) -> ArrayData? {
        func all<T>(_ pick: (ArrayData) -> [T]?) -> [T]? {
            var out: [T] = []
            for p in parts {
                guard let a = pick(p) else { return nil }
                out += a
            }
            return out
        }
        switch parts.first {
        case .float32: return all { if case .float32(let a) = $0 { a } else { nil } }.map { .float32($0) }
        case .float64: return all { if case .float64(let a) = $0 { a } else { nil } }.map { .float64($0) }
        case .int64: return all { if case .int64(let a) = $0 { a } else { nil } }.map { .int64($0) }
        case .int32: return all { if case .int32(let a) = $0 { a } else { nil } }.map { .int32($0) }
        case .uint8: return all { if case .uint8(let a) = $0 { a } else { nil } }.map { .uint8($0) }
        case nil: return nil
        }
    }
}
