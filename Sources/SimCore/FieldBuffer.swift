/// A fixed-size array of numbers that partitions write concurrently, each its own part.
/// Plain memory (no copy-on-write, no exclusivity checks): the struct-of-arrays storage of hot loops.
public final class FieldBuffer<Element: BitwiseCopyable> {
    public let count: Int
    public let base: UnsafeMutablePointer<Element>
    public init(count: Int, repeating v: Element) {
        self.count = count
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: v, count: max(count, 1))
    }
    public init(_ values: [Element]) {
        count = values.count
        base = .allocate(capacity: max(values.count, 1))
        values.withUnsafeBufferPointer { src in
            if let s = src.baseAddress { base.initialize(from: s, count: values.count) }
        }
    }
    deinit { base.deallocate() }
    @inlinable public subscript(i: Int) -> Element {
        get { base[i] }
        set { base[i] = newValue }
    }
    public var array: [Element] { Array(UnsafeBufferPointer(start: base, count: count)) }
    public func assign(_ values: [Element]) {
        precondition(values.count == count)
        values.withUnsafeBufferPointer { src in
            if let s = src.baseAddress { base.update(from: s, count: count) }
        }
    }
    public func fill(_ v: Element) { base.update(repeating: v, count: count) }
}
