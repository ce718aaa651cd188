import Augment
import Checksum
import Foundation
import Images
import Store

/// `verify`: checks every chunk and record of a store (or shard set) and, with a teacher, that replayed
/// augmentations give the stored targets again.
public enum VerifyJob {
    /// Runs the checks.
    /// - Parameters:
    ///   - data: the dataset (fingerprint check; needed for replay).
    ///   - teacher, arch: the teacher to rerun (replay fidelity).
    ///   - sample: records to replay (random, seeded), or nil with `all` for every record.
    ///   - fused: run a built-in teacher fused or not; nil (the default) uses the setting the store records,
    ///     so a same-machine replay expects fp16-identical values.
    public static func run(paths: [String], data: String?, teacher: String?, arch: String?, sample: Int = 256, all: Bool = false,
                           batch: Int = 64, fused: Bool? = nil, progress: ((String) -> Void)? = nil) throws(PipelineError) -> VerifyReport {
        let store: ShardedStore
        do { store = try ShardedStore(paths: paths) } catch { throw .store(error) }
        let meta = store.metadata
        var problems: [VerifyReport.Problem] = []
        var problemCount = 0
        func problem(_ kind: String, _ detail: String) {
            problemCount += 1
            if problems.count < 100 { problems.append(.init(kind: kind, detail: detail)) }
        }
        // SQLite's own structure check, per shard.
        for r in store.readers {
            do {
                for line in try r.quickCheck() { problem("sqlite", "\(r.path): \(line)") }
            } catch {
                problem("sqlite", "\(r.path): \(error.description)")
            }
        }
        let n = meta.dataset.sampleCount
        let world = store.readers.count == 1 ? store.readers[0].metadata.shard.world : 1
        let epochs = meta.epochs
        var seen = [SampleSet](repeating: SampleSet(capacity: n), count: epochs)
        var records = 0, chunks = 0
        var stored: [(epoch: Int, sample: Int)] = []  // reservoir for replay picks
        var rng = SplitMix(seed: 0x7E41F1)
        for r in store.readers {
            let rank = r.metadata.shard.rank, rworld = r.metadata.shard.world
            let infos: [ChunkInfo]
            do { infos = try r.chunks() } catch { throw .store(error) }
            for info in infos {
                chunks += 1
                let cols: RecordColumns
                do { cols = try r.chunk(epoch: info.epoch, chunk: info.chunk) } catch {
                    problem("corrupt-chunk", "\(r.path): epoch \(info.epoch) chunk \(info.chunk): \(error.description)")
                    continue
                }
                if cols.count != info.recordCount {
                    problem("chunk-mismatch", "\(r.path): epoch \(info.epoch) chunk \(info.chunk) holds \(cols.count) records, its row says \(info.recordCount)")
                }
                guard info.epoch >= 0, info.epoch < epochs else {
                    problem("bad-record", "\(r.path): chunk \(info.chunk) is in epoch \(info.epoch), outside 0..<\(epochs)")
                    continue
                }
                for i in 0..<cols.count {
                    let rec = cols.record(at: i)
                    records += 1
                    let s = rec.sampleID
                    let at = "\(r.path): record (epoch \(rec.epoch), sample \(s))"
                    guard s >= 0, s < n else { problem("bad-record", "\(at): sample outside 0..<\(n)"); continue }
                    if s < info.minSample || s > info.maxSample { problem("chunk-mismatch", "\(at) outside its chunk's range") }
                    if s % rworld != rank { problem("bad-record", "\(at) does not belong to shard \(rank) of \(rworld)") }
                    if seen[rec.epoch].contains(s) { problem("duplicate", "\(at) is stored twice") } else { _ = seen[rec.epoch].insert(s) }
                    if rec.seed != SeedScheme.derive(runSeed: meta.runSeed, epoch: rec.epoch, sample: s) {
                        problem("seed", "\(at): seed 0x\(String(rec.seed, radix: 16)) is not \(meta.seedScheme)(run, epoch, sample)")
                    }
                    let mass = rec.probabilities.reduce(0, +)
                    if rec.indices.contains(where: { Int($0) >= meta.numClasses }) || rec.probabilities.contains(where: { !$0.isFinite || $0 < 0 })
                        || mass > 1.01 || Set(rec.indices).count != rec.indices.count {
                        problem("bad-record", "\(at): classes or probabilities out of range (mass \(mass))")
                    }
                    // Reservoir sample of (epoch, sample) for replay.
                    if stored.count < sample { stored.append((rec.epoch, s)) } else {
                        let j = rng.below(records)
                        if j < sample { stored[j] = (rec.epoch, s) }
                    }
                }
            }
            progress?("checked \(r.path): \(records) records")
        }
        var failures: [FailureInfo] = []
        do { failures = try store.failures() } catch { problem("sqlite", "failures table: \(error.description)") }
        let failed = Set(failures.map { "\($0.epoch):\($0.sampleID)" })
        let expectedWorld = store.readers.count == 1 ? world : 1
        let ranks = store.readers.count == 1 ? [store.readers[0].metadata.shard.rank] : Array(0..<expectedWorld)
        // A store whose last precompute session did not finish (killed, interrupted, disk full) is
        // incomplete, not damaged: its missing samples are what a resume computes.
        var unfinished: [String] = []
        for r in store.readers {
            do {
                if let last = try r.sessions().last, last.status != "finished" { unfinished.append("\(r.path) (\(last.status))") }
            } catch { problem("sqlite", "\(r.path): sessions table: \(error.description)") }
        }
        var stillToCompute = 0
        for e in 0..<epochs {
            var missing: [Int] = []
            var missingCount = 0
            for s in 0..<n where ranks.contains(s % max(1, expectedWorld)) && !seen[e].contains(s) && !failed.contains("\(e):\(s)") {
                missingCount += 1
                if missing.count < 5 { missing.append(s) }
            }
            if missingCount > 0 && !unfinished.isEmpty {
                stillToCompute += missingCount
            } else if missingCount > 0 {
                problem("missing", "epoch \(e): \(missingCount) sample(s) have no record and no recorded failure (first: \(missing.map(String.init).joined(separator: ", "))); resume precompute to fill them")
            }
        }
        var datasetState = "not checked"
        var source: (any ImageSource)?
        if let data {
            let s = try DataSource.open(data)
            source = s
            datasetState = s.fingerprint == meta.dataset.fingerprint ? "match" : "mismatch"
            if datasetState == "mismatch" {
                problem("dataset", "\(data) has fingerprint \(s.fingerprint), the store \(meta.dataset.fingerprint)")
            }
        }
        var policy: AugmentPolicy?
        if let json = meta.policy {
            do {
                let p = try AugmentPolicy.parse(Array(json.utf8), source: "store policy")
                if p.hash != meta.policyHash { problem("policy", "the stored policy hashes to \(p.hash), the store says \(meta.policyHash ?? "none")") }
                policy = p
            } catch {
                problem("policy", "the stored policy does not parse: \(error.description)")
            }
        }
        var replay: VerifyReport.Replay?
        if let teacherSpec = teacher {
            guard let source, datasetState == "match", let policy else {
                throw .badOption(option: "--teacher", value: teacherSpec,
                                 why: "replay needs --data with the store's dataset and a store made from images")
            }
            var picks = stored
            if all {
                picks = []
                for e in 0..<epochs { for s in 0..<n where seen[e].contains(s) { picks.append((e, s)) } }
            }
            picks.sort { ($0.epoch, $0.sample) < ($1.epoch, $1.sample) }
            replay = try replayCheck(store: store, source: source, policy: policy, teacherSpec: teacherSpec, arch: arch,
                                     picks: picks, batch: batch, fused: fused ?? meta.teacher.ranFused,
                                     progress: progress)
        }
        return VerifyReport(paths: store.paths, records: records, chunks: chunks, epochs: epochs, knownFailures: failures.count,
                            problems: problems, problemCount: problemCount, dataset: datasetState, replay: replay,
                            complete: stillToCompute == 0, missingRecords: stillToCompute, unfinishedSessions: unfinished,
                            ok: problemCount == 0)
    }

    static func replayCheck(store: ShardedStore, source: any ImageSource, policy: AugmentPolicy, teacherSpec: String, arch: String?,
                            picks: [(epoch: Int, sample: Int)], batch: Int, fused: Bool,
                            progress: ((String) -> Void)?) throws(PipelineError) -> VerifyReport.Replay {
        let meta = store.metadata
        let channels = meta.teacher.inputChannels ?? 3
        let teacher = try Teacher.open(spec: teacherSpec, arch: arch, maxK: meta.topK, probe: (channels, policy.outputSize),
                                       fused: fused)
        guard teacher.numClasses == meta.numClasses else {
            throw .badOption(option: "--teacher", value: teacherSpec, why: "it has \(teacher.numClasses) classes, the store \(meta.numClasses)")
        }
        let renderer = SampleRenderer(source: source, replay: Replay(policy: policy, channels: channels))
        let augmenter = Augmenter(policy: policy)
        let k = meta.topK, side = policy.outputSize
        var top1 = 0, sets = 0, identical = 0, done = 0
        var maxDelta = 0.0
        var start = 0
        while start < picks.count {
            let chunk = Array(picks[start..<min(picks.count, start + batch)])
            var planes: [Float] = []
            var hashes: [UInt64] = []
            var recs: [TargetRecord] = []
            var indices = [[UInt32]](repeating: [UInt32](repeating: 0, count: k), count: chunk.count)
            var probs = [[Float]](repeating: [Float](repeating: 0, count: k), count: chunk.count)
            for (e, s) in chunk {
                let rec: TargetRecord
                do {
                    guard let r = try store.record(epoch: e, sample: s) else { continue }
                    rec = r
                } catch {
                    throw .store(error)
                }
                do {
                    let (pixels, params) = try renderer.render(s, seed: rec.seed)
                    if case .synthetic = teacher.backend {
                        // The synthetic teacher hashes the augmented pixels (as precompute does).
                        hashes.append(pixels.bytes.withUnsafeBytes { XXH64.hash($0, seed: rec.seed) })
                    } else {
                        planes += augmenter.normalized(pixels, params)
                    }
                } catch {
                    throw .failed("sample \(s) (\(source.sample(s).key)): \(error.description)")
                }
                recs.append(rec)
            }
            if case .synthetic(let generator) = teacher.backend {
                for (j, rec) in recs.enumerated() {
                    generator.topK(seed: hashes[j], label: source.sample(rec.sampleID).label, indices: &indices[j], probabilities: &probs[j])
                }
            } else if !recs.isEmpty {
                try teacher.topK(planes: planes, n: recs.count, channels: channels, size: side, into: &indices, &probs)
            }
            for (j, rec) in recs.enumerated() {
                let fresh = Dictionary(uniqueKeysWithValues: zip(indices[j], probs[j].map { Float(Float16($0)) }))
                let old = Dictionary(uniqueKeysWithValues: zip(rec.indices, rec.probabilities))
                // Top-1 on the stored precision for both (ties: the lower class), so equal values agree.
                func top(_ d: [UInt32: Float]) -> UInt32 { d.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }!.key }
                let freshTop = top(fresh), oldTop = top(old)
                if freshTop == oldTop { top1 += 1 }
                if Set(fresh.keys) == Set(old.keys) { sets += 1 }
                if meta.valueCodec == .fp16 && fresh == old { identical += 1 }
                for (c, p) in old { if let q = fresh[c] { maxDelta = max(maxDelta, Double(abs(q - p))) } }
                done += 1
            }
            start += chunk.count
            progress?("replayed \(done)/\(picks.count) records")
        }
        let total = Double(max(done, 1))
        return .init(records: done, top1Agreement: Double(top1) / total, topKSetAgreement: Double(sets) / total,
                     identicalValues: Double(identical) / total, maxAbsDelta: maxDelta,
                     fusedInference: teacher.metadata.fusedInference)
    }
}
