import Augment
import DetCore
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
    /// A file of sample keys to leave out (``SampleExclusion``): recorded in the metadata and, per epoch,
    /// in the failures table; a resume must use the same exclusion.
    public var exclude: String?

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
    /// Samples of this shard left out on purpose (`exclude`), per epoch.
    public var excludedSamples: Int = 0
}

/// The teacher stage: for every epoch and sample of this shard not yet stored, seed → augmented pixels
/// → teacher → top-K → store. Re-running the same options on an existing store resumes it.
///
/// Batches are rendered on `threads` threads (``BatchRenderer``) while the teacher runs the previous
/// batch: two batch buffers, allocated once, alternate, so memory does not grow with the dataset.
/// Records are written in (epoch, sample) order whatever the thread count, so the store's bytes do not
/// depend on it. A dataset without images (`synthetic:N`) runs the same loop with the synthetic teacher
/// reading each record's seed.
public final class PrecomputeJob {
    /// The options.
    public let options: PrecomputeOptions
    /// Progress callback: (epoch, records done in this run, records to do in this run).
    public var progress: ((Int, Int, Int) -> Void)?
    /// Polled between batches; when it returns true the job flushes, closes and stops.
    public var shouldStop: () -> Bool = { false }

    /// A job for `options`.
    public init(options: PrecomputeOptions) { self.options = options }

    /// Runs the job.
    public func run() throws(PipelineError) -> PrecomputeSummary {
        try validate()
        let setup = try PrecomputeSetup(options: options)
        let start = Date()
        let writer = try openWriter(setup.metadata, samples: setup.samples)
        let plan = try plan(writer, count: setup.source.count, exclusion: setup.exclusion)
        try recordExclusion(setup.exclusion, plan: plan, source: setup.source, writer: writer)
        var work = WorkCursor(plan: plan, options: options, count: setup.source.count, exclusion: setup.exclusion)
        let renderer = BatchRenderer(source: setup.source, policy: setup.policy, channels: setup.channels,
                                     content: setup.teacher.input, workers: options.threads)
        var stats = RunStats()
        progress?(work.firstEpoch, 0, work.total)
        let stopped = try runBatches(&work, renderer: renderer, teacher: setup.teacher, writer: writer, stats: &stats)
        var result = summary(writer: writer, work: work, stats: stats, stopped: stopped,
                             seconds: Date().timeIntervalSince(start), teacher: setup.teacher)
        result.excludedSamples = setup.exclusion.map { e in e.samples.filter { $0 % options.world == options.rank }.count } ?? 0
        return result
    }

    /// Records every excluded sample of this shard as a failure of each epoch still to do (reason
    /// `excluded by FILE`), so that `verify` and the loader know it has no record.
    func recordExclusion(_ exclusion: SampleExclusion?, plan: WorkCursor.Plan, source: any ImageSource,
                         writer: StoreWriter) throws(PipelineError) {
        guard let exclusion else { return }
        let mine = exclusion.samples.filter { $0 % options.world == options.rank }
        var rows: [(epoch: Int, sampleID: Int, key: String?, reason: String)] = []
        for (e, _) in plan.epochs {
            for s in mine { rows.append((e, s, source.sample(s).key, "excluded by \(exclusion.path)")) }
        }
        do { try writer.recordFailures(rows) } catch { throw .store(error) }
    }

    /// The settings every run checks before it opens anything.
    func validate() throws(PipelineError) {
        try Settings.checkPositive(options.epochs, field: "epochs")
        try Settings.checkShard(rank: options.rank, world: options.world)
        try Settings.checkBatch(options.batch)
        try Settings.checkThreads(options.threads)
    }

    /// What a run counted.
    struct RunStats {
        var done = 0, bad = 0
        var examples: [String] = []
        var teacherSeconds = 0.0
        var teacherImages = 0
    }

    /// Renders, teaches and commits batch after batch until the work is done or `shouldStop` says so;
    /// returns whether it stopped early. The next batch renders in the background while the teacher runs.
    func runBatches(_ work: inout WorkCursor, renderer: BatchRenderer, teacher: any Teacher, writer: StoreWriter,
                    stats: inout RunStats) throws(PipelineError) -> Bool {
        let buffers = [renderer.makeBatch(capacity: options.batch), renderer.makeBatch(capacity: options.batch)]
        var nextBuffer = 0
        func start(_ items: [RenderItem]) -> Background<RenderedBatch>? {
            guard !items.isEmpty else { return nil }
            let batch = buffers[nextBuffer]
            nextBuffer ^= 1
            return Background { renderer.render(items, into: batch); return batch }
        }
        var targets = TopKBatch(k: options.topK, capacity: options.batch)
        var stopping = false  // latched: once asked to stop, no new batch starts
        var pending = start(work.next(options.batch))
        do {
            while let current = pending?.wait() {
                if !stopping { stopping = shouldStop() }
                pending = start(stopping ? [] : work.next(options.batch))
                let t0 = Date()
                try teacher.topK(current, into: &targets)
                if teacher.input == .planes {
                    stats.teacherSeconds += Date().timeIntervalSince(t0)
                    stats.teacherImages += current.count
                }
                try commit(current, targets: targets, source: renderer.source, writer: writer, stats: &stats)
                progress?(current.items.last!.epoch, stats.done, work.total)
            }
        } catch {
            _ = pending?.wait()
            if case .store = error {} else { try? writer.close(status: "interrupted") }
            throw error
        }
        let stopped = stopping && !work.isExhausted
        do { try writer.close(status: stopped ? "interrupted" : "finished") } catch { throw .store(error) }
        return stopped
    }

    /// Writes a taught batch: a record per rendered row, a failure per row that could not be rendered.
    func commit(_ batch: RenderedBatch, targets: TopKBatch, source: any ImageSource, writer: StoreWriter,
                stats: inout RunStats) throws(PipelineError) {
        do {
            for r in 0..<batch.count {
                let item = batch.items[r]
                if let reason = batch.errors[r] {
                    stats.bad += 1
                    let key = source.sample(item.sample).key
                    if stats.examples.count < 10 { stats.examples.append("\(item.epoch):\(item.sample) \(key): \(reason)") }
                    try writer.recordFailure(epoch: item.epoch, sampleID: item.sample, key: key, reason: reason)
                    continue
                }
                try targets.withRow(r) { i, p throws(StoreError) in
                    try writer.append(epoch: item.epoch, sampleID: item.sample, seed: item.seed, indices: i, probabilities: p)
                }
            }
        } catch {
            throw .store(error)
        }
        stats.done += batch.count
    }

    /// The run's summary.
    func summary(writer: StoreWriter, work: WorkCursor, stats: RunStats, stopped: Bool, seconds: Double,
                 teacher: any Teacher) -> PrecomputeSummary {
        let isModel = teacher.input == .planes
        return PrecomputeSummary(
            recordsWritten: writer.recordsWritten, recordsSkipped: work.skipped,
            bytesPerRecord: writer.recordsWritten == 0 ? 0 : Double(writer.compressedBytesWritten) / Double(writer.recordsWritten),
            seconds: seconds, recordsPerSecond: Double(stats.done) / max(seconds, 1e-9), interrupted: stopped,
            badSamples: stats.bad, badSampleExamples: stats.examples, teacherSeconds: stats.teacherSeconds,
            teacherImagesPerSecond: stats.teacherSeconds > 0 ? Double(stats.teacherImages) / stats.teacherSeconds : 0,
            overheadShare: isModel && seconds > 0 ? max(0, 1 - stats.teacherSeconds / seconds) : 0)
    }

    func openWriter(_ meta: StoreMetadata, samples: some Sequence<Sample>) throws(PipelineError) -> StoreWriter {
        do {
            return try StoreWriter(path: options.out, metadata: meta, samples: samples, compressionLevel: options.compressionLevel,
                                   maxBytes: options.maxStoreBytes)
        } catch {
            throw .store(error)
        }
    }

    /// What each epoch still needs, as the writer's stored-sample bitsets (not id lists), the records
    /// already stored and the records to do.
    func plan(_ writer: StoreWriter, count: Int, exclusion: SampleExclusion?) throws(PipelineError) -> WorkCursor.Plan {
        let o = options
        let excluded = exclusion?.samples.filter { $0 % o.world == o.rank }.count ?? 0
        let share = (count - o.rank + o.world - 1) / o.world - excluded
        var plan = WorkCursor.Plan()
        do {
            for e in 0..<o.epochs {
                let done = try writer.completedSamples(epoch: e)
                plan.skipped += done.count
                if done.count < share {
                    plan.epochs.append((e, done))
                    plan.total += share - done.count
                }
            }
        } catch {
            throw .store(error)
        }
        return plan
    }
}

/// The (epoch, sample) rows a precompute run still has to compute, handed out batch by batch in
/// (epoch, sample) order: this shard's samples of each unfinished epoch that the store does not hold.
struct WorkCursor {
    /// Per unfinished epoch, the samples already stored; records already stored; records to do.
    struct Plan {
        var epochs: [(epoch: Int, done: SampleSet)] = []
        var skipped = 0, total = 0
    }

    let plan: Plan
    let runSeed: UInt64, rank: Int, world: Int, count: Int
    let exclusion: SampleExclusion?
    private var epochIndex = 0
    private var cursor: Int

    init(plan: Plan, options: PrecomputeOptions, count: Int, exclusion: SampleExclusion? = nil) {
        self.plan = plan
        self.exclusion = exclusion
        runSeed = options.seed
        rank = options.rank
        world = options.world
        self.count = count
        cursor = options.rank
    }

    var skipped: Int { plan.skipped }
    var total: Int { plan.total }
    var firstEpoch: Int { plan.epochs.first?.epoch ?? 0 }
    /// Whether every row has been handed out.
    var isExhausted: Bool { epochIndex >= plan.epochs.count }

    /// Up to `limit` next rows.
    mutating func next(_ limit: Int) -> [RenderItem] {
        var items: [RenderItem] = []
        while items.count < limit, epochIndex < plan.epochs.count {
            let (e, stored) = plan.epochs[epochIndex]
            if cursor >= count {
                epochIndex += 1
                cursor = rank
                continue
            }
            if !stored.contains(cursor) && !(exclusion?.contains(cursor) ?? false) {
                items.append(RenderItem(epoch: e, sample: cursor, seed: SeedScheme.derive(runSeed: runSeed, epoch: e, sample: cursor)))
            }
            cursor += world
        }
        return items
    }
}
