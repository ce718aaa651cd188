import Foundation
import Images
import Store

/// Settings of a precompute run (the `precompute` command's options).
public struct PrecomputeOptions: Sendable {
    /// Dataset spec (`synthetic:N[:C]` for now).
    public var data: String
    /// Teacher spec (`synthetic:C` for now).
    public var teacher: String
    /// Epochs to produce.
    public var epochs: Int
    /// Entries per record.
    public var topK: Int
    /// Value codec.
    public var codec: ValueCodec
    /// Run seed.
    public var seed: UInt64
    /// Output store path.
    public var out: String
    /// Records per chunk.
    public var chunkRecords: Int
    /// zstd level.
    public var compressionLevel: Int32

    /// Creates options.
    public init(
        data: String, teacher: String, epochs: Int, topK: Int, codec: ValueCodec = .fp16, seed: UInt64 = 0,
        out: String, chunkRecords: Int = 4096, compressionLevel: Int32 = 1
    ) {
        self.data = data
        self.teacher = teacher
        self.epochs = epochs
        self.topK = topK
        self.codec = codec
        self.seed = seed
        self.out = out
        self.chunkRecords = chunkRecords
        self.compressionLevel = compressionLevel
    }
}

/// What a precompute run did.
public struct PrecomputeSummary: Sendable, Codable, Equatable {
    /// Records written by this run, and records the store already held.
    public var recordsWritten: Int, recordsSkipped: Int
    /// Compressed chunk bytes this run committed, per record.
    public var bytesPerRecord: Double
    /// Wall time in seconds.
    public var seconds: Double
    /// Records per second.
    public var recordsPerSecond: Double
    /// Whether a signal stopped the run early.
    public var interrupted: Bool
}

/// The teacher stage: for every epoch and sample not yet stored, seed → teacher top-K → store.
///
/// Only the synthetic teacher and dataset exist so far; image sources and libtorch teachers
/// extend this job. Re-running the same options on an existing store resumes it.
public final class PrecomputeJob {
    /// The options.
    public let options: PrecomputeOptions
    /// Progress callback: (epoch, records done in this run, records to do in this run).
    public var progress: ((Int, Int, Int) -> Void)?
    /// Polled between records; when it returns true the job flushes, closes and stops.
    public var shouldStop: () -> Bool = { false }

    /// A job for `options`.
    public init(options: PrecomputeOptions) { self.options = options }

    /// Parses `synthetic:C`.
    static func parseTeacher(_ spec: String) throws(PipelineError) -> Int {
        let parts = spec.split(separator: ":")
        guard parts.count == 2, parts[0] == "synthetic" else {
            throw PipelineError.badOption(
                option: "--teacher", value: spec,
                why: "only the synthetic teacher (synthetic:C) exists in this build; model teachers come with libtorch support")
        }
        guard let c = Int(parts[1]), c >= 2, c <= 1 << 24 else {
            throw PipelineError.badOption(option: "--teacher", value: spec, why: "C must be an integer in 2…16,777,216")
        }
        return c
    }

    /// Runs the job.
    public func run() throws(PipelineError) -> PrecomputeSummary {
        let o = options
        let classes = try Self.parseTeacher(o.teacher)
        guard o.data.hasPrefix("synthetic:") else {
            throw PipelineError.badOption(
                option: "--data", value: o.data,
                why: "only synthetic:N[:C] datasets exist in this build; image sources (ImageFolder, fashion-mnist) come with the images module")
        }
        let dataset = try SyntheticDataset(spec: o.data, defaultClasses: classes)
        guard dataset.numClasses <= classes else {
            throw PipelineError.badOption(option: "--data", value: o.data, why: "labels use \(dataset.numClasses) classes but the teacher has \(classes)")
        }
        guard o.topK >= 1, o.topK <= min(classes, 1024) else {
            throw PipelineError.badOption(option: "--topk", value: "\(o.topK)", why: "K must be in 1…min(C, 1024) (C = \(classes))")
        }
        guard o.epochs >= 1 else { throw PipelineError.badOption(option: "--epochs", value: "\(o.epochs)", why: "must be ≥ 1") }
        let teacher = SyntheticTeacher(numClasses: classes, maxK: o.topK)
        let meta = StoreMetadata(
            numClasses: classes, topK: o.topK, valueCodec: o.codec, epochs: o.epochs, chunkRecords: o.chunkRecords,
            runSeed: o.seed, teacher: .init(architecture: "synthetic", weightsHash: teacher.weightsHash),
            dataset: .init(source: o.data, sampleCount: dataset.count, fingerprint: dataset.fingerprint))
        let start = Date()
        let writer: StoreWriter
        do {
            writer = try StoreWriter(path: o.out, metadata: meta, samples: dataset.sampleSequence, compressionLevel: o.compressionLevel)
        } catch {
            throw .store(error)
        }
        // What each epoch still needs, as the writer's stored-sample bitsets (N bits per epoch, not a
        // list of ids).
        var todo: [(epoch: Int, done: SampleSet)] = []
        var skipped = 0
        var total = 0
        do {
            for e in 0..<o.epochs {
                let done = try writer.completedSamples(epoch: e)
                skipped += done.count
                if done.count < dataset.count {
                    todo.append((e, done))
                    total += dataset.count - done.count
                }
            }
        } catch {
            throw .store(error)
        }
        var indices = [UInt32](repeating: 0, count: o.topK)
        var probs = [Float](repeating: 0, count: o.topK)
        var done = 0
        var stopped = false
        progress?(todo.first?.epoch ?? 0, 0, total)
        do {
            outer: for (e, stored) in todo {
                for s in 0..<dataset.count where !stored.contains(s) {
                    let seed = SeedScheme.derive(runSeed: o.seed, epoch: e, sample: s)
                    teacher.topK(seed: seed, label: dataset.label(s), indices: &indices, probabilities: &probs)
                    try indices.withUnsafeBufferPointer { i throws(StoreError) in
                        try probs.withUnsafeBufferPointer { p throws(StoreError) in
                            try writer.append(epoch: e, sampleID: s, seed: seed, indices: i, probabilities: p)
                        }
                    }
                    done += 1
                    if done % 256 == 0 {
                        if done % 4096 == 0 { progress?(e, done, total) }
                        if shouldStop() { stopped = true; break outer }
                    }
                }
            }
            try writer.close(status: stopped ? "interrupted" : "finished")
        } catch {
            throw .store(error)
        }
        progress?(todo.last?.epoch ?? 0, done, total)
        let seconds = Date().timeIntervalSince(start)
        return PrecomputeSummary(
            recordsWritten: writer.recordsWritten, recordsSkipped: skipped,
            bytesPerRecord: writer.recordsWritten == 0 ? 0 : Double(writer.compressedBytesWritten) / Double(writer.recordsWritten),
            seconds: seconds, recordsPerSecond: Double(done) / max(seconds, 1e-9), interrupted: stopped)
    }
}
