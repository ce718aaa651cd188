import Augment
import DetCore
import Dispatch
import Foundation
import Images
import Store

/// Settings of a ``Loader``.
public struct LoaderOptions: Sendable, Equatable {
    /// Rows per batch (per rank).
    public var batch: Int
    /// Order seed: an epoch's order is a function of (seed, epoch) only.
    public var seed: UInt64
    /// This rank and the number of ranks.
    public var rank: Int, world: Int
    /// Chunks whose records are shuffled together (the shuffle window; memory is window × chunk size).
    public var shuffleChunks: Int
    /// Drop the last partial batch of each rank (equal batch counts, as the reference's drop_last).
    public var dropLast: Bool
    /// Threads decoding and augmenting, and batches prepared ahead.
    public var workers: Int, prefetch: Int
    /// A file of sample keys to leave out (``SampleExclusion``), or nil.
    public var exclude: String?
    /// A class map file (``ClassMap``): targets are read in the dataset's classes; nil reads the
    /// teacher's.
    public var classMap: String?

    public init(batch: Int, seed: UInt64 = 0, rank: Int = 0, world: Int = 1, shuffleChunks: Int = 8, dropLast: Bool = true,
                workers: Int = 2, prefetch: Int = 2) {
        self.batch = batch
        self.seed = seed
        self.rank = rank
        self.world = world
        self.shuffleChunks = shuffleChunks
        self.dropLast = dropLast
        self.workers = workers
        self.prefetch = prefetch
    }
}

/// Streams a store's records as training batches: replays each record's augmentation from its seed
/// (bit-exact: the student sees the teacher's pixels), normalises, collates, prefetches.
///
/// **Order.** For training epoch t the loader reads stored epoch t mod E (stored epochs are reused in a
/// cycle when training runs longer than the store). Its chunks (all shards) are visited in an order
/// shuffled by (seed, t); consecutive groups of `shuffleChunks` chunks are decoded together and their
/// records shuffled by (seed, t, group). The result is one global sequence that depends only on (seed, t)
/// and the store, never on ranks or threads. Quality/memory: a window of W chunks of R records mixes
/// W·R records (8 × 4096 = 32k by default) while holding only their ids, seeds and targets; records
/// from far-apart parts of the dataset meet only through the chunk shuffle (like FFCV's quasi-random and
/// MosaicML's block shuffles). Precompute writes chunks in sample order, so a chunk is a contiguous
/// block of the dataset: ImageFolder classes are contiguous, and the chunk shuffle is what mixes them.
///
/// **Ranks.** Rank r takes global positions r, r + W, r + 2W, …, up to ⌊L / W⌋ positions, so every rank
/// has the same number of records; the last L mod W records of the global sequence (fewer than W) are
/// dropped, and with `dropLast` each rank's last partial batch too. Ranks are disjoint and, for W = 1,
/// cover everything.
///
/// **Resume.** A cursor (epoch, position) — the rank's records consumed — restarts the exact sequence of
/// batches an uninterrupted run gives; whole shuffle groups before the cursor are skipped from the chunk
/// table without decoding.
public final class Loader: @unchecked Sendable {
    /// The store (one file or shards).
    public let store: ShardedStore
    /// The dataset the store indexes.
    public let source: any ImageSource
    /// The augmentation policy the store was made with.
    public let policy: AugmentPolicy
    /// Channels of the images (as the teacher saw them).
    public let channels: Int
    /// Options.
    public let options: LoaderOptions
    /// Classes and entries per record of the targets handed out: the store's C and K, or with a class
    /// map the student's S and min(K, S).
    public var numClasses: Int { classMap?.studentClasses ?? store.metadata.numClasses }
    public var k: Int { classMap?.outputK(storeK: store.metadata.topK) ?? store.metadata.topK }
    /// The class map targets go through (`options.classMap`), or nil.
    public let classMap: ClassMap?
    /// Epochs the store holds completely (the reuse cycle length).
    public let storedEpochs: Int
    private let renderer: BatchRenderer

    /// Opens `storePaths` against dataset `data`. Refused: a dataset whose fingerprint differs from the
    /// store's, a policy whose hash this build does not reproduce, a store without images.
    /// The samples left out (`options.exclude`), and per stored epoch the samples without a record (recorded
    /// failures), so that the records a chunk keeps are counted without decoding it.
    public let exclusion: SampleExclusion?
    private let failed: [Int: Set<Int>]

    public init(storePaths: [String], data: String, options: LoaderOptions) throws(PipelineError) {
        try Settings.checkBatch(options.batch)
        try Settings.checkShard(rank: options.rank, world: options.world)
        try Settings.checkThreads(options.workers, field: "workers")
        try Settings.checkPositive(options.shuffleChunks, field: "shuffleChunks")
        try Settings.checkPositive(options.prefetch, field: "prefetch")
        let store: ShardedStore
        do { store = try ShardedStore(paths: storePaths) } catch { throw .store(error) }
        let meta = store.metadata
        guard let policyJSON = meta.policy, let stored = meta.policyHash else {
            throw .invalid(field: "store", value: storePaths.joined(separator: " "),
                             why: "the store was made without images (synthetic:N data); there is nothing to replay")
        }
        let policy: AugmentPolicy
        do { policy = try AugmentPolicy.parse(Array(policyJSON.utf8), source: "store policy") } catch {
            throw .failed("the store's augmentation policy does not parse in this build: \(error.description)")
        }
        guard policy.hash == stored else {
            throw .failed("the store's policy hash is \(stored) but this build computes \(policy.hash) for it: replay would not be exact; use the tinydistill version that wrote the store")
        }
        let source = try DataSource.open(data)
        // Names first: when the teacher's are known, a dataset in another class order is named as such.
        // A class map says how the two relate instead.
        if let path = options.classMap {
            classMap = try ClassMap(path: path, metadata: meta, source: source)
        } else {
            classMap = nil
            if let names = meta.teacher.classNames { try TeacherClassNames.compare(teacher: names, source: source, data: data) }
        }
        let fingerprint = source.fingerprint
        guard fingerprint == meta.dataset.fingerprint else {
            throw .invalid(field: "data", value: data,
                             why: "its fingerprint \(fingerprint) differs from the store's \(meta.dataset.fingerprint) (made from \(meta.dataset.source)): not the dataset the store indexes")
        }
        let epochs: [EpochSummary]
        do { epochs = try store.epochs() } catch { throw .store(error) }
        let complete = epochs.filter { $0.records > 0 }.map(\.epoch).sorted()
        guard let last = complete.last, complete == Array(0...last) else {
            throw .failed("the store has no records, or its epochs are not 0…n (found \(complete)); finish precompute first")
        }
        self.store = store
        self.source = source
        self.policy = policy
        self.channels = meta.teacher.inputChannels ?? 3
        self.options = options
        self.storedEpochs = last + 1
        self.renderer = BatchRenderer(source: source, policy: policy, channels: meta.teacher.inputChannels ?? 3,
                                      content: .planes, workers: options.workers)
        exclusion = try options.exclude.map { path throws(PipelineError) in try SampleExclusion(path: path, source: source) }
        var failed: [Int: Set<Int>] = [:]
        if exclusion != nil {
            do { for f in try store.failures() { failed[f.epoch, default: []].insert(f.sampleID) } } catch { throw .store(error) }
        }
        self.failed = failed
    }

    /// The stored epoch training epoch `epoch` reads.
    public func storedEpoch(for epoch: Int) -> Int { epoch % storedEpochs }

    /// One chunk of the plan: its shard, chunk id and record count.
    struct PlannedChunk { var shard: Int, chunk: Int, count: Int }

    /// The epoch's chunks in visiting order, grouped into shuffle windows.
    func plan(epoch: Int) throws(PipelineError) -> [[PlannedChunk]] {
        let se = storedEpoch(for: epoch)
        var chunks: [PlannedChunk] = []
        do {
            for (s, reader) in store.readers.enumerated() {
                let shard = reader.metadata.shard
                for info in try reader.chunks(epoch: se) {
                    // A chunk holds every sample of its shard in [min, max] that has no recorded failure.
                    let left = exclusion?.count(in: info.minSample, info.maxSample) { x in
                        x % shard.world == shard.rank && !(self.failed[se]?.contains(x) ?? false)
                    } ?? 0
                    chunks.append(PlannedChunk(shard: s, chunk: info.chunk, count: info.recordCount - left))
                }
            }
        } catch {
            throw .store(error)
        }
        var rng = SplitMix(seed: SplitMix64.mix(options.seed ^ SplitMix64.mix(UInt64(epoch) &+ 0xC4A0)))
        for i in stride(from: chunks.count - 1, to: 0, by: -1) { chunks.swapAt(i, rng.below(i + 1)) }
        return stride(from: 0, to: chunks.count, by: options.shuffleChunks).map {
            Array(chunks[$0..<min(chunks.count, $0 + options.shuffleChunks)])
        }
    }

    /// Records in the epoch's global sequence.
    public func recordCount(epoch: Int) throws(PipelineError) -> Int {
        try plan(epoch: epoch).joined().reduce(0) { $0 + $1.count }
    }

    /// Records this rank reads in `epoch` (⌊L / world⌋).
    public func rankRecords(epoch: Int) throws(PipelineError) -> Int { try recordCount(epoch: epoch) / options.world }

    /// Batches this rank gets in `epoch`.
    public func batchCount(epoch: Int) throws(PipelineError) -> Int {
        let n = try rankRecords(epoch: epoch)
        return options.dropLast ? n / options.batch : (n + options.batch - 1) / options.batch
    }

    /// The batches of `epoch` from rank-local `position` (a multiple of the batch size to resume exactly).
    public func batches(epoch: Int, from position: Int = 0) throws(PipelineError) -> BatchStream {
        try BatchStream(loader: self, epoch: epoch, start: position)
    }

    /// Streams batches with prefetching; `next()` blocks until the next batch is ready.
    ///
    /// A shuffle window is held as the columns of its chunks plus a shuffled permutation of their
    /// positions (no record objects), and the next window decodes in the background while the current
    /// one is handed out, so `next()` does not stop for a window's chunks.
    public final class BatchStream {
        let loader: Loader
        let epoch: Int
        private var groups: [[PlannedChunk]]
        private var groupIndex = 0            // the window `window` holds
        private var window = Window()
        private var windowOffset = 0          // global index of window.order[0]
        private var nextWindow: Background<Result<Window, PipelineError>>?
        private var nextGlobal: Int           // next global index this rank takes
        private var position: Int             // rank-local records handed out
        private let limit: Int                // rank-local records in the epoch
        private var pending: [Background<Result<LoaderBatch, PipelineError>>] = []
        /// Image storage this stream made; one held only here is free for the next batch.
        private var storages: [FloatStorage] = []
        /// Image storages allocated so far (a measure of reuse, for tests).
        private(set) var storagesMade = 0
        /// Seconds `next()` spent waiting for batches that were not ready.
        public private(set) var waitSeconds = 0.0

        init(loader: Loader, epoch: Int, start: Int) throws(PipelineError) {
            self.loader = loader
            self.epoch = epoch
            self.groups = try loader.plan(epoch: epoch)
            let total = groups.joined().reduce(0) { $0 + $1.count }
            let perRank = total / loader.options.world
            limit = loader.options.dropLast ? perRank - perRank % loader.options.batch : perRank
            position = min(start, limit)
            nextGlobal = position * loader.options.world + loader.options.rank
            // Skip whole windows before the cursor without decoding them.
            var offset = 0
            var first = 0
            while first < groups.count {
                let size = groups[first].reduce(0) { $0 + $1.count }
                if offset + size > nextGlobal { break }
                offset += size
                first += 1
            }
            windowOffset = offset
            groupIndex = first - 1            // no window loaded yet: `window` is empty
            if position < limit, first < groups.count { nextWindow = prefetch(first) }
            for _ in 0..<loader.options.prefetch { try schedule() }
        }

        /// The next batch, or nil at the end of the epoch.
        public func next() throws(PipelineError) -> LoaderBatch? {
            guard !pending.isEmpty else { return nil }
            let future = pending.removeFirst()
            let t0 = Date()
            let result = future.wait()
            waitSeconds += Date().timeIntervalSince(t0)
            try schedule()
            switch result {
            case .success(let batch): return batch
            case .failure(let error): throw error
            }
        }

        /// Takes the next batch's rows from the sequence and starts rendering them.
        private func schedule() throws(PipelineError) {
            let want = min(loader.options.batch, limit - position)
            guard want > 0 else { return }
            var rows = BatchRows(capacity: want, k: loader.k)
            while rows.count < want {
                let local = nextGlobal - windowOffset
                if local >= window.count {
                    guard try advance() else { break }
                    continue
                }
                rows.append(window, at: Int(window.order[local]))
                nextGlobal += loader.options.world
            }
            guard rows.count > 0 else { return }
            position += rows.count
            let loader = self.loader, epoch = self.epoch, position = self.position, frozen = rows
            let storage = freeStorage()
            pending.append(Background { loader.render(frozen, epoch: epoch, position: position, into: storage) })
        }

        /// Storage for the next batch: one of this stream's that no batch in flight or held by the
        /// caller uses any more, else a new one (kept for reuse while the pool is small).
        private func freeStorage() -> FloatStorage {
            for i in storages.indices where isKnownUniquelyReferenced(&storages[i]) { return storages[i] }
            let storage = FloatStorage(count: loader.batchFloats)
            storagesMade += 1
            if storages.count < loader.options.prefetch + 4 { storages.append(storage) }
            return storage
        }

        /// Moves to the next window (decoded in the background) and starts decoding the one after it;
        /// false at the end.
        private func advance() throws(PipelineError) -> Bool {
            guard groupIndex + 1 < groups.count else { return false }
            windowOffset += window.count
            groupIndex += 1
            let result = (nextWindow ?? prefetch(groupIndex)).wait()
            nextWindow = groupIndex + 1 < groups.count ? prefetch(groupIndex + 1) : nil
            switch result {
            case .success(let w): window = w
            case .failure(let error): throw error
            }
            return true
        }

        /// Decodes window `index` on a global queue.
        private func prefetch(_ index: Int) -> Background<Result<Window, PipelineError>> {
            let loader = self.loader, epoch = self.epoch, chunks = groups[index]
            return Background { loader.window(chunks, index: index, epoch: epoch) }
        }
    }

    /// One shuffle window: its chunks' columns, appended, and the shuffled positions of the records it
    /// keeps (excluded samples left out).
    struct Window: Sendable {
        var k = 0
        var sampleIDs: [UInt32] = [], seeds: [UInt64] = [], indices: [UInt32] = [], values: [Float] = []
        var order: [Int32] = []
        var count: Int { order.count }
    }

    /// Decodes window `index` of `epoch` (chunks `chunks`) and shuffles it by (seed, epoch, index).
    func window(_ chunks: [PlannedChunk], index: Int, epoch: Int) -> Result<Window, PipelineError> {
        var w = Window()
        w.k = k
        let se = storedEpoch(for: epoch)
        do throws(StoreError) {
            for c in chunks {
                var cols = try store.readers[c.shard].chunk(epoch: se, chunk: c.chunk)
                if let classMap { cols = classMap.apply(cols) }
                let base = w.sampleIDs.count
                for i in 0..<cols.count where !(exclusion?.contains(Int(cols.sampleIDs[i])) ?? false) {
                    w.order.append(Int32(base + i))
                }
                w.sampleIDs += cols.sampleIDs
                w.seeds += cols.seeds
                w.indices += cols.indices
                w.values += cols.values
            }
        } catch {
            return .failure(.store(error))
        }
        var rng = SplitMix(seed: SplitMix64.mix(options.seed ^ SplitMix64.mix(UInt64(epoch) << 20 ^ UInt64(index) &+ 0x5B1F)))
        for i in stride(from: w.order.count - 1, to: 0, by: -1) { w.order.swapAt(i, rng.below(i + 1)) }
        return .success(w)
    }

    /// The rows of one batch, with each record's K entries by descending probability (ties: lower
    /// class), gathered from a window's columns into arrays allocated once per batch.
    struct BatchRows: Sendable {
        let k: Int
        var sampleIDs: [Int] = [], seeds: [UInt64] = []
        var indices: [Int32] = [], values: [Float] = []
        private var scratch: [Int]
        var count: Int { sampleIDs.count }

        init(capacity: Int, k: Int) {
            self.k = k
            sampleIDs.reserveCapacity(capacity)
            seeds.reserveCapacity(capacity)
            indices.reserveCapacity(capacity * k)
            values.reserveCapacity(capacity * k)
            scratch = [Int](repeating: 0, count: k)
        }

        /// Appends the record at column position `p` of `w`.
        mutating func append(_ w: Window, at p: Int) {
            sampleIDs.append(Int(w.sampleIDs[p]))
            seeds.append(w.seeds[p])
            for q in 0..<k { scratch[q] = p * k + q }
            let better = { (a: Int, b: Int) -> Bool in w.values[a] != w.values[b] ? w.values[a] > w.values[b] : w.indices[a] < w.indices[b] }
            if k <= 64 {  // insertion sort: no allocation
                for i in 1..<max(1, k) {
                    let x = scratch[i]
                    var j = i
                    while j > 0 && better(x, scratch[j - 1]) { scratch[j] = scratch[j - 1]; j -= 1 }
                    scratch[j] = x
                }
            } else {
                scratch.sort(by: better)
            }
            for q in 0..<k {
                indices.append(Int32(w.indices[scratch[q]]))
                values.append(w.values[scratch[q]])
            }
        }
    }

    /// Floats of one full batch's images.
    var batchFloats: Int { options.batch * renderer.channels * renderer.side * renderer.side }  // 0 without images

    /// Renders `rows` into one batch (``BatchRenderer``, `workers` threads) with their targets, the
    /// images straight into `storage` (at least rows × channels × side² floats).
    func render(_ rows: BatchRows, epoch: Int, position: Int, into storage: FloatStorage) -> Result<LoaderBatch, PipelineError> {
        let n = rows.count
        let batch = RenderedBatch(capacity: n, channels: renderer.channels, side: renderer.side, content: .planes,
                                  planesElsewhere: true)
        renderer.render((0..<n).map { RenderItem(epoch: epoch, sample: rows.sampleIDs[$0], seed: rows.seeds[$0]) },
                        into: batch, planes: storage.buffer)
        if let (j, reason) = batch.firstError {
            return .failure(.failed("sample \(rows.sampleIDs[j]) (\(source.sample(rows.sampleIDs[j]).key)) no longer decodes: \(reason); the dataset changed since precompute"))
        }
        return .success(LoaderBatch(
            epoch: epoch, storedEpoch: storedEpoch(for: epoch), position: position, n: n, channels: channels,
            height: batch.side, width: batch.side, imageStorage: storage, k: k, indices: rows.indices, values: rows.values,
            labels: batch.labels[0..<n].map { Int64($0) }, sampleIDs: rows.sampleIDs, seeds: rows.seeds))
    }
}
