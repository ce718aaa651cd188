import Foundation
import Store

/// Everything `inspect` tells about a store; its JSON form is the stable `inspect --json` output
/// (documented in README.md, "inspect --json").
public struct InspectReport: Codable, Sendable {
    /// A histogram summary.
    public struct Distribution: Codable, Sendable, Equatable {
        /// Mean, and the 10th, 50th and 90th percentiles (at 0.05 resolution).
        public var mean: Double, p10: Double, p50: Double, p90: Double
        /// Counts in 20 equal bins over [0, 1].
        public var bins: [Int]
    }
    /// A class and how often it is a record's top-1 class.
    public struct ClassCount: Codable, Sendable, Equatable {
        /// Class index and count.
        public var classIndex: Int, count: Int
        enum CodingKeys: String, CodingKey {
            case classIndex = "class"
            case count
        }
    }
    /// The store file.
    public var path: String
    /// The metadata document.
    public var metadata: StoreMetadata
    /// File size in bytes (the main file; plus `-wal` while a writer is active).
    public var fileBytes: Int
    /// Records, chunks and epochs.
    public var records: Int, chunks: Int
    /// Per epoch.
    public var epochs: [EpochSummary]
    /// Epochs with fewer records than the dataset (this shard's share) has samples.
    public var incompleteEpochs: [Int]
    /// File bytes per record, and the TinyViT reference's fixed 4 + 4K.
    public var bytesPerRecord: Double, referenceBytesPerRecord: Int
    /// bytesPerRecord / referenceBytesPerRecord.
    public var ratioToReference: Double
    /// Compressed chunk payload bytes per record (excludes SQLite's pages and the samples table).
    public var payloadBytesPerRecord: Double
    /// Decoded payload bytes / compressed payload bytes.
    public var compressionRatio: Double
    /// Write-time KL(fp16 dense ‖ stored dense) in nats: mean and max over records (0 for fp16).
    public var klMean: Double, klMax: Double
    /// What records keep: `topk:K` or `sample:N[:T]` (``StoreMetadata/targetKind``).
    public var targets: String
    /// Sampled targets: the mean number of distinct classes a record's N draws hit (nil for top-K).
    public var meanDrawnClasses: Double?
    /// Top-1 probability distribution.
    public var top1Probability: Distribution
    /// Top-K mass distribution.
    public var topKMass: Distribution
    /// Teacher top-1 accuracy against labels, when labels are known.
    public var teacherAccuracy: Double?
    /// The class map the accuracy was measured through (its digest), when `inspect` was given one; and
    /// whether the labels are another set of classes than the teacher's (precompute was given a map), so
    /// that without a map no accuracy is measured.
    public var classMapDigest: String?
    public var labelsInOtherClasses: Bool = false
    /// Distinct top-1 classes, and the most frequent ones (up to 10).
    public var top1ClassesSeen: Int
    /// The most frequent top-1 classes.
    public var top1ClassesMostFrequent: [ClassCount]
    /// Order- and layout-independent digest of all records (32 hex digits).
    public var digest: String
    /// Samples recorded as failed.
    public var failures: Int
    /// Writer sessions.
    public var sessions: [SessionInfo]

    enum CodingKeys: String, CodingKey {
        case path, metadata
        case fileBytes = "file_bytes"
        case records, chunks, epochs
        case incompleteEpochs = "incomplete_epochs"
        case bytesPerRecord = "bytes_per_record"
        case referenceBytesPerRecord = "reference_bytes_per_record"
        case ratioToReference = "ratio_to_reference"
        case payloadBytesPerRecord = "payload_bytes_per_record"
        case compressionRatio = "compression_ratio"
        case klMean = "kl_mean"
        case klMax = "kl_max"
        case top1Probability = "top1_probability"
        case topKMass = "topk_mass"
        case targets
        case meanDrawnClasses = "mean_drawn_classes"
        case teacherAccuracy = "teacher_accuracy"
        case classMapDigest = "class_map_digest"
        case labelsInOtherClasses = "labels_in_other_classes"
        case top1ClassesSeen = "top1_classes_seen"
        case top1ClassesMostFrequent = "top1_classes_most_frequent"
        case digest, failures, sessions
    }

    /// Reads the whole store (one chunk in memory at a time) and summarises it.
    public static func make(path: String) throws -> InspectReport {
        try make(paths: [path])
    }

    /// Summarises a store given as one file, several shard files or a folder of shards (read as one).
    /// With `classMap` (a file, ``ClassMap``) the teacher's accuracy is that of its targets mapped onto the
    /// dataset's classes (`datasetNames`, else as the store records them).
    public static func make(paths: [String], classMap: String? = nil, datasetNames: [String]? = nil) throws -> InspectReport {
        let reader = try ShardedStore(paths: paths)
        let path = reader.paths.joined(separator: " ")
        let meta = reader.metadata
        let chunkInfos = try reader.chunks()
        let labels = try reader.labels()
        var stats = StoreStatistics(numClasses: meta.numClasses, labels: labels)
        let other = classMap == nil && ClassMap.labelsInOtherClasses(meta, datasetNames: datasetNames)
        // Without a map a store in other classes is summarised, its accuracy left out (`reading` would refuse it).
        let map = other ? nil : try ClassMap.reading(classMap, metadata: meta, datasetNames: datasetNames)
        var mappedCorrect = 0, mappedLabelled = 0
        try reader.forEachChunk { cols in
            stats.add(cols)
            guard let map, let labels else { return }
            let mapped = map.apply(cols)
            for r in 0..<mapped.count {
                let s = Int(mapped.sampleIDs[r])
                guard s < labels.count, let l = labels[s], l >= 0 else { continue }
                mappedLabelled += 1
                if Int(mapped.indices[mapped.top1Position(r)]) == Int(l) { mappedCorrect += 1 }
            }
        }
        let accuracy = map != nil ? (mappedLabelled == 0 ? nil : Double(mappedCorrect) / Double(mappedLabelled))
            : other ? nil : stats.accuracy
        let epochs = try reader.epochs()
        let fileBytes = reader.fileBytes
        let records = stats.records
        let raw = chunkInfos.reduce(0) { $0 + $1.rawBytes }
        let compressed = chunkInfos.reduce(0) { $0 + $1.compressedBytes }
        let klSum = chunkInfos.reduce(0.0) { $0 + $1.klSum }
        let klMax = chunkInfos.reduce(0.0) { max($0, $1.klMax) }
        let share = (meta.dataset.sampleCount - meta.shard.rank + meta.shard.world - 1) / meta.shard.world
        let counts = Dictionary(uniqueKeysWithValues: epochs.map { ($0.epoch, $0.records) })
        let incomplete = (0..<meta.epochs).filter { (counts[$0] ?? 0) < share }
        func dist(_ h: StoreStatistics.Histogram) -> Distribution {
            Distribution(mean: h.mean, p10: h.quantile(0.1), p50: h.quantile(0.5), p90: h.quantile(0.9), bins: h.counts)
        }
        let classCounts = stats.top1Classes.enumerated().filter { $0.element > 0 }
        let top = classCounts.sorted { $0.element > $1.element || ($0.element == $1.element && $0.offset < $1.offset) }
            .prefix(10).map { ClassCount(classIndex: $0.offset, count: $0.element) }
        let reference = 4 + 4 * meta.topK
        let bpr = records == 0 ? 0 : Double(fileBytes) / Double(records)
        return InspectReport(
            path: path, metadata: meta, fileBytes: fileBytes, records: records, chunks: chunkInfos.count, epochs: epochs,
            incompleteEpochs: incomplete, bytesPerRecord: bpr, referenceBytesPerRecord: reference,
            ratioToReference: bpr / Double(reference),
            payloadBytesPerRecord: records == 0 ? 0 : Double(compressed) / Double(records),
            compressionRatio: compressed == 0 ? 0 : Double(raw) / Double(compressed),
            klMean: records == 0 ? 0 : klSum / Double(records), klMax: klMax,
            targets: meta.targetKind,
            meanDrawnClasses: meta.targets == nil || records == 0 ? nil : Double(stats.drawnEntries) / Double(records),
            top1Probability: dist(stats.top1), topKMass: dist(stats.topKMass), teacherAccuracy: accuracy,
            classMapDigest: map?.digest, labelsInOtherClasses: other,
            top1ClassesSeen: classCounts.count, top1ClassesMostFrequent: Array(top), digest: stats.digest.hex,
            failures: try reader.failures().count, sessions: try reader.sessions())
    }
}
