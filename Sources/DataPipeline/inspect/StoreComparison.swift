import Foundation
import Store

/// Two teachers side by side: stores of the same dataset, seeds and policy (so record (epoch, sample)
/// holds the same augmented view in both) compared record by record on their dense targets. One pass
/// over the first store; the second is read chunk by chunk as its records are needed. Memory O(C).
public struct StoreComparison: Sendable, Codable, Equatable {
    /// Agreement of the records of one class (by dataset label; the first store's top-1 when unlabelled).
    public struct PerClass: Sendable, Codable, Equatable {
        public var `class`: Int
        public var name: String
        public var records: Int
        public var top1Agreement: Double
        public var klMean: Double
        enum CodingKeys: String, CodingKey {
            case `class`, name, records, top1Agreement = "top1_agreement", klMean = "kl_mean"
        }
    }

    /// Records present in both stores, and those of the first store missing from the second.
    public var records: Int
    public var missingInSecond: Int
    /// Share of records whose top-1 classes agree (ties: the lower class).
    public var top1Agreement: Double
    /// KL(first ‖ second) of the dense targets, nats: mean and max.
    public var klMean: Double, klMax: Double
    /// Mean |top-K(first) ∩ top-K(second)| / min(K₁, K₂).
    public var topKOverlap: Double
    /// Per class.
    public var perClass: [PerClass]

    enum CodingKeys: String, CodingKey {
        case records, missingInSecond = "missing_in_second", top1Agreement = "top1_agreement", klMean = "kl_mean"
        case klMax = "kl_max", topKOverlap = "topk_overlap", perClass = "per_class"
    }

    /// Compares `first` with `second` (each a store file, its shards or their folder). Refused, naming the
    /// metadata field, when their records are not views of the same samples.
    public static func make(first: [String], second: [String], classNames: [String]? = nil) throws(PipelineError) -> StoreComparison {
        let a: ShardedStore, b: ShardedStore
        do { a = try ShardedStore(paths: first); b = try ShardedStore(paths: second) } catch { throw .store(error) }
        try checkComparable(a.metadata, b.metadata, second: second.joined(separator: " "))
        let c = a.metadata.numClasses
        let labels: [Int32?]?
        do { labels = try a.labels() } catch { throw .store(error) }
        var lookup = RecordLookup(store: b)
        var acc = Tally(classes: c)
        do {
            try a.forEachChunk { cols in
                for r in 0..<cols.count {
                    let sample = Int(cols.sampleIDs[r])
                    guard let other = try lookup.record(epoch: cols.epoch, sample: sample) else { acc.missing += 1; continue }
                    let mine = cols.record(at: r)
                    var label = Int(mine.indices[0])
                    if let labels, sample < labels.count, let l = labels[sample], l >= 0, Int(l) < c { label = Int(l) }
                    acc.add(mine, other, label: label)
                }
            }
        } catch let e as StoreError {
            throw .store(e)
        } catch let e as PipelineError {
            throw e
        } catch {
            throw .failed("comparing \(first.joined(separator: " ")) with \(second.joined(separator: " ")): \(error)")
        }
        return acc.result(classNames: (0..<c).map { i in classNames.flatMap { i < $0.count ? $0[i] : nil } ?? "class \(i)" })
    }

    /// The settings that make record (epoch, sample) the same view in both stores; a refusal names the
    /// metadata field that differs (`num_classes`, `dataset.fingerprint`, `run_seed`, `policy_hash`).
    static func checkComparable(_ a: StoreMetadata, _ b: StoreMetadata, second: String) throws(PipelineError) {
        func refuse(_ field: String, _ x: String, _ y: String) -> PipelineError {
            .failed("cannot compare: \(second) has \(field) \(y), the first store \(x); the stores do not hold views of the same samples (same dataset, run seed and policy are needed)")
        }
        if a.numClasses != b.numClasses { throw refuse("num_classes", "\(a.numClasses)", "\(b.numClasses)") }
        if a.dataset.fingerprint != b.dataset.fingerprint { throw refuse("dataset.fingerprint", a.dataset.fingerprint, b.dataset.fingerprint) }
        if a.runSeed != b.runSeed { throw refuse("run_seed", "\(a.runSeed)", "\(b.runSeed)") }
        if a.policyHash != b.policyHash { throw refuse("policy_hash", a.policyHash ?? "none", b.policyHash ?? "none") }
    }

    /// The second store's records by (epoch, sample), decoding one chunk at a time and keeping the last one
    /// per shard (records are asked for in sample order, so each chunk is decoded about once).
    struct RecordLookup {
        let store: ShardedStore
        var chunks: [Int: [(shard: Int, info: ChunkInfo)]] = [:]
        var cached: [Int: (epoch: Int, chunk: Int, columns: RecordColumns)] = [:]

        init(store: ShardedStore) { self.store = store }

        mutating func record(epoch: Int, sample: Int) throws(StoreError) -> TargetRecord? {
            if chunks[epoch] == nil {
                var list: [(shard: Int, info: ChunkInfo)] = []
                for (s, reader) in store.readers.enumerated() {
                    for info in try reader.chunks(epoch: epoch) { list.append((s, info)) }
                }
                chunks[epoch] = list
            }
            for (shard, info) in chunks[epoch]! where info.minSample <= sample && sample <= info.maxSample {
                let columns: RecordColumns
                if let hit = cached[shard], hit.epoch == epoch, hit.chunk == info.chunk {
                    columns = hit.columns
                } else {
                    columns = try store.readers[shard].chunk(epoch: epoch, chunk: info.chunk)
                    cached[shard] = (epoch, info.chunk, columns)
                }
                var lo = 0, hi = columns.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if Int(columns.sampleIDs[mid]) < sample { lo = mid + 1 } else { hi = mid }
                }
                if lo < columns.count, Int(columns.sampleIDs[lo]) == sample { return columns.record(at: lo) }
            }
            return nil
        }
    }

    /// The running sums.
    struct Tally {
        let c: Int
        var records = 0, missing = 0, top1 = 0
        var klSum = 0.0, klMax = 0.0, overlapSum = 0.0
        var classRecords: [Int], classTop1: [Int], classKL: [Double]

        init(classes c: Int) {
            self.c = c
            classRecords = [Int](repeating: 0, count: c)
            classTop1 = classRecords
            classKL = [Double](repeating: 0, count: c)
        }

        /// The uniform remainder of a record's dense target.
        static func remainder(_ r: TargetRecord, classes c: Int) -> Double {
            let k = r.indices.count
            return c > k ? max(0, 1 - r.probabilities.reduce(0) { $0 + Double($1) }) / Double(c - k) : 0
        }

        mutating func add(_ a: TargetRecord, _ b: TargetRecord, label: Int) {
            let ua = Self.remainder(a, classes: c), ub = Self.remainder(b, classes: c)
            var pa: [UInt32: Double] = [:], pb: [UInt32: Double] = [:]
            for (i, v) in zip(a.indices, a.probabilities) { pa[i] = Double(v) }
            for (i, v) in zip(b.indices, b.probabilities) { pb[i] = Double(v) }
            let union = Set(pa.keys).union(pb.keys)
            let floor = 1e-12   // a class one target gives no mass at all
            var kl = 0.0
            for i in union {
                let p = pa[i] ?? ua, q = max(pb[i] ?? ub, floor)
                if p > 0 { kl += p * log(p / q) }
            }
            let rest = c - union.count
            if rest > 0 && ua > 0 { kl += Double(rest) * ua * log(ua / max(ub, floor)) }
            kl = max(0, kl)
            let agree = a.indices[0] == b.indices[0]
            records += 1
            if agree { top1 += 1 }
            klSum += kl
            klMax = max(klMax, kl)
            overlapSum += Double(Set(a.indices).intersection(b.indices).count) / Double(min(a.indices.count, b.indices.count))
            classRecords[label] += 1
            if agree { classTop1[label] += 1 }
            classKL[label] += kl
        }

        func result(classNames: [String]) -> StoreComparison {
            let n = Double(max(records, 1))
            let perClass = (0..<c).filter { classRecords[$0] > 0 }.map { i in
                PerClass(class: i, name: classNames[i], records: classRecords[i],
                         top1Agreement: Double(classTop1[i]) / Double(classRecords[i]), klMean: classKL[i] / Double(classRecords[i]))
            }
            return StoreComparison(records: records, missingInSecond: missing, top1Agreement: Double(top1) / n,
                                   klMean: klSum / n, klMax: klMax, topKOverlap: overlapSum / n, perClass: perClass)
        }
    }
}
