import Augment
import Checksum
import Dispatch
import Foundation
import Images
import Store

/// Settings of a precompute run (the `precompute` command's options).
public struct PrecomputeOptions: Sendable {
    /// Dataset spec: `synthetic:N[:C]` (no images), an ImageFolder root, `fashion-mnist:train|test` or
    /// `synthetic-images:N:WxHxC`.
    public var data: String
    /// Teacher spec: `synthetic:C`, safetensors weights of a built-in architecture, or a TorchScript file.
    public var teacher: String
    /// Architecture of safetensors teacher weights (nil: the file's recorded architecture).
    public var arch: String?
    /// Augmentation policy JSON file (nil: the TinyViT recipe at the teacher's input size).
    public var policy: String?
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
    /// Teacher batch size.
    public var batch: Int
    /// Threads for decoding/augmenting and for libtorch.
    public var threads: Int
    /// This writer's shard: samples s with s mod world == rank.
    public var rank: Int, world: Int
    /// A size budget for the store file in bytes (nil: none); reaching it stops the run like a full disk.
    public var maxStoreBytes: Int?
    /// Run a built-in teacher architecture fused (BatchNorm folded into convolutions; the default) or
    /// unfused. Recorded in the store's metadata; a resume must use the same setting.
    public var fusedTeacher: Bool = true

    /// Creates options.
    public init(
        data: String, teacher: String, arch: String? = nil, policy: String? = nil, epochs: Int, topK: Int,
        codec: ValueCodec = .fp16, seed: UInt64 = 0, out: String, chunkRecords: Int = 4096, compressionLevel: Int32 = 1,
        batch: Int = 64, threads: Int = 2, rank: Int = 0, world: Int = 1
    ) {
        self.data = data
        self.teacher = teacher
        self.arch = arch
        self.policy = policy
        self.epochs = epochs
        self.topK = topK
        self.codec = codec
        self.seed = seed
        self.out = out
        self.chunkRecords = chunkRecords
        self.compressionLevel = compressionLevel
        self.batch = batch
        self.threads = threads
        self.rank = rank
        self.world = world
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
    /// Samples that could not be read or decoded in this run (recorded in the store's failures table).
    public var badSamples: Int = 0
    /// The first few bad samples: "epoch:sample key: reason".
    public var badSampleExamples: [String] = []
    /// Seconds spent in the teacher's forward pass, and the teacher's images/s over that time.
    public var teacherSeconds: Double = 0
    public var teacherImagesPerSecond: Double = 0
    /// Share of wall time spent outside the teacher (decode, augment, top-K, store, waiting).
    public var overheadShare: Double = 0
}

/// The teacher stage: for every epoch and sample of this shard not yet stored, seed → augmented pixels
/// → teacher → top-K → store. Re-running the same options on an existing store resumes it.
///
/// With images, batches are decoded and augmented on `threads` threads while the teacher runs the
/// previous batch (two batches in flight: memory does not grow with the dataset). Records are written
/// in (epoch, sample) order whatever the thread count, so the store's bytes do not depend on it.
public final class PrecomputeJob {
    /// The options.
    public let options: PrecomputeOptions
    /// Progress callback: (epoch, records done in this run, records to do in this run).
    public var progress: ((Int, Int, Int) -> Void)?
    /// Polled between records; when it returns true the job flushes, closes and stops.
    public var shouldStop: () -> Bool = { false }

    /// A job for `options`.
    public init(options: PrecomputeOptions) { self.options = options }

    /// Runs the job.
    public func run() throws(PipelineError) -> PrecomputeSummary {
        let o = options
        guard o.epochs >= 1 else { throw PipelineError.badOption(option: "--epochs", value: "\(o.epochs)", why: "must be ≥ 1") }
        guard o.world >= 1, o.rank >= 0, o.rank < o.world else {
            throw PipelineError.badOption(option: "--rank", value: "\(o.rank)", why: "need 0 ≤ rank < world (world = \(o.world))")
        }
        guard o.batch >= 1, o.batch <= 4096 else { throw PipelineError.badOption(option: "--batch", value: "\(o.batch)", why: "must be in 1…4096") }
        guard o.threads >= 1, o.threads <= 256 else { throw PipelineError.badOption(option: "--threads", value: "\(o.threads)", why: "must be in 1…256") }
        if o.data.hasPrefix("synthetic:") {
            guard o.teacher.hasPrefix("synthetic:") else {
                throw PipelineError.badOption(option: "--data", value: o.data,
                                              why: "synthetic:N has no images for a model teacher; use synthetic-images:N:WxHxC, an ImageFolder or fashion-mnist")
            }
            return try runWithoutImages()
        }
        return try runImages()
    }

    // MARK: - synthetic dataset, synthetic teacher (no images)

    func runWithoutImages() throws(PipelineError) -> PrecomputeSummary {
        let o = options
        let teacher = try Teacher.open(spec: o.teacher, arch: nil, maxK: o.topK, probe: (3, 1))
        guard case .synthetic(let generator) = teacher.backend else { fatalError("unreachable") }
        let classes = teacher.numClasses
        let dataset = try SyntheticDataset(spec: o.data, defaultClasses: classes)
        guard dataset.numClasses <= classes else {
            throw PipelineError.badOption(option: "--data", value: o.data, why: "labels use \(dataset.numClasses) classes but the teacher has \(classes)")
        }
        try checkK(classes)
        let meta = StoreMetadata(
            numClasses: classes, topK: o.topK, valueCodec: o.codec, epochs: o.epochs, chunkRecords: o.chunkRecords,
            runSeed: o.seed, teacher: teacher.metadata,
            dataset: .init(source: o.data, sampleCount: dataset.count, fingerprint: dataset.fingerprint),
            shard: .init(rank: o.rank, world: o.world))
        let start = Date()
        let writer = try openWriter(meta, samples: dataset.sampleSequence)
        let (todo, skipped, total) = try plan(writer, count: dataset.count)
        var indices = [UInt32](repeating: 0, count: o.topK)
        var probs = [Float](repeating: 0, count: o.topK)
        var done = 0
        var stopped = false
        progress?(todo.first?.epoch ?? 0, 0, total)
        do {
            outer: for (e, stored) in todo {
                for s in stride(from: o.rank, to: dataset.count, by: o.world) where !stored.contains(s) {
                    let seed = SeedScheme.derive(runSeed: o.seed, epoch: e, sample: s)
                    generator.topK(seed: seed, label: dataset.label(s), indices: &indices, probabilities: &probs)
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

    // MARK: - images

    /// One batch of (epoch, sample) work items, rendered.
    final class Batch: @unchecked Sendable {
        let items: [(epoch: Int, sample: Int, seed: UInt64)]
        var planes: [Float]
        var pixelHashes: [UInt64]
        var errors: [String?]
        init(items: [(epoch: Int, sample: Int, seed: UInt64)], planeSize: Int) {
            self.items = items
            planes = [Float](repeating: 0, count: items.count * planeSize)
            pixelHashes = [UInt64](repeating: 0, count: items.count)
            errors = [String?](repeating: nil, count: items.count)
        }
    }

    func runImages() throws(PipelineError) -> PrecomputeSummary {
        let o = options
        let source = try DataSource.open(o.data)
        var policy: AugmentPolicy
        if let path = o.policy {
            guard let bytes = FileManager.default.contents(atPath: path) else {
                throw PipelineError.badOption(option: "--policy", value: path, why: "cannot read the file")
            }
            do { policy = try AugmentPolicy.parse([UInt8](bytes), source: path) } catch {
                throw PipelineError.badOption(option: "--policy", value: path, why: error.description)
            }
        } else {
            policy = .tinyViT(outputSize: 224)
        }
        // The first decodable sample tells the images' channels (TorchScript teachers take those).
        var firstChannels = 3
        for id in 0..<min(source.count, 64) {
            if let image = try? source.image(id) {
                firstChannels = image.channels
                break
            }
        }
        let teacher = try Teacher.open(spec: o.teacher, arch: o.arch, maxK: o.topK,
                                       probe: (firstChannels, o.policy == nil ? 224 : policy.outputSize), fused: o.fusedTeacher)
        if o.policy == nil, let size = teacher.requiredInputSize { policy = .tinyViT(outputSize: size) }
        if let size = teacher.requiredInputSize, size != policy.outputSize {
            throw PipelineError.badOption(option: "--policy", value: o.policy ?? "default",
                                          why: "its output size \(policy.outputSize) differs from the teacher's input size \(size)")
        }
        guard policy.mix == nil else {
            throw PipelineError.badOption(option: "--policy", value: o.policy ?? "default",
                                          why: "Mixup/CutMix (pair mode) is not supported by precompute yet; remove \"mix\"")
        }
        let classes = teacher.numClasses
        try checkK(classes)
        if let bad = (0..<source.count).first(where: { source.sample($0).label >= classes }) {
            throw PipelineError.badOption(option: "--data", value: o.data,
                                          why: "sample \(bad) has label \(source.sample(bad).label) but the teacher has \(classes) classes")
        }
        let channels = teacher.inputChannels ?? firstChannels
        var teacherMeta = teacher.metadata
        teacherMeta.inputChannels = channels
        let meta = StoreMetadata(
            numClasses: classes, topK: o.topK, valueCodec: o.codec, epochs: o.epochs, chunkRecords: o.chunkRecords,
            runSeed: o.seed, teacher: teacherMeta, policy: policy.canonicalJSON(), policyHash: policy.hash,
            dataset: .init(source: o.data, sampleCount: source.count, fingerprint: source.fingerprint),
            shard: .init(rank: o.rank, world: o.world))
        let start = Date()
        let samples = (0..<source.count).lazy.map { i -> SampleInfo in
            let s = source.sample(i)
            return SampleInfo(id: s.id, key: s.key, label: s.label)
        }
        let writer = try openWriter(meta, samples: samples)
        let (todo, skipped, total) = try plan(writer, count: source.count)
        let renderer = SampleRenderer(source: source, replay: Replay(policy: policy, channels: channels))
        let augmenter = Augmenter(policy: policy)
        let size = policy.outputSize
        let planeSize = channels * size * size
        let isModel: Bool
        if case .model = teacher.backend { isModel = true } else { isModel = false }
        let workers = o.threads

        // Work items in (epoch, sample) order, produced lazily batch by batch.
        var epochIndex = 0
        var cursor = o.rank
        func nextItems() -> [(epoch: Int, sample: Int, seed: UInt64)] {
            var items: [(epoch: Int, sample: Int, seed: UInt64)] = []
            while items.count < o.batch, epochIndex < todo.count {
                let (e, stored) = todo[epochIndex]
                if cursor >= source.count {
                    epochIndex += 1
                    cursor = o.rank
                    continue
                }
                if !stored.contains(cursor) {
                    items.append((e, cursor, SeedScheme.derive(runSeed: o.seed, epoch: e, sample: cursor)))
                }
                cursor += o.world
            }
            return items
        }
        @Sendable func render(_ items: [(epoch: Int, sample: Int, seed: UInt64)]) -> Batch {
            let batch = Batch(items: items, planeSize: isModel ? planeSize : 0)
            let per = (items.count + workers - 1) / workers
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                for j in (w * per)..<min(items.count, (w + 1) * per) {
                    let item = items[j]
                    do {
                        let (pixels, params) = try renderer.render(item.sample, seed: item.seed)
                        if isModel {
                            let planes = augmenter.normalized(pixels, params)
                            batch.planes.withUnsafeMutableBufferPointer { dst in
                                planes.withUnsafeBufferPointer { src in
                                    (dst.baseAddress! + j * planeSize).update(from: src.baseAddress!, count: planeSize)
                                }
                            }
                        } else {
                            batch.pixelHashes[j] = pixels.bytes.withUnsafeBytes { XXH64.hash($0, seed: item.seed) }
                        }
                    } catch {
                        batch.errors[j] = (error as? ImageError)?.description ?? "\(error)"
                    }
                }
            }
            return batch
        }

        var done = 0, bad = 0
        var examples: [String] = []
        var stopped = false
        var teacherSeconds = 0.0
        var teacherImages = 0
        var indices = [[UInt32]](repeating: [UInt32](repeating: 0, count: o.topK), count: o.batch)
        var probs = [[Float]](repeating: [Float](repeating: 0, count: o.topK), count: o.batch)
        progress?(todo.first?.epoch ?? 0, 0, total)
        var first = nextItems()
        var pending: Background<Batch>? = first.isEmpty ? nil : Background { [first] in render(first) }
        first = []
        do {
            while let current = pending?.wait() {
                let upcoming = shouldStop() ? [] : nextItems()
                pending = upcoming.isEmpty ? nil : Background { render(upcoming) }
                let n = current.items.count
                switch teacher.backend {
                case .model:
                    // Failed samples keep zero planes; their rows are discarded below.
                    let t0 = Date()
                    try teacher.topK(planes: current.planes, n: n, channels: channels, size: size,
                                     into: &indices, &probs)
                    teacherSeconds += Date().timeIntervalSince(t0)
                    teacherImages += n
                case .synthetic(let generator):
                    for j in 0..<n where current.errors[j] == nil {
                        generator.topK(seed: current.pixelHashes[j], label: source.sample(current.items[j].sample).label,
                                       indices: &indices[j], probabilities: &probs[j])
                    }
                }
                for j in 0..<n {
                    let item = current.items[j]
                    if let reason = current.errors[j] {
                        bad += 1
                        let key = source.sample(item.sample).key
                        if examples.count < 10 { examples.append("\(item.epoch):\(item.sample) \(key): \(reason)") }
                        try writer.recordFailure(epoch: item.epoch, sampleID: item.sample, key: key, reason: reason)
                        continue
                    }
                    try indices[j].withUnsafeBufferPointer { i throws(StoreError) in
                        try probs[j].withUnsafeBufferPointer { p throws(StoreError) in
                            try writer.append(epoch: item.epoch, sampleID: item.sample, seed: item.seed, indices: i, probabilities: p)
                        }
                    }
                }
                done += n
                progress?(current.items.last!.epoch, done, total)
                if pending == nil && shouldStop() && (epochIndex < todo.count) { stopped = true }
            }
            try writer.close(status: stopped ? "interrupted" : "finished")
        } catch let error as PipelineError {
            _ = pending?.wait()
            try? writer.close(status: "interrupted")
            throw error
        } catch let error as StoreError {
            _ = pending?.wait()
            throw .store(error)
        } catch {
            throw .badOption(option: "--out", value: o.out, why: "\(error)")
        }
        let seconds = Date().timeIntervalSince(start)
        return PrecomputeSummary(
            recordsWritten: writer.recordsWritten, recordsSkipped: skipped,
            bytesPerRecord: writer.recordsWritten == 0 ? 0 : Double(writer.compressedBytesWritten) / Double(writer.recordsWritten),
            seconds: seconds, recordsPerSecond: Double(done) / max(seconds, 1e-9), interrupted: stopped,
            badSamples: bad, badSampleExamples: examples, teacherSeconds: teacherSeconds,
            teacherImagesPerSecond: teacherSeconds > 0 ? Double(teacherImages) / teacherSeconds : 0,
            overheadShare: isModel && seconds > 0 ? max(0, 1 - teacherSeconds / seconds) : 0)
    }

    // MARK: - shared

    func checkK(_ classes: Int) throws(PipelineError) {
        guard options.topK >= 1, options.topK <= min(classes, 1024) else {
            throw PipelineError.badOption(option: "--topk", value: "\(options.topK)", why: "K must be in 1…min(C, 1024) (C = \(classes))")
        }
    }

    func openWriter(_ meta: StoreMetadata, samples: any Sequence<SampleInfo>) throws(PipelineError) -> StoreWriter {
        do {
            return try StoreWriter(path: options.out, metadata: meta, samples: samples, compressionLevel: options.compressionLevel,
                                   maxBytes: options.maxStoreBytes)
        } catch {
            throw .store(error)
        }
    }

    /// What each epoch still needs, as the writer's stored-sample bitsets (not id lists), the records
    /// already stored and the records to do.
    func plan(_ writer: StoreWriter, count: Int) throws(PipelineError) -> ([(epoch: Int, done: SampleSet)], Int, Int) {
        let o = options
        let share = (count - o.rank + o.world - 1) / o.world
        var todo: [(epoch: Int, done: SampleSet)] = []
        var skipped = 0, total = 0
        do {
            for e in 0..<o.epochs {
                let done = try writer.completedSamples(epoch: e)
                skipped += done.count
                if done.count < share {
                    todo.append((e, done))
                    total += share - done.count
                }
            }
        } catch {
            throw .store(error)
        }
        return (todo, skipped, total)
    }
}
