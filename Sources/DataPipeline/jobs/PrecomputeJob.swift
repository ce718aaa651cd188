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
    /// The policy as inline JSON instead of a file (the C ABI's callers); at most one of the two.
    public var policyJSON: String?
    /// Epochs to produce.
    public var epochs: Int
    /// Entries per record of top-K targets (ignored with ``targets``).
    public var topK: Int
    /// Sampled targets (`--targets sample:N[:T]`) instead of the top K: each record keeps the distinct
    /// classes of N draws from the teacher's distribution with their counts (``SampledTargets``); nil
    /// for top-K records (the default). Recorded in the metadata; a resume must use the same kind.
    public var targets: SampledTargets?
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
    /// A file of the teacher's class names (``TeacherClassNames/load(path:count:field:)``), for a teacher
    /// that does not carry them: recorded in the store and compared with the dataset's names.
    public var teacherClasses: String?
    /// A class map file (``ClassMap``) relating the teacher's classes to the dataset's when they differ:
    /// checked, not applied (the store keeps the teacher's classes; readers apply the map).
    public var classMap: String?

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

extension PrecomputeOptions {
    /// The most entries a record can hold: K, or N draws' distinct classes (at most 1024 are asked of a
    /// teacher that generates its top entries).
    var maxEntries: Int { targets.map { min($0.draws, 1024) } ?? topK }

    /// Entries per record of a store whose teacher has C classes: K, or min(N, C) slots.
    func entries(classes: Int) -> Int { targets?.slots(numClasses: classes) ?? topK }
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
    /// The share of this run's labelled records whose top-1 class is their label (nil: none labelled),
    /// and the warning it gives (``TeacherAgreement``) for a teacher whose names are unknown.
    public var teacherAgreement: Double?
    public var warning: String?
}

/// The teacher stage run to the end: for every epoch and sample of this shard not yet stored, seed →
/// augmented pixels → teacher → top-K → store. Re-running the same options on an existing store resumes it.
///
/// The loop is a ``TeacherStage`` driven by the teacher `options.teacher` names: batches render on
/// `threads` threads while the teacher runs the previous one, and records are written in (epoch, sample)
/// order whatever the thread count, so the store's bytes do not depend on it. A caller with its own
/// teacher drives the same stage through the C ABI. A dataset without images (`synthetic:N`) runs the
/// same loop with the synthetic teacher reading each record's seed.
public final class PrecomputeJob {
    /// The options.
    public let options: PrecomputeOptions
    /// Progress callback: (epoch, records done in this run, records to do in this run).
    public var progress: ((Int, Int, Int) -> Void)?
    /// Polled between batches; when it returns true the job flushes, closes and stops.
    public var shouldStop: () -> Bool = { false }

    /// Opens the teacher `options.teacher` names.
    public let teachers: any TeacherOpener

    /// A job for `options`, whose teacher `teachers` opens (``SyntheticTeachers`` by default: the
    /// synthetic teacher only; the CLI gives `ModelJobs`' model teachers).
    public init(options: PrecomputeOptions, teachers: any TeacherOpener = SyntheticTeachers()) {
        self.options = options
        self.teachers = teachers
    }

    /// Runs the job.
    public func run() throws(PipelineError) -> PrecomputeSummary {
        let stage = try TeacherStage(options: options, teachers: teachers)
        stage.shouldStop = shouldStop
        var targets = TopKBatch(store: stage.metadata, capacity: options.batch)
        progress?(stage.firstEpoch, 0, stage.total)
        do {
            while let batch = try stage.next() {
                try stage.teacher.targets(batch, into: &targets)
                try stage.write(targets)
                progress?(batch.items.last!.epoch, stage.done, stage.total)
            }
        } catch {
            stage.abort(after: error)
            throw error
        }
        return try stage.finish()
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
