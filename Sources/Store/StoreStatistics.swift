/// What the records of a store look like: computed by one pass over every chunk.
public struct StoreStatistics: Sendable {
    /// A histogram over [0, 1] with equal-width bins.
    public struct Histogram: Sendable, Codable, Equatable {
        /// Counts per bin; bin i covers [i/n, (i+1)/n), the last bin includes 1.
        public var counts: [Int]
        /// Sum of values and count, for the mean.
        public var sum: Double = 0, total: Int = 0
        /// Creates an empty histogram of `bins` bins.
        public init(bins: Int) { counts = [Int](repeating: 0, count: bins) }
        /// Adds a value in [0, 1].
        public mutating func add(_ x: Float) {
            let i = min(counts.count - 1, max(0, Int(x * Float(counts.count))))
            counts[i] += 1
            sum += Double(x)
            total += 1
        }
        /// Mean of the values added.
        public var mean: Double { total == 0 ? 0 : sum / Double(total) }
        /// The value below which a fraction `q` of the values lie (bin resolution).
        public func quantile(_ q: Double) -> Double {
            guard total > 0 else { return 0 }
            let target = q * Double(total)
            var acc = 0
            for (i, c) in counts.enumerated() {
                acc += c
                if Double(acc) >= target { return Double(i + 1) / Double(counts.count) }
            }
            return 1
        }
    }

    /// Records seen.
    public private(set) var records = 0
    /// Distribution of each record's top-1 probability.
    public private(set) var top1 = Histogram(bins: 20)
    /// Distribution of each record's top-K mass (Σ of its K probabilities).
    public private(set) var topKMass = Histogram(bins: 20)
    /// Records whose top-1 class equals the sample's label, and records with a known label.
    public private(set) var correct = 0, labelled = 0
    /// How often each class is a record's top-1 class.
    public private(set) var top1Classes: [Int]
    /// Sampled targets: drawn entries (count ≥ 1) over all records, for the mean per record.
    public private(set) var drawnEntries = 0
    /// Order-independent digest of the records.
    public private(set) var digest = RecordDigest()
    private let labels: [Int32?]?

    /// Creates empty statistics for `numClasses` classes, with per-sample labels when known.
    public init(numClasses: Int, labels: [Int32?]?) {
        top1Classes = [Int](repeating: 0, count: numClasses)
        self.labels = labels
    }

    /// Teacher top-1 accuracy against labels, when any label is known.
    public var accuracy: Double? { labelled == 0 ? nil : Double(correct) / Double(labelled) }

    /// Folds in a decoded chunk.
    public mutating func add(_ c: RecordColumns) {
        let k = c.k
        for i in 0..<c.count {
            let base = i * k
            let best = c.top1Position(i)
            top1.add(c.values[best])
            var mass: Float = 0
            for j in base..<(base + k) { mass += c.values[j] }
            topKMass.add(min(mass, 1))
            let cls = Int(c.indices[best])
            if cls < top1Classes.count { top1Classes[cls] += 1 }
            if let labels, Int(c.sampleIDs[i]) < labels.count, let l = labels[Int(c.sampleIDs[i])] {
                labelled += 1
                if Int(l) == cls { correct += 1 }
            }
        }
        for v in c.counts where v > 0 { drawnEntries += 1 }
        records += c.count
        digest.add(c)
    }
}
