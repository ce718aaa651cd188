import Store

/// The targets of a batch of rows, in storage allocated once: row r is `indices[r·k ..< (r+1)·k]` and
/// `probabilities[r·k ..< (r+1)·k]`. Top-K rows hold K entries in descending probability. Rows of
/// sampled targets (``sampling`` set, K = min(N, C) slots) hold their `lengths[r]` drawn classes in
/// ascending order with their target values and draw `counts`, then (so that a loss may read all K
/// slots, as it reads a stored record) the lowest classes not drawn, at value 0 and count 0.
public struct TopKBatch: Sendable {
    /// Entries per row (slots, for sampled targets).
    public let k: Int
    /// Rows the storage holds.
    public let capacity: Int
    /// capacity × k class indices.
    public var indices: [UInt32]
    /// capacity × k probabilities (target values, for sampled targets).
    public var probabilities: [Float]
    /// Sampled targets' settings, or nil for top-K rows.
    public let sampling: SampledTargets?
    /// Sampled targets: capacity × k draw counts, and each row's number of drawn classes.
    public var counts: [UInt16]
    public var lengths: [Int]
    /// Sampled targets: the teacher's dense probabilities of the rows being drawn (rows × C), reused.
    public var dense: [Float] = []
    private var scratch = SampledTargets.Scratch()

    /// Storage for `capacity` rows of `k` entries (the slots min(N, C), with `sampling`).
    public init(k: Int, capacity: Int, sampling: SampledTargets? = nil) {
        self.k = k
        self.capacity = capacity
        self.sampling = sampling
        indices = [UInt32](repeating: 0, count: k * capacity)
        probabilities = [Float](repeating: 0, count: k * capacity)
        counts = sampling == nil ? [] : [UInt16](repeating: 0, count: k * capacity)
        lengths = sampling == nil ? [] : [Int](repeating: 0, count: capacity)
    }

    /// Storage for the targets `metadata` describes (its K and kind).
    public init(store metadata: StoreMetadata, capacity: Int) {
        self.init(k: metadata.topK, capacity: capacity, sampling: metadata.targets)
    }

    /// Entries row `r` holds: K, or its drawn classes.
    @inline(__always) public func entries(_ r: Int) -> Int { sampling == nil ? k : lengths[r] }

    /// Calls `body` with row `r`'s indices and probabilities (its ``entries(_:)``).
    public func withRow<R, E: Error>(
        _ r: Int, _ body: (UnsafeBufferPointer<UInt32>, UnsafeBufferPointer<Float>) throws(E) -> R
    ) throws(E) -> R {
        precondition(r >= 0 && r < capacity)
        let range = (r * k)..<(r * k + entries(r))
        return try indices.withUnsafeBufferPointer { i throws(E) in
            try probabilities.withUnsafeBufferPointer { p throws(E) in
                try body(UnsafeBufferPointer(rebasing: i[range]), UnsafeBufferPointer(rebasing: p[range]))
            }
        }
    }

    /// Row `r`'s indices and probabilities as arrays (its ``entries(_:)``).
    public func row(_ r: Int) -> (indices: [UInt32], probabilities: [Float]) {
        let range = (r * k)..<(r * k + entries(r))
        return (Array(indices[range]), Array(probabilities[range]))
    }

    /// Row `r`'s draw counts (sampled targets).
    public func rowCounts(_ r: Int) -> [UInt16] { Array(counts[(r * k)..<(r * k + lengths[r])]) }

    /// Draws row `r`'s sampled targets from its teacher distribution `probabilities` (C values, class
    /// order) under the record's `seed` (``SampledTargets/draw(probabilities:seed:into:)``).
    public mutating func draw(row r: Int, probabilities distribution: UnsafeBufferPointer<Float>, seed: UInt64) {
        guard let sampling else { preconditionFailure("draw(row:) on a batch of top-K rows") }
        let length = sampling.draw(probabilities: distribution, seed: seed, into: &scratch)
        for e in 0..<length {
            indices[r * k + e] = scratch.classes[e]
            probabilities[r * k + e] = scratch.values[e]
            counts[r * k + e] = scratch.counts[e]
        }
        lengths[r] = length
        var o = length, d = 0
        var c: UInt32 = 0
        while o < k {
            if d < length && scratch.classes[d] == c {
                d += 1
            } else {
                indices[r * k + o] = c
                probabilities[r * k + o] = 0
                counts[r * k + o] = 0
                o += 1
            }
            c += 1
        }
    }

    /// Draws every row of `dense` (`rows` × `numClasses`), row r under `seeds[r]`, skipping rows whose
    /// `skip` is true.
    public mutating func drawDense(rows: Int, numClasses: Int, seeds: [UInt64], skip: [Bool]? = nil) {
        var all = [Float]()
        swap(&all, &dense)
        all.withUnsafeBufferPointer { d in
            for r in 0..<rows where !(skip?[r] ?? false) {
                draw(row: r, probabilities: UnsafeBufferPointer(rebasing: d[(r * numClasses)..<((r + 1) * numClasses)]), seed: seeds[r])
            }
        }
        swap(&all, &dense)
    }

    /// The position (within the row) of row `r`'s most probable entry (ties: the lower class).
    public func top1(_ r: Int) -> UInt32 {
        withRow(r) { i, p in
            var best = 0
            for q in 1..<max(1, p.count) where p[q] > p[best] || (p[q] == p[best] && i[q] < i[best]) { best = q }
            return i[best]
        }
    }
}
