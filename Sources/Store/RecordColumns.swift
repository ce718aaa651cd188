/// A run of decoded records in columnar form: what a chunk decodes to and what readers hand out.
///
/// Records are in ascending sample order. Each record's K entries are in ascending class order
/// (the order the store keeps; a dense target does not depend on it). `indices` and `values` hold
/// `count × k` entries, record-major. ``record(at:)`` returns a record by descending probability.
public struct RecordColumns: Sendable, Equatable {
    /// The epoch all records belong to.
    public var epoch: Int
    /// Entries per record.
    public var k: Int
    /// Sample ids, strictly ascending.
    public var sampleIDs: [UInt32]
    /// Augmentation seeds, one per record.
    public var seeds: [UInt64]
    /// Top-K class indices, `count × k`, record-major.
    public var indices: [UInt32]
    /// Top-K probabilities, `count × k`, record-major (decoded: exact half values for `fp16`).
    public var values: [Float]
    /// Stores of sampled targets: how often each entry's class was drawn, `count × k` (0 for the
    /// zero-valued classes that fill a record's slots past its drawn ones); empty for top-K stores.
    public var counts: [UInt16] = []

    /// Creates columns; the arrays must agree in length.
    public init(epoch: Int, k: Int, sampleIDs: [UInt32] = [], seeds: [UInt64] = [], indices: [UInt32] = [], values: [Float] = []) {
        self.epoch = epoch
        self.k = k
        self.sampleIDs = sampleIDs
        self.seeds = seeds
        self.indices = indices
        self.values = values
    }

    /// Number of records.
    public var count: Int { sampleIDs.count }

    /// The record at position `i`, its entries by descending probability (ties: ascending class).
    public func record(at i: Int) -> TargetRecord {
        let order = ((i * k)..<((i + 1) * k)).sorted { a, b in
            values[a] != values[b] ? values[a] > values[b] : indices[a] < indices[b]
        }
        var record = TargetRecord(
            epoch: epoch, sampleID: Int(sampleIDs[i]), seed: seeds[i],
            indices: order.map { indices[$0] }, probabilities: order.map { values[$0] })
        if !counts.isEmpty { record.counts = order.map { counts[$0] } }
        return record
    }

    /// Position (within `indices`/`values`) of record `i`'s most probable entry (ties: lowest class).
    @inline(__always) public func top1Position(_ i: Int) -> Int {
        var best = i * k
        for j in (i * k + 1)..<((i + 1) * k) where values[j] > values[best] { best = j }
        return best
    }
}

extension TargetRecord {
    /// A sampled record's drawn entries (count ≥ 1) in ascending class order, without the zero-valued
    /// padding classes; a top-K record's entries in ascending class order with no counts.
    public var drawnEntries: (classes: [UInt32], counts: [UInt16], values: [Float]) {
        var order = Array(indices.indices)
        if let counts { order = order.filter { counts[$0] > 0 } }
        order.sort { indices[$0] < indices[$1] }
        return (order.map { indices[$0] }, order.map { counts?[$0] ?? 0 }, order.map { probabilities[$0] })
    }
}

/// One record: a sample's augmentation seed and its teacher's top-K for one epoch.
public struct TargetRecord: Sendable, Equatable, Codable {
    /// Epoch of the record.
    public var epoch: Int
    /// Sample id within the dataset.
    public var sampleID: Int
    /// The seed that replays this record's augmentation.
    public var seed: UInt64
    /// Top-K class indices (canonical order when read back).
    public var indices: [UInt32]
    /// Top-K probabilities, paired with `indices`.
    public var probabilities: [Float]
    /// Sampled targets only: each entry's draw count, paired with `indices` (nil for top-K records).
    public var counts: [UInt16]?

    /// Creates a record.
    public init(epoch: Int, sampleID: Int, seed: UInt64, indices: [UInt32], probabilities: [Float]) {
        self.epoch = epoch
        self.sampleID = sampleID
        self.seed = seed
        self.indices = indices
        self.probabilities = probabilities
    }
}
