import CTinyDistill
import Foundation
import DataPipeline
import Store

/// A teacher stage opened through the C ABI, with the columns of the batch it has handed out.
final class StageHandle {
    let stage: TeacherStage
    var targets: TopKBatch
    var epochs: [Int64] = [], sampleIDs: [Int64] = [], seeds: [UInt64] = [], labels: [Int64] = [], valid: [UInt8] = []

    init(_ stage: TeacherStage) {
        self.stage = stage
        targets = TopKBatch(k: stage.options.targets == nil ? stage.options.topK : max(stage.metadata.topK, 1),
                            capacity: stage.options.batch, sampling: stage.options.targets)
    }

    /// The targets' storage for the store's K and kind (a sampled store's slots min(N, C) are known
    /// once C is).
    func prepareTargets() {
        let meta = stage.metadata
        if targets.k != meta.topK || targets.sampling != meta.targets {
            targets = TopKBatch(store: meta, capacity: stage.options.batch)
        }
    }

    deinit { if !stage.isClosed { stage.abort() } }

    static let keys: Set<String> = [
        "out", "data", "teacher", "policy", "policy_json", "topk", "epochs", "seed", "codec", "rank", "world", "batch_size",
        "threads", "chunk_records", "compression_level", "exclude", "class_map", "max_store_bytes", "pixels", "targets",
    ]

    /// The stage `json` describes.
    static func open(_ json: UnsafePointer<CChar>?) throws(ABIFailure) -> StageHandle {
        let fn = "tinydistill_stage_open"
        let o = try ABIOptions(json, function: fn, keys: keys)
        guard let t = try o.object("teacher") else {
            throw .invalid("teacher: required by \(fn): {\"name\", \"digest\", \"num_classes\" or \"class_names\"[, \"channels\"]}")
        }
        let to = try ABIOptions(object: t, name: "teacher", function: fn,
                                keys: ["name", "digest", "num_classes", "class_names", "channels"])
        let pixels: TeacherInput
        switch try o.string("pixels") ?? "float32" {
        case "float32": pixels = .planes
        case "uint8": pixels = .pixels
        case let other: throw .invalid("pixels \"\(other)\": give \"float32\" (normalised NCHW) or \"uint8\" (NHWC before normalisation)")
        }
        let codec: ValueCodec
        switch try o.string("codec") ?? "fp16" {
        case "fp16": codec = .fp16
        case "q8": codec = .q8
        case let other: throw .invalid("codec \"\(other)\": give \"fp16\" or \"q8\"")
        }
        let spec: TargetSpec
        let targetsText = try o.string("targets") ?? "topk"
        do throws(PipelineError) { spec = try TargetSpec(parsing: targetsText) } catch { throw ABIFailure(error) }
        var topK: Int
        switch spec {
        case .topK(let k?): topK = k
        case .topK(nil): topK = try o.requiredInt("topk")
        case .sample: topK = try o.int("topk") ?? 0
        }
        if case .topK(let k?) = spec, let given = try o.int("topk"), given != k {
            throw .invalid("topk \(given) differs from targets \"topk:\(k)\"; give K once")
        }
        if spec.sampled != nil, try o.int("topk") != nil {
            throw .invalid("topk: sampled targets keep the drawn classes, not the top K; leave topk out")
        }
        let name = try to.requiredString("name"), digest = try to.requiredString("digest")
        let classes = try to.int("num_classes"), channels = try to.int("channels"), names = try to.strings("class_names")
        var options = PrecomputeOptions(
            data: try o.requiredString("data"), teacher: "caller", epochs: try o.requiredInt("epochs"),
            topK: topK, codec: codec, seed: try o.seed("seed") ?? 0, out: try o.requiredString("out"),
            chunkRecords: try o.int("chunk_records") ?? 4096, compressionLevel: Int32(clamping: try o.int("compression_level") ?? 1),
            batch: try o.int("batch_size") ?? 64, threads: try o.int("threads") ?? 2,
            rank: try o.int("rank") ?? 0, world: try o.int("world") ?? 1)
        options.policy = try o.string("policy")
        options.policyJSON = try o.string("policy_json")
        options.exclude = try o.string("exclude")
        options.classMap = try o.string("class_map")
        options.maxStoreBytes = try o.int("max_store_bytes")
        options.targets = spec.sampled
        do throws(PipelineError) {
            // Without a class count or names, a store being resumed gives it; a new one takes it from the first write.
            var known = classes
            if known == nil, names == nil, FileManager.default.fileExists(atPath: options.out) {
                do throws(StoreError) { known = try StoreReader(path: options.out).metadata.numClasses } catch { throw .store(error) }
            }
            let teacher = try CallerTeacher(name: name, digest: digest, numClasses: known, channels: channels, pixels: pixels,
                                            classNames: names)
            return StageHandle(try TeacherStage(options: options, teacher: teacher))
        } catch {
            throw ABIFailure(error)
        }
    }

    /// Checks a write of `rows` rows against the outstanding batch.
    func batchForWrite(rows: Int64, function: String) throws(ABIFailure) -> RenderedBatch {
        guard !stage.isClosed else { throw .state("\(function): the stage is closed") }
        guard let batch = stage.current else { throw .state("\(function): no batch is outstanding; call tinydistill_stage_next first") }
        guard rows == batch.count else {
            throw .invalid("\(function): \(rows) rows written for a batch of \(batch.count); write one row per row of the batch")
        }
        return batch
    }

    /// Fills the first `rows` rows of the targets by `select` over each row of `input` (rows × `classes`),
    /// in place (the storage is moved out for the fill, so its two arrays can be written together).
    func selectRows(_ rows: Int, classes c: Int, from input: UnsafePointer<Float>,
                    _ select: (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<UInt32>, UnsafeMutableBufferPointer<Float>) -> Void) {
        prepareTargets()
        var t = targets
        targets = TopKBatch(k: t.k, capacity: 0)
        let k = t.k
        t.indices.withUnsafeMutableBufferPointer { idx in
            t.probabilities.withUnsafeMutableBufferPointer { prob in
                for r in 0..<rows {
                    select(UnsafeBufferPointer(start: input + r * c, count: c),
                           UnsafeMutableBufferPointer(rebasing: idx[(r * k)..<((r + 1) * k)]),
                           UnsafeMutableBufferPointer(rebasing: prob[(r * k)..<((r + 1) * k)]))
                }
            }
        }
        targets = t
    }

    /// Draws the first `rows` rows of sampled targets from the distributions `fill` writes (rows × `classes`,
    /// class order) under each row's seed; rows that could not be rendered are skipped.
    func drawRows(_ rows: Int, classes c: Int, valid: [Bool], fill: (UnsafeMutableBufferPointer<Float>) -> Void) {
        prepareTargets()
        if targets.dense.count < rows * c { targets.dense = [Float](repeating: 0, count: rows * c) }
        targets.dense.withUnsafeMutableBufferPointer { d in fill(UnsafeMutableBufferPointer(rebasing: d[0..<(rows * c)])) }
        targets.drawDense(rows: rows, numClasses: c, seeds: Array(seeds[0..<rows]), skip: valid.map { !$0 })
    }

    func commit(numClasses: Int? = nil) throws(ABIFailure) {
        do throws(PipelineError) { try stage.write(targets, numClasses: numClasses) } catch { throw ABIFailure(error) }
    }

    /// The class count of a write of `columns` columns: the store's, which the columns must match, or when
    /// the teacher's was unknown, taken from them (``TeacherStage/takeClassCount(_:)``).
    func classes(_ columns: Int64, _ what: String) throws(ABIFailure) -> Int {
        if stage.metadata.numClasses == 0 {
            guard columns >= 2, columns <= 1 << 24 else { throw .invalid("\(what): \(columns) columns; a teacher has 2…16,777,216 classes") }
            do throws(PipelineError) { try stage.takeClassCount(Int(columns)) } catch { throw ABIFailure(error) }
        }
        let c = stage.metadata.numClasses
        guard columns == c else { throw .invalid("\(what): \(columns) columns, but the teacher has \(c) classes") }
        return c
    }
}

@_cdecl("tinydistill_stage_open")
public func stageOpen(_ json: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded { () throws(ABIFailure) in
        let out = try required(out, "out", in: "tinydistill_stage_open")
        out.pointee = nil
        out.pointee = retained(try StageHandle.open(json))
    }
}

@_cdecl("tinydistill_stage_free")
public func stageFree(_ stage: OpaquePointer?) { release(stage, as: StageHandle.self) }

@_cdecl("tinydistill_stage_info")
public func stageInfo(_ handle: OpaquePointer?, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded { () throws(ABIFailure) in
        let fn = "tinydistill_stage_info"
        let h = try object(handle, as: StageHandle.self, "stage", in: fn)
        let json = try required(json, "json", in: fn)
        let s = h.stage
        let info: [String: Any] = [
            "num_classes": s.metadata.numClasses, "topk": s.metadata.topK, "channels": s.channels, "height": s.side, "width": s.side,
            "pixels": s.teacher.input == .pixels ? "uint8" : "float32", "total": s.total, "skipped": s.skipped,
            "batch_size": s.options.batch, "metadata": jsonObject(s.metadata),
        ]
        json.pointee = cString(jsonString(info))
    }
}

@_cdecl("tinydistill_stage_next")
public func stageNext(_ handle: OpaquePointer?, _ hasBatch: UnsafeMutablePointer<Int32>?,
                      _ view: UnsafeMutablePointer<tinydistill_stage_batch>?) -> Int32 {
    guarded { () throws(ABIFailure) in
        let fn = "tinydistill_stage_next"
        let h = try object(handle, as: StageHandle.self, "stage", in: fn)
        let hasBatch = try required(hasBatch, "has_batch", in: fn), view = try required(view, "batch", in: fn)
        hasBatch.pointee = 0
        let next: RenderedBatch?
        do throws(PipelineError) { next = try h.stage.next() } catch { throw ABIFailure(error) }
        guard let batch = next else { return }
        let n = batch.count
        h.epochs = batch.items.map { Int64($0.epoch) }
        h.sampleIDs = batch.items.map { Int64($0.sample) }
        h.seeds = batch.items.map(\.seed)
        h.labels = batch.labels[0..<n].map { Int64($0) }
        h.valid = batch.errors[0..<n].map { $0 == nil ? 1 : 0 }
        let pixels: UnsafeRawPointer?
        switch batch.content {
        case .planes: pixels = batch.planes.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
        case .pixels: pixels = batch.pixels.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
        case .pixelHash: pixels = nil
        }
        view.pointee = tinydistill_stage_batch(
            rows: Int64(n), channels: Int64(batch.channels), height: Int64(batch.side), width: Int64(batch.side),
            pixel_format: batch.content == .pixels ? TINYDISTILL_PIXELS_UINT8 : TINYDISTILL_PIXELS_FLOAT32, pixels: pixels,
            epochs: h.epochs.withUnsafeBufferPointer { $0.baseAddress }, sample_ids: h.sampleIDs.withUnsafeBufferPointer { $0.baseAddress },
            seeds: h.seeds.withUnsafeBufferPointer { $0.baseAddress }, labels: h.labels.withUnsafeBufferPointer { $0.baseAddress },
            valid: h.valid.withUnsafeBufferPointer { $0.baseAddress })
        hasBatch.pointee = 1
    }
}

@_cdecl("tinydistill_stage_write_logits")
public func stageWriteLogits(_ handle: OpaquePointer?, _ logits: UnsafePointer<Float>?, _ rows: Int64, _ classes: Int64) -> Int32 {
    guarded { () throws(ABIFailure) in
        let fn = "tinydistill_stage_write_logits"
        let h = try object(handle, as: StageHandle.self, "stage", in: fn)
        let logits = try required(logits, "logits", in: fn)
        let batch = try h.batchForWrite(rows: rows, function: fn)
        let c = try h.classes(classes, "logits")
        if h.stage.metadata.targets != nil {
            h.drawRows(batch.count, classes: c, valid: batch.errors[0..<batch.count].map { $0 == nil }) { out in
                for r in 0..<batch.count {
                    TopK.softmax(logits: UnsafeBufferPointer(start: logits + r * c, count: c),
                                 into: UnsafeMutableBufferPointer(rebasing: out[(r * c)..<((r + 1) * c)]))
                }
            }
        } else {
            h.selectRows(batch.count, classes: c, from: logits) { row, idx, prob in
                TopK.select(logits: row, indices: idx, probabilities: prob)
            }
        }
        try h.commit()
    }
}

@_cdecl("tinydistill_stage_write_probs")
public func stageWriteProbs(_ handle: OpaquePointer?, _ probs: UnsafePointer<Float>?, _ rows: Int64, _ classes: Int64) -> Int32 {
    guarded { () throws(ABIFailure) in
        let fn = "tinydistill_stage_write_probs"
        let h = try object(handle, as: StageHandle.self, "stage", in: fn)
        let probs = try required(probs, "probs", in: fn)
        let batch = try h.batchForWrite(rows: rows, function: fn)
        let c = try h.classes(classes, "probs")
        for r in 0..<batch.count where batch.errors[r] == nil {
            for j in 0..<c where !(probs[r * c + j] >= 0 && probs[r * c + j] <= 1.0001) {
                throw .invalid("probs: row \(r) (sample \(batch.items[r].sample)) has \(probs[r * c + j]) at class \(j); probabilities lie in [0, 1]")
            }
        }
        if h.stage.metadata.targets != nil {
            h.drawRows(batch.count, classes: c, valid: batch.errors[0..<batch.count].map { $0 == nil }) { out in
                for j in 0..<(batch.count * c) { out[j] = probs[j] }
            }
        } else {
            h.selectRows(batch.count, classes: c, from: probs) { row, idx, prob in
                TopK.select(probabilities: row, indices: idx, values: prob)
            }
        }
        try h.commit()
    }
}

@_cdecl("tinydistill_stage_write_topk")
public func stageWriteTopK(_ handle: OpaquePointer?, _ indices: UnsafePointer<Int64>?, _ values: UnsafePointer<Float>?,
                           _ rows: Int64, _ k: Int64) -> Int32 {
    guarded { () throws(ABIFailure) in
        let fn = "tinydistill_stage_write_topk"
        let h = try object(handle, as: StageHandle.self, "stage", in: fn)
        let indices = try required(indices, "indices", in: fn), values = try required(values, "values", in: fn)
        let batch = try h.batchForWrite(rows: rows, function: fn)
        let c = h.stage.metadata.numClasses, kk = h.targets.k
        guard c > 0 else {
            throw .invalid("indices: the teacher's class count is not known yet; give teacher_info num_classes (or class_names), or write logits or probabilities first")
        }
        if let sampled = h.stage.metadata.targets {
            throw .invalid("indices: the store keeps sampled targets (\(sampled)), which are drawn from the whole distribution; write logits or probabilities")
        }
        guard k == kk else { throw .invalid("topk: \(k) entries per row, but the store keeps K = \(kk)") }
        for r in 0..<batch.count {
            for j in 0..<kk {
                let i = indices[r * kk + j], v = values[r * kk + j]
                guard batch.errors[r] != nil || (i >= 0 && i < c) else {
                    throw .invalid("indices: row \(r) (sample \(batch.items[r].sample)) has class \(i), outside 0…\(c - 1)")
                }
                guard batch.errors[r] != nil || (v >= 0 && v <= 1.0001) else {
                    throw .invalid("values: row \(r) (sample \(batch.items[r].sample)) has \(v); probabilities lie in [0, 1]")
                }
                h.targets.indices[r * kk + j] = batch.errors[r] == nil ? UInt32(i) : 0
                h.targets.probabilities[r * kk + j] = batch.errors[r] == nil ? v : 0
            }
        }
        try h.commit()
    }
}

@_cdecl("tinydistill_stage_close")
public func stageClose(_ handle: OpaquePointer?, _ summary: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded { () throws(ABIFailure) in
        let fn = "tinydistill_stage_close"
        let h = try object(handle, as: StageHandle.self, "stage", in: fn)
        guard !h.stage.isClosed else { throw .state("\(fn): the stage is closed") }
        let result: PrecomputeSummary
        do throws(PipelineError) { result = try h.stage.finish() } catch { throw ABIFailure(error) }
        if let summary { summary.pointee = cString(jsonString(jsonObject(result))) }
    }
}
