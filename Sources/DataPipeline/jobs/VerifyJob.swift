import Augment
import DetCore
import Foundation
import Images
import Store

/// `verify`: checks every chunk and record of a store (or shard set) and, with a teacher, that replayed
/// augmentations give the stored targets again.
///
/// The steps, in order: SQLite's own structure check per shard (``checkStructure``); every chunk and
/// record (``scanRecords``); completeness against the samples and recorded failures (``checkCoverage``);
/// the dataset fingerprint and the stored policy (``checkDataset``, ``storedPolicy``); and, with a
/// teacher, replay (``replayCheck``). Integrity problems are collected, not thrown, so one report lists
/// them all.
public enum VerifyJob {
    /// Runs the checks.
    /// - Parameters:
    ///   - data: the dataset (fingerprint check; needed for replay). Any source precompute accepts,
    ///     `synthetic:N` included.
    ///   - teacher, arch: the teacher to rerun (replay fidelity).
    ///   - sample: records to replay (random, seeded), or nil with `all` for every record.
    ///   - fused: run a built-in teacher fused or not; nil (the default) uses the setting the store records,
    ///     so a same-machine replay expects fp16-identical values.
    ///   - teachers: opens `teacher` (``SyntheticTeachers`` by default; the CLI gives the model teachers).
    ///     Without a teacher, verification needs no model library.
    ///   - classMap: a class map file (``ClassMap``) relating the teacher's classes to the dataset's: checked
    ///     against both instead of requiring the dataset to have the teacher's names.
    public static func run(paths: [String], data: String?, teacher: String?, arch: String?, sample: Int = 256, all: Bool = false,
                           batch: Int = 64, fused: Bool? = nil, classMap: String? = nil, teachers: any TeacherOpener = SyntheticTeachers(),
                           progress: ((String) -> Void)? = nil) throws(PipelineError) -> VerifyReport {
        try Settings.checkBatch(batch)
        let store: ShardedStore
        do { store = try ShardedStore(paths: paths) } catch { throw .store(error) }
        let meta = store.metadata
        var problems = Problems()
        checkStructure(store, &problems)
        let scan = try scanRecords(store, reservoir: sample, &problems, progress: progress)
        let coverage = checkCoverage(store, scan: scan, &problems)
        let source = try data.map { d throws(PipelineError) in try DataSource.open(d, defaultClasses: meta.numClasses) }
        let datasetState = checkDataset(source, data: data, meta: meta, classMap: classMap, &problems)
        let policy = storedPolicy(meta, &problems)
        var replay: VerifyReport.Replay?
        if let teacherSpec = teacher {
            guard let source, datasetState == "match" else {
                throw .invalid(field: "data", value: data ?? "(none)",
                               why: "replaying with the teacher \(teacherSpec) needs the dataset the store indexes")
            }
            guard policy != nil || !source.hasImages else {
                throw .invalid(field: "teacher", value: teacherSpec, why: "the store's augmentation policy is unusable (see its problem)")
            }
            var picks = scan.reservoir
            if all {
                picks = []
                for e in 0..<meta.epochs {
                    for s in 0..<meta.dataset.sampleCount where scan.seen[e].contains(s) { picks.append((e, s)) }
                }
            }
            picks.sort { ($0.epoch, $0.sample) < ($1.epoch, $1.sample) }
            replay = try replayCheck(store: store, source: source, policy: policy, teacherSpec: teacherSpec, arch: arch, teachers: teachers,
                                     picks: picks, batch: batch, fused: fused ?? meta.teacher.ranFused, progress: progress)
        }
        return VerifyReport(paths: store.paths, records: scan.records, chunks: scan.chunks, epochs: meta.epochs,
                            knownFailures: coverage.knownFailures, problems: problems.listed, problemCount: problems.count,
                            dataset: datasetState, replay: replay, complete: coverage.stillToCompute == 0,
                            missingRecords: coverage.stillToCompute, unfinishedSessions: coverage.unfinished,
                            ok: problems.count == 0, teacher: meta.teacher)
    }

    /// The problems found: the first 100 listed, all counted.
    struct Problems {
        private(set) var listed: [VerifyReport.Problem] = []
        private(set) var count = 0

        mutating func add(_ kind: String, _ detail: String) {
            count += 1
            if listed.count < 100 { listed.append(.init(kind: kind, detail: detail)) }
        }
    }

    /// SQLite's own structure check, per shard.
    static func checkStructure(_ store: ShardedStore, _ problems: inout Problems) {
        for r in store.readers {
            do {
                for line in try r.quickCheck() { problems.add("sqlite", "\(r.path): \(line)") }
            } catch {
                problems.add("sqlite", "\(r.path): \(error.description)")
            }
        }
    }

    /// What the record scan saw: per epoch the samples stored, counts, and a seeded reservoir of
    /// (epoch, sample) pairs for replay.
    struct Scan {
        var seen: [SampleSet]
        var records = 0, chunks = 0
        var reservoir: [(epoch: Int, sample: Int)] = []
    }

    /// Decodes every chunk and checks every record: counts against the chunk rows, range and shard
    /// membership, duplicates, the seed scheme, classes and probabilities.
    static func scanRecords(_ store: ShardedStore, reservoir size: Int, _ problems: inout Problems,
                            progress: ((String) -> Void)?) throws(PipelineError) -> Scan {
        let meta = store.metadata
        let n = meta.dataset.sampleCount, epochs = meta.epochs
        var scan = Scan(seen: [SampleSet](repeating: SampleSet(capacity: n), count: epochs))
        var rng = SplitMix(seed: 0x7E41F1)
        for r in store.readers {
            let rank = r.metadata.shard.rank, rworld = r.metadata.shard.world
            let infos: [ChunkInfo]
            do { infos = try r.chunks() } catch { throw .store(error) }
            for info in infos {
                scan.chunks += 1
                let cols: RecordColumns
                do { cols = try r.chunk(epoch: info.epoch, chunk: info.chunk) } catch {
                    problems.add("corrupt-chunk", "\(r.path): epoch \(info.epoch) chunk \(info.chunk): \(error.description)")
                    continue
                }
                if cols.count != info.recordCount {
                    problems.add("chunk-mismatch", "\(r.path): epoch \(info.epoch) chunk \(info.chunk) holds \(cols.count) records, its row says \(info.recordCount)")
                }
                guard info.epoch >= 0, info.epoch < epochs else {
                    problems.add("bad-record", "\(r.path): chunk \(info.chunk) is in epoch \(info.epoch), outside 0..<\(epochs)")
                    continue
                }
                for i in 0..<cols.count {
                    let rec = cols.record(at: i)
                    scan.records += 1
                    let s = rec.sampleID
                    let at = "\(r.path): record (epoch \(rec.epoch), sample \(s))"
                    guard s >= 0, s < n else { problems.add("bad-record", "\(at): sample outside 0..<\(n)"); continue }
                    if s < info.minSample || s > info.maxSample { problems.add("chunk-mismatch", "\(at) outside its chunk's range") }
                    if s % rworld != rank { problems.add("bad-record", "\(at) does not belong to shard \(rank) of \(rworld)") }
                    if scan.seen[rec.epoch].contains(s) { problems.add("duplicate", "\(at) is stored twice") } else { _ = scan.seen[rec.epoch].insert(s) }
                    if rec.seed != SeedScheme.derive(runSeed: meta.runSeed, epoch: rec.epoch, sample: s) {
                        problems.add("seed", "\(at): seed 0x\(String(rec.seed, radix: 16)) is not \(meta.seedScheme)(run, epoch, sample)")
                    }
                    let mass = rec.probabilities.reduce(0, +)
                    if rec.indices.contains(where: { Int($0) >= meta.numClasses }) || rec.probabilities.contains(where: { !$0.isFinite || $0 < 0 })
                        || mass > 1.01 || Set(rec.indices).count != rec.indices.count {
                        problems.add("bad-record", "\(at): classes or probabilities out of range (mass \(mass))")
                    }
                    if scan.reservoir.count < size { scan.reservoir.append((rec.epoch, s)) } else {
                        let j = rng.below(scan.records)
                        if j < size { scan.reservoir[j] = (rec.epoch, s) }
                    }
                }
            }
            progress?("checked \(r.path): \(scan.records) records")
        }
        return scan
    }

    /// Completeness: known failures, unfinished sessions, records still to compute.
    struct Coverage {
        var knownFailures = 0
        var unfinished: [String] = []
        var stillToCompute = 0
    }

    /// Every (epoch, sample) of the shards present has a record or a recorded failure. A store whose
    /// last precompute session did not finish (killed, interrupted, disk full) is incomplete, not
    /// damaged: its missing samples are what a resume computes.
    static func checkCoverage(_ store: ShardedStore, scan: Scan, _ problems: inout Problems) -> Coverage {
        let meta = store.metadata
        var coverage = Coverage()
        var failures: [FailureInfo] = []
        do { failures = try store.failures() } catch { problems.add("sqlite", "failures table: \(error.description)") }
        coverage.knownFailures = failures.count
        let failed = Set(failures.map { "\($0.epoch):\($0.sampleID)" })
        let single = store.readers.count == 1
        let world = single ? store.readers[0].metadata.shard.world : 1
        let ranks = single ? [store.readers[0].metadata.shard.rank] : Array(0..<world)
        for r in store.readers {
            do {
                if let last = try r.sessions().last, last.status != "finished" { coverage.unfinished.append("\(r.path) (\(last.status))") }
            } catch { problems.add("sqlite", "\(r.path): sessions table: \(error.description)") }
        }
        for e in 0..<meta.epochs {
            var missing: [Int] = []
            var missingCount = 0
            for s in 0..<meta.dataset.sampleCount where ranks.contains(s % max(1, world)) && !scan.seen[e].contains(s) && !failed.contains("\(e):\(s)") {
                missingCount += 1
                if missing.count < 5 { missing.append(s) }
            }
            if missingCount > 0 && !coverage.unfinished.isEmpty {
                coverage.stillToCompute += missingCount
            } else if missingCount > 0 {
                problems.add("missing", "epoch \(e): \(missingCount) sample(s) have no record and no recorded failure (first: \(missing.map(String.init).joined(separator: ", "))); resume precompute to fill them")
            }
        }
        return coverage
    }

    /// "match", "mismatch" (a problem) or "not checked".
    static func checkDataset(_ source: (any ImageSource)?, data: String?, meta: StoreMetadata, classMap: String? = nil,
                             _ problems: inout Problems) -> String {
        guard let source, let data else { return "not checked" }
        if let classMap {
            do throws(PipelineError) { _ = try ClassMap(path: classMap, metadata: meta, source: source) } catch {
                problems.add("class-map", error.description)
            }
        } else if let names = meta.teacher.classNames {
            do throws(PipelineError) { try TeacherClassNames.compare(teacher: names, source: source, data: data) } catch {
                problems.add("class-names", error.description)
            }
        }
        guard source.fingerprint == meta.dataset.fingerprint else {
            problems.add("dataset", "\(data) has fingerprint \(source.fingerprint), the store \(meta.dataset.fingerprint)")
            return "mismatch"
        }
        return "match"
    }

    /// The store's policy, parsed and checked against its hash (nil for a store without images, or when
    /// it is unusable, which is a problem).
    static func storedPolicy(_ meta: StoreMetadata, _ problems: inout Problems) -> AugmentPolicy? {
        guard let json = meta.policy else { return nil }
        do {
            let p = try AugmentPolicy.parse(Array(json.utf8), source: "store policy")
            if p.hash != meta.policyHash { problems.add("policy", "the stored policy hashes to \(p.hash), the store says \(meta.policyHash ?? "none")") }
            return p
        } catch {
            problems.add("policy", "the stored policy does not parse: \(error.description)")
            return nil
        }
    }

    /// Reruns the teacher on the replayed pixels of `picks` and compares with the stored records.
    static func replayCheck(store: ShardedStore, source: any ImageSource, policy: AugmentPolicy?, teacherSpec: String, arch: String?,
                            teachers: any TeacherOpener,
                            picks: [(epoch: Int, sample: Int)], batch: Int, fused: Bool,
                            progress: ((String) -> Void)?) throws(PipelineError) -> VerifyReport.Replay {
        let meta = store.metadata
        let channels = meta.teacher.inputChannels ?? 3
        let teacher = try teachers.open(spec: teacherSpec, arch: arch, maxK: meta.topK,
                                             probe: (channels, policy?.outputSize ?? 1), fused: fused)
        guard teacher.numClasses == meta.numClasses else {
            throw .invalid(field: "teacher", value: teacherSpec, why: "it has \(teacher.numClasses) classes, the store \(meta.numClasses)")
        }
        let renderer = BatchRenderer(source: source, policy: policy, channels: channels, content: teacher.input,
                                     workers: ProcessInfo.processInfo.activeProcessorCount)
        let rendered = renderer.makeBatch(capacity: batch)
        var targets = TopKBatch(store: meta, capacity: batch)
        var agreement = ReplayAgreement(codec: meta.valueCodec, sampling: meta.targets)
        var dense: [Float] = []
        var scratch = SampledTargets.Scratch()
        var start = 0
        while start < picks.count {
            let chunk = picks[start..<min(picks.count, start + batch)]
            var records: [TargetRecord] = []
            for (e, s) in chunk {
                do {
                    if let r = try store.record(epoch: e, sample: s) { records.append(r) }
                } catch {
                    throw .store(error)
                }
            }
            renderer.render(records.map { RenderItem(epoch: $0.epoch, sample: $0.sampleID, seed: $0.seed) }, into: rendered)
            if let (j, reason) = rendered.firstError {
                throw .failed("sample \(records[j].sampleID) (\(source.sample(records[j].sampleID).key)): \(reason)")
            }
            if let sampling = meta.targets {
                // Sampled targets: redraw from the rerun's distribution and compare draw by draw.
                try teacher.probabilities(rendered, into: &dense)
                let c = meta.numClasses
                for (j, rec) in records.enumerated() {
                    let drawn = rec.drawnEntries
                    let result = dense.withUnsafeBufferPointer { d in
                        sampling.replay(probabilities: UnsafeBufferPointer(rebasing: d[(j * c)..<((j + 1) * c)]), seed: rec.seed,
                                        storedClasses: drawn.classes, storedCounts: drawn.counts, scratch: &scratch)
                    }
                    let fresh = (Array(scratch.classes[0..<scratch.length]), Array(scratch.values[0..<scratch.length]))
                    agreement.add(stored: rec, fresh: fresh, draws: result)
                }
            } else {
                try teacher.topK(rendered, into: &targets)
                for (j, rec) in records.enumerated() { agreement.add(stored: rec, fresh: targets.row(j)) }
            }
            start += chunk.count
            progress?("replayed \(agreement.records)/\(picks.count) records")
        }
        return agreement.report(fusedInference: teacher.metadata.fusedInference)
    }
}

/// Tallies how replayed targets agree with stored ones: top-1 on the stored precision (ties: the lower
/// class), the top-K class set, bit-identical fp16 values, and the largest probability difference.
struct ReplayAgreement {
    let codec: ValueCodec
    let sampling: SampledTargets?
    private(set) var records = 0
    private var top1 = 0, sets = 0, identical = 0
    private var maxDelta = 0.0
    private var drawsEqual = 0, differingDraws = 0
    private var maxDrawDistance = 0.0

    init(codec: ValueCodec, sampling: SampledTargets? = nil) {
        self.codec = codec
        self.sampling = sampling
    }

    /// A sampled record: its drawn entries against the redraw's, and how the draws differ.
    mutating func add(stored rec: TargetRecord, fresh: (indices: [UInt32], probabilities: [Float]),
                      draws: (differing: Int, maxDistance: Double)) {
        if draws.differing == 0 { drawsEqual += 1 }
        differingDraws += draws.differing
        maxDrawDistance = max(maxDrawDistance, draws.maxDistance)
        let drawn = rec.drawnEntries
        var stored = rec
        stored.indices = drawn.classes
        stored.probabilities = drawn.values
        add(stored: stored, fresh: fresh)
    }

    mutating func add(stored rec: TargetRecord, fresh: (indices: [UInt32], probabilities: [Float])) {
        // Sampled values at T = 1 are counts/N, not half values: compared as they are.
        let rounded = sampling.map { !$0.storesValues } ?? false ? fresh.probabilities : fresh.probabilities.map { Float(Float16($0)) }
        let new = Dictionary(uniqueKeysWithValues: zip(fresh.indices, rounded))
        let old = Dictionary(uniqueKeysWithValues: zip(rec.indices, rec.probabilities))
        func top(_ d: [UInt32: Float]) -> UInt32 { d.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }!.key }
        if top(new) == top(old) { top1 += 1 }
        if Set(new.keys) == Set(old.keys) { sets += 1 }
        if codec == .fp16 && new == old { identical += 1 }
        for (c, p) in old { if let q = new[c] { maxDelta = max(maxDelta, Double(abs(q - p))) } }
        records += 1
    }

    func report(fusedInference: Bool?) -> VerifyReport.Replay {
        let total = Double(max(records, 1))
        var replay = VerifyReport.Replay(
            records: records, top1Agreement: Double(top1) / total, topKSetAgreement: Double(sets) / total,
            identicalValues: Double(identical) / total, maxAbsDelta: maxDelta, fusedInference: fusedInference)
        if sampling != nil {
            replay.drawAgreement = Double(drawsEqual) / total
            replay.differingDraws = differingDraws
            replay.maxDrawDistance = maxDrawDistance
        }
        return replay
    }
}
