/// A set of sample ids as a bitset: which samples of an epoch are stored.
public struct SampleSet: Sendable, Equatable {
    private var words: [UInt64]
    /// Number of ids in the set.
    public private(set) var count: Int = 0
    /// One past the largest id the set can hold.
    public let capacity: Int

    /// An empty set for ids `0..<capacity`.
    public init(capacity: Int) {
        self.capacity = capacity
        words = [UInt64](repeating: 0, count: (capacity + 63) / 64)
    }

    /// Whether `id` is in the set.
    @inline(__always) public func contains(_ id: Int) -> Bool {
        guard id >= 0, id < capacity else { return false }
        return words[id >> 6] & (1 << UInt64(id & 63)) != 0
    }

    /// Adds `id`; returns false if it was already present. `id` must be below `capacity`.
    @discardableResult @inline(__always)
    public mutating func insert(_ id: Int) -> Bool {
        let bit: UInt64 = 1 << UInt64(id & 63)
        if words[id >> 6] & bit != 0 { return false }
        words[id >> 6] |= bit
        count += 1
        return true
    }

    /// Adds every id in `range`.
    public mutating func insert(contentsOf range: ClosedRange<Int>) {
        for id in range { insert(id) }
    }

    /// The ids in ascending order.
    public var sorted: [Int] {
        var out: [Int] = []
        out.reserveCapacity(count)
        for (w, word) in words.enumerated() where word != 0 {
            var x = word
            while x != 0 {
                out.append(w * 64 + x.trailingZeroBitCount)
                x &= x - 1
            }
        }
        return out
    }
}
