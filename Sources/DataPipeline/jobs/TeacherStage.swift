import DetCore
import Foundation
import Images
import Store

/// The precompute loop turned inside out: it hands out rendered batches and takes back each batch's
/// top-K, so that whoever runs the teacher (``PrecomputeJob`` with a libtorch or synthetic teacher, or a
/// caller's own model through the C ABI) writes the store through the same code.
///
/// Opening a stage opens (or resumes) the store and starts rendering the first batch. ``next()`` returns
/// the next batch of this shard's (epoch, sample) rows that the store does not hold, in (epoch, sample)
/// order, and starts rendering the one after it on `threads` threads: two batch buffers, allocated once,
/// alternate. ``write(_:)`` commits the outstanding batch, a record per rendered row and a failure per
/// row that could not be read. ``finish()`` closes the store, `finished` when every row was written and
/// `interrupted` otherwise, so that running the same options again resumes where it stopped. Settings
/// that differ from the store's are refused when it opens, as in `precompute`. Use from one thread.
///
/// A caller's teacher of unknown class count (neither given nor named) gets it from the first write of
/// logits or probabilities (``write(_:numClasses:)``): the store file is created then, after the checks
/// that need C (K, the labels, a class map). Until then ``metadata`` has `numClasses` 0.
public final class TeacherStage {
    /// The options.
    public let options: PrecomputeOptions
    /// The teacher the store records (a ``CallerTeacher`` when the caller computes the top-K).
    public let teacher: any Teacher
    /// The store's metadata (`numClasses` 0 until the first write tells a caller's teacher's class count).
    public private(set) var metadata: StoreMetadata
    /// The dataset.
    public var source: any ImageSource { renderer.source }
    /// Channels and side of the rendered images (0 for a dataset without images).
    public var channels: Int { renderer.channels }
    public var side: Int { renderer.side }
    /// Records this run has to write, and records the store already held.
    public var total: Int { work.total }
    public var skipped: Int { work.skipped }
    /// Rows of this run written so far (records and failures).
    public var done: Int { stats.done }
    /// Polled before each new batch starts rendering; once it returns true no new batch starts and
    /// ``next()`` returns the batches already rendering, then nil.
    public var shouldStop: () -> Bool = { false }

    /// The store being written; nil until the first write when the class count comes from it.
    private var writer: StoreWriter?
    private let setup: PrecomputeSetup
    private var work: WorkCursor
    private let renderer: BatchRenderer
    private let exclusion: SampleExclusion?
    private let buffers: [RenderedBatch]
    private var nextBuffer = 0
    private var pending: Background<RenderedBatch>?
    private var outstanding: RenderedBatch?
    private var handedOut = Date()
    private var stopping = false
    private var closed = false
    private var stats = RunStats()
    private let started = Date()

    /// What a run counted.
    struct RunStats {
        var done = 0, bad = 0
        var examples: [String] = []
        var teacherSeconds = 0.0
        var teacherImages = 0
        /// Records with a label, and those whose top-1 class is it.
        var labelled = 0, agreeing = 0
    }

    /// Opens the store of `options` for `teacher`, or when nil for the teacher `options.teacher` names,
    /// opened by `teachers` (``SyntheticTeachers`` by default; the CLI gives the model teachers).
    /// Refusals name the options field at fault.
    public init(options: PrecomputeOptions, teacher: (any Teacher)? = nil,
                teachers: any TeacherOpener = SyntheticTeachers()) throws(PipelineError) {
        try Self.validate(options)
        let setup = try PrecomputeSetup(options: options, teacher: teacher, teachers: teachers)
        self.options = options
        self.teacher = setup.teacher
        self.setup = setup
        metadata = setup.metadata
        exclusion = setup.exclusion
        renderer = BatchRenderer(source: setup.source, policy: setup.policy, channels: setup.channels,
                                 content: setup.teacher.input, workers: options.threads)
        buffers = [renderer.makeBatch(capacity: options.batch), renderer.makeBatch(capacity: options.batch)]
        let plan: WorkCursor.Plan
        if setup.metadata.numClasses > 0 {
            let writer = try Self.openWriter(setup.metadata, setup: setup, options: options)
            do {
                plan = try Self.plan(writer, options: options, count: setup.source.count, exclusion: setup.exclusion)
                try Self.recordExclusion(setup.exclusion, plan: plan, options: options, source: setup.source, writer: writer)
            } catch {
                try? writer.close(status: "interrupted")
                throw error
            }
            self.writer = writer
        } else {
            // A new store of unknown C: every row is to do; the file is created at the first write.
            guard !FileManager.default.fileExists(atPath: options.out) else {
                throw .invalid(field: "numClasses", value: "none",
                               why: "\(options.out) exists: give the class count its teacher was opened with (num_classes) to resume it")
            }
            plan = Self.plan(nothingStored: options, count: setup.source.count, exclusion: setup.exclusion)
        }
        work = WorkCursor(plan: plan, options: options, count: setup.source.count, exclusion: setup.exclusion)
        pending = start(work.next(options.batch))
    }

    /// The first epoch with work left (for progress).
    public var firstEpoch: Int { work.firstEpoch }

    /// Samples of this shard left out on purpose, per epoch.
    public var excludedSamples: Int {
        exclusion.map { e in e.samples.filter { $0 % options.world == options.rank }.count } ?? 0
    }

    /// The next rendered batch, or nil when the work is done or a stop was asked for. The previous
    /// batch must have been written. The batch stays valid until the next call.
    public func next() throws(PipelineError) -> RenderedBatch? {
        guard !closed else { throw .invalid(field: "stage", value: options.out, why: "the stage is closed") }
        guard outstanding == nil else {
            throw .invalid(field: "stage", value: options.out, why: "write the previous batch before asking for the next")
        }
        guard let current = pending?.wait() else {
            pending = nil
            return nil
        }
        if !stopping { stopping = shouldStop() }
        pending = start(stopping ? [] : work.next(options.batch))
        outstanding = current
        handedOut = Date()
        return current
    }

    /// The batch handed out by ``next()`` and not yet written, if any.
    public var current: RenderedBatch? { outstanding }

    /// Commits the outstanding batch with `targets` (row r of `targets` for row r of the batch):
    /// a record per rendered row, a failure per row that could not be rendered. `numClasses` is the class
    /// count the targets were selected from (the columns of the logits or probabilities); the first write
    /// of a stage whose teacher's count is unknown needs it, and any write must agree with the store's.
    public func write(_ targets: TopKBatch, numClasses: Int? = nil) throws(PipelineError) {
        guard !closed else { throw .invalid(field: "stage", value: options.out, why: "the stage is closed") }
        guard let batch = outstanding else {
            throw .invalid(field: "stage", value: options.out, why: "no batch is outstanding: call next() first")
        }
        if writer == nil {
            guard let numClasses else {
                throw .invalid(field: "numClasses", value: "none",
                               why: "the teacher's class count is not known yet: write logits or probabilities first (their columns give it), or give num_classes")
            }
            try takeClassCount(numClasses)
        }
        if let numClasses, numClasses != metadata.numClasses {
            throw .invalid(field: "numClasses", value: "\(numClasses)", why: "the store's teacher has \(metadata.numClasses) classes")
        }
        guard targets.sampling == metadata.targets else {
            throw .invalid(field: "targets", value: targets.sampling?.description ?? "topk:\(targets.k)",
                           why: "the store keeps \(metadata.targetKind) targets")
        }
        guard targets.k == metadata.topK, targets.capacity >= batch.count else {
            throw .invalid(field: "topK", value: "\(targets.k)", why: "the store keeps K = \(metadata.topK) entries for \(batch.count) rows")
        }
        if teacher.input != .pixelHash {
            stats.teacherSeconds += Date().timeIntervalSince(handedOut)
            stats.teacherImages += batch.count
        }
        try commit(batch, targets: targets)
        outstanding = nil
    }

    /// Closes the store (`finished` when every row was written, else `interrupted`) and summarises the run.
    public func finish() throws(PipelineError) -> PrecomputeSummary {
        guard !closed else { throw .invalid(field: "stage", value: options.out, why: "the stage is closed") }
        _ = pending?.wait()
        pending = nil
        closed = true
        let stopped = outstanding != nil || !work.isExhausted
        outstanding = nil
        do { try writer?.close(status: stopped ? "interrupted" : "finished") } catch { throw .store(error) }
        var result = summary(stopped: stopped, seconds: Date().timeIntervalSince(started))
        result.excludedSamples = excludedSamples
        return result
    }

    /// Closes the store as `interrupted` after an error (records already committed stay); a store error
    /// leaves the writer as it is.
    public func abort(after error: PipelineError? = nil) {
        guard !closed else { return }
        _ = pending?.wait()
        pending = nil
        closed = true
        outstanding = nil
        if case .store = error {} else { try? writer?.close(status: "interrupted") }
    }

    /// Whether the stage has been closed.
    public var isClosed: Bool { closed }

    private func start(_ items: [RenderItem]) -> Background<RenderedBatch>? {
        guard !items.isEmpty else { return nil }
        let batch = buffers[nextBuffer]
        nextBuffer ^= 1
        let renderer = self.renderer
        return Background { renderer.render(items, into: batch); return batch }
    }

    /// Writes a taught batch: a record per rendered row, a failure per row that could not be rendered.
    private func commit(_ batch: RenderedBatch, targets: TopKBatch) throws(PipelineError) {
        guard let writer else { throw .failed("\(options.out): the store is not open") }
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
                let label = batch.labels[r]
                if targets.sampling != nil {
                    let length = targets.lengths[r], base = r * targets.k
                    try targets.indices.withUnsafeBufferPointer { i throws(StoreError) in
                        try targets.counts.withUnsafeBufferPointer { c throws(StoreError) in
                            try targets.probabilities.withUnsafeBufferPointer { p throws(StoreError) in
                                try writer.appendSampled(
                                    epoch: item.epoch, sampleID: item.sample, seed: item.seed,
                                    classes: UnsafeBufferPointer(rebasing: i[base..<(base + length)]),
                                    counts: UnsafeBufferPointer(rebasing: c[base..<(base + length)]),
                                    values: UnsafeBufferPointer(rebasing: p[base..<(base + length)]))
                            }
                        }
                    }
                } else {
                    try targets.withRow(r) { i, p throws(StoreError) in
                        try writer.append(epoch: item.epoch, sampleID: item.sample, seed: item.seed, indices: i, probabilities: p)
                    }
                }
                let top = targets.top1(r)
                if label >= 0 {
                    stats.labelled += 1
                    if Int(top) == label { stats.agreeing += 1 }
                }
            }
        } catch {
            throw .store(error)
        }
        stats.done += batch.count
    }

    private func summary(stopped: Bool, seconds: Double) -> PrecomputeSummary {
        let isModel = teacher.input != .pixelHash
        let written = writer?.recordsWritten ?? 0
        var result = PrecomputeSummary(
            recordsWritten: written, recordsSkipped: work.skipped,
            bytesPerRecord: written == 0 ? 0 : Double(writer?.compressedBytesWritten ?? 0) / Double(written),
            seconds: seconds, recordsPerSecond: Double(stats.done) / max(seconds, 1e-9), interrupted: stopped,
            badSamples: stats.bad, badSampleExamples: stats.examples, teacherSeconds: stats.teacherSeconds,
            teacherImagesPerSecond: stats.teacherSeconds > 0 ? Double(stats.teacherImages) / stats.teacherSeconds : 0,
            overheadShare: isModel && seconds > 0 ? max(0, 1 - stats.teacherSeconds / seconds) : 0)
        if stats.labelled > 0 {
            let agreement = Double(stats.agreeing) / Double(stats.labelled)
            let meta = metadata.teacher
            result.teacherAgreement = agreement
            result.warning = TeacherAgreement.warning(agreement: agreement, classes: metadata.numClasses,
                                                      // Names compared, a map relating the label spaces, or the synthetic teacher: not asked.
                                                      named: meta.classNames != nil || meta.architecture == "synthetic" || options.classMap != nil,
                                                      recordedTop1: meta.recordedTop1, recordedOn: meta.recordedTop1Data)
        }
        return result
    }

    /// Opens (creating or resuming) the store of `metadata`.
    static func openWriter(_ metadata: StoreMetadata, setup: PrecomputeSetup, options: PrecomputeOptions) throws(PipelineError) -> StoreWriter {
        do {
            return try StoreWriter(path: options.out, metadata: metadata, samples: setup.samples,
                                   compressionLevel: options.compressionLevel, maxBytes: options.maxStoreBytes)
        } catch {
            throw .store(error)
        }
    }

    /// Takes the teacher's class count `c` when it was unknown (the first write calls it; a caller may
    /// call it before selecting its top-K): checks what needs C (K, the labels, a class map), then creates
    /// the store with it and records the exclusion. When C is known, refuses another count.
    public func takeClassCount(_ c: Int) throws(PipelineError) {
        guard writer == nil else {
            guard c == metadata.numClasses else {
                throw .invalid(field: "numClasses", value: "\(c)", why: "the store's teacher has \(metadata.numClasses) classes")
            }
            return
        }
        guard !closed else { throw .invalid(field: "stage", value: options.out, why: "the stage is closed") }
        guard c >= 2, c <= 1 << 24 else {
            throw .invalid(field: "numClasses", value: "\(c)", why: "a teacher has 2…16,777,216 classes")
        }
        try PrecomputeSetup.classesKnown(c, source: setup.source, teacherNames: nil, options: options)
        var meta = metadata
        meta.numClasses = c
        meta.topK = options.entries(classes: c)
        let writer = try Self.openWriter(meta, setup: setup, options: options)
        do {
            try Self.recordExclusion(setup.exclusion, plan: Self.plan(nothingStored: options, count: setup.source.count, exclusion: setup.exclusion),
                                     options: options, source: setup.source, writer: writer)
        } catch {
            try? writer.close(status: "interrupted")
            throw error
        }
        metadata = meta
        self.writer = writer
    }

    /// The settings every run checks before it opens anything.
    static func validate(_ options: PrecomputeOptions) throws(PipelineError) {
        try Settings.checkPositive(options.epochs, field: "epochs")
        try Settings.checkShard(rank: options.rank, world: options.world)
        try Settings.checkBatch(options.batch)
        try Settings.checkThreads(options.threads)
    }

    /// Records every excluded sample of this shard as a failure of each epoch still to do (reason
    /// `excluded by FILE`), so that `verify` and the loader know it has no record.
    static func recordExclusion(_ exclusion: SampleExclusion?, plan: WorkCursor.Plan, options: PrecomputeOptions,
                                source: any ImageSource, writer: StoreWriter) throws(PipelineError) {
        guard let exclusion else { return }
        let mine = exclusion.samples.filter { $0 % options.world == options.rank }
        var rows: [(epoch: Int, sampleID: Int, key: String?, reason: String)] = []
        for (e, _) in plan.epochs {
            for s in mine { rows.append((e, s, source.sample(s).key, "excluded by \(exclusion.path)")) }
        }
        do { try writer.recordFailures(rows) } catch { throw .store(error) }
    }

    /// The plan of a store that holds nothing yet: every epoch, every sample of this shard.
    static func plan(nothingStored o: PrecomputeOptions, count: Int, exclusion: SampleExclusion?) -> WorkCursor.Plan {
        let excluded = exclusion?.samples.filter { $0 % o.world == o.rank }.count ?? 0
        let share = (count - o.rank + o.world - 1) / o.world - excluded
        var plan = WorkCursor.Plan()
        for e in 0..<o.epochs where share > 0 {
            plan.epochs.append((e, SampleSet(capacity: count)))
            plan.total += share
        }
        return plan
    }

    /// What each epoch still needs, as the writer's stored-sample bitsets (not id lists), the records
    /// already stored and the records to do.
    static func plan(_ writer: StoreWriter, options o: PrecomputeOptions, count: Int,
                     exclusion: SampleExclusion?) throws(PipelineError) -> WorkCursor.Plan {
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
