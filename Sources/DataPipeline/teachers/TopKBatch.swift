/// The top-K of a batch of rows, in storage allocated once: row r is `indices[r·k ..< (r+1)·k]` and
/// `probabilities[r·k ..< (r+1)·k]`, in descending probability.
public struct TopKBatch: Sendable {
    /// Entries per row.
    public let k: Int
    /// Rows the storage holds.
    public let capacity: Int
    /// capacity × k class indices.
    public var indices: [UInt32]
    /// capacity × k probabilities.
    public var probabilities: [Float]

    /// Storage for `capacity` rows of `k` entries.
    public init(k: Int, capacity: Int) {
        self.k = k
        self.capacity = capacity
        indices = [UInt32](repeating: 0, count: k * capacity)
        probabilities = [Float](repeating: 0, count: k * capacity)
    }

    /// Calls `body` with row `r`'s indices and probabilities.
    public func withRow<R, E: Error>(
        _ r: Int, _ body: (UnsafeBufferPointer<UInt32>, UnsafeBufferPointer<Float>) throws(E) -> R
    ) throws(E) -> R {
        precondition(r >= 0 && r < capacity)
        let range = (r * k)..<((r + 1) * k)
        return try indices.withUnsafeBufferPointer { i throws(E) in
            try probabilities.withUnsafeBufferPointer { p throws(E) in
                try body(UnsafeBufferPointer(rebasing: i[range]), UnsafeBufferPointer(rebasing: p[range]))
            }
        }
    }

    /// Row `r`'s indices and probabilities as arrays.
    public func row(_ r: Int) -> (indices: [UInt32], probabilities: [Float]) {
        let range = (r * k)..<((r + 1) * k)
        return (Array(indices[range]), Array(probabilities[range]))
    }
}
