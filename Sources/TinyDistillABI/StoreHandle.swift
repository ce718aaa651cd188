import CTinyDistill
import Foundation
import DataPipeline
import Store

/// A store (one file or shards) opened through the C ABI.
final class StoreHandle {
    let store: ShardedStore
    init(_ store: ShardedStore) { self.store = store }
}

/// A decoded chunk handed to the caller; its arrays stay put until the handle is released.
final class ChunkHandle {
    let columns: RecordColumns
    /// The columns' sample ids and class indices widened to the interface's index type (int64).
    let sampleIDs: [Int64], indices: [Int64]
    init(_ columns: RecordColumns) {
        self.columns = columns
        sampleIDs = columns.sampleIDs.map { Int64($0) }
        indices = columns.indices.map { Int64($0) }
    }
}

@_cdecl("tinydistill_store_open")
public func storeOpen(_ paths: UnsafePointer<UnsafePointer<CChar>?>?, _ count: Int64,
                      _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded { () throws(ABIFailure) in
        let fn = "tinydistill_store_open"
        let out = try required(out, "out", in: fn)
        out.pointee = nil
        let paths = try required(paths, "paths", in: fn)
        guard count >= 1 else { throw .invalid("stores: give at least one store path") }
        var list: [String] = []
        for i in 0..<Int(count) {
            guard let p = paths[i] else { throw .invalid("\(fn): path \(i) is NULL") }
            list.append(String(cString: p))
        }
        do throws(StoreError) {
            out.pointee = retained(StoreHandle(try ShardedStore(paths: ShardedStore.resolve(list))))
        } catch {
            throw ABIFailure(error)
        }
    }
}

@_cdecl("tinydistill_store_free")
public func storeFree(_ store: OpaquePointer?) { release(store, as: StoreHandle.self) }

@_cdecl("tinydistill_store_metadata")
public func storeMetadata(_ handle: OpaquePointer?, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded { () throws(ABIFailure) in
        let fn = "tinydistill_store_metadata"
        let h = try object(handle, as: StoreHandle.self, "store", in: fn)
        let json = try required(json, "json", in: fn)
        guard var meta = jsonObject(h.store.metadata) as? [String: Any] else { throw .invalid("\(fn): metadata does not encode") }
        do throws(StoreError) {
            meta["epochs_stored"] = try h.store.epochs().filter { $0.records > 0 }.map(\.epoch)
            meta["records"] = try h.store.epochs().reduce(0) { $0 + $1.records }
        } catch {
            throw ABIFailure(error)
        }
        meta["paths"] = h.store.paths
        meta["file_bytes"] = h.store.fileBytes
        json.pointee = cString(jsonString(meta))
    }
}

@_cdecl("tinydistill_store_chunks")
public func storeChunks(_ handle: OpaquePointer?, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded { () throws(ABIFailure) in
        let fn = "tinydistill_store_chunks"
        let h = try object(handle, as: StoreHandle.self, "store", in: fn)
        let json = try required(json, "json", in: fn)
        var rows: [[String: Int]] = []
        do throws(StoreError) {
            for (s, reader) in h.store.readers.enumerated() {
                for c in try reader.chunks() {
                    rows.append(["shard": s, "epoch": c.epoch, "chunk": c.chunk, "records": c.recordCount,
                                 "min_sample": c.minSample, "max_sample": c.maxSample])
                }
            }
        } catch {
            throw ABIFailure(error)
        }
        json.pointee = cString(jsonString(rows))
    }
}

@_cdecl("tinydistill_store_record")
public func storeRecord(_ handle: OpaquePointer?, _ epoch: Int64, _ sample: Int64, _ found: UnsafeMutablePointer<Int32>?,
                        _ seed: UnsafeMutablePointer<UInt64>?, _ indices: UnsafeMutablePointer<Int64>?,
                        _ values: UnsafeMutablePointer<Float>?, _ capacity: Int64) -> Int32 {
    guarded { () throws(ABIFailure) in
        let fn = "tinydistill_store_record"
        let h = try object(handle, as: StoreHandle.self, "store", in: fn)
        let found = try required(found, "found", in: fn), seed = try required(seed, "seed", in: fn)
        let indices = try required(indices, "indices", in: fn), values = try required(values, "values", in: fn)
        let k = h.store.metadata.topK
        guard capacity >= k else { throw .invalid("\(fn): capacity \(capacity) is below the store's K = \(k)") }
        guard epoch >= 0, sample >= 0 else { throw .invalid("epoch \(epoch), sample \(sample): both must be ≥ 0") }
        let record: TargetRecord?
        do throws(StoreError) { record = try h.store.record(epoch: Int(epoch), sample: Int(sample)) } catch { throw ABIFailure(error) }
        guard let record else {
            found.pointee = 0
            return
        }
        found.pointee = 1
        seed.pointee = record.seed
        for j in 0..<k {
            indices[j] = Int64(record.indices[j])
            values[j] = record.probabilities[j]
        }
    }
}

@_cdecl("tinydistill_store_read_chunk")
public func storeReadChunk(_ handle: OpaquePointer?, _ shard: Int64, _ epoch: Int64, _ chunk: Int64,
                           _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded { () throws(ABIFailure) in
        let fn = "tinydistill_store_read_chunk"
        let h = try object(handle, as: StoreHandle.self, "store", in: fn)
        let out = try required(out, "out", in: fn)
        out.pointee = nil
        guard shard >= 0, shard < h.store.readers.count else {
            throw .invalid("shard \(shard): the store has \(h.store.readers.count) shard(s)")
        }
        do throws(StoreError) {
            out.pointee = retained(ChunkHandle(try h.store.readers[Int(shard)].chunk(epoch: Int(epoch), chunk: Int(chunk))))
        } catch {
            throw ABIFailure(error)
        }
    }
}

@_cdecl("tinydistill_chunk_view_get")
public func chunkView(_ handle: OpaquePointer?, _ view: UnsafeMutablePointer<tinydistill_chunk_view>?) -> Int32 {
    guarded { () throws(ABIFailure) in
        let fn = "tinydistill_chunk_view_get"
        let h = try object(handle, as: ChunkHandle.self, "chunk", in: fn)
        let view = try required(view, "view", in: fn)
        let c = h.columns
        view.pointee = tinydistill_chunk_view(
            epoch: Int64(c.epoch), records: Int64(c.count), k: Int64(c.k),
            sample_ids: h.sampleIDs.withUnsafeBufferPointer { $0.baseAddress }, seeds: c.seeds.withUnsafeBufferPointer { $0.baseAddress },
            indices: h.indices.withUnsafeBufferPointer { $0.baseAddress }, values: c.values.withUnsafeBufferPointer { $0.baseAddress })
    }
}

@_cdecl("tinydistill_chunk_free")
public func chunkFree(_ chunk: OpaquePointer?) { release(chunk, as: ChunkHandle.self) }

@_cdecl("tinydistill_dense")
public func dense(_ indices: UnsafePointer<Int64>?, _ values: UnsafePointer<Float>?, _ rows: Int64, _ k: Int64,
                  _ numClasses: Int64, _ out: UnsafeMutablePointer<Float>?) -> Int32 {
    guarded { () throws(ABIFailure) in
        let fn = "tinydistill_dense"
        let indices = try required(indices, "indices", in: fn), values = try required(values, "values", in: fn)
        let out = try required(out, "out", in: fn)
        guard rows >= 0, k >= 1, numClasses >= 1, k <= numClasses else {
            throw .invalid("\(fn): rows \(rows), k \(k), num_classes \(numClasses): need rows ≥ 0 and 1 ≤ k ≤ num_classes")
        }
        let n = Int(rows), k = Int(k), c = Int(numClasses)
        for i in 0..<(n * k) where indices[i] < 0 || indices[i] >= c {
            throw .invalid("indices: row \(i / k) has class \(indices[i]), outside 0…\(c - 1)")
        }
        for r in 0..<n {
            DenseTarget.fill(indices: UnsafeBufferPointer(start: indices + r * k, count: k),
                             values: UnsafeBufferPointer(start: values + r * k, count: k), numClasses: c,
                             into: UnsafeMutableBufferPointer(start: out + r * c, count: c))
        }
    }
}

@_cdecl("tinydistill_sparse_kd_loss")
public func sparseKDLoss(_ logits: UnsafePointer<Float>?, _ rows: Int64, _ numClasses: Int64, _ indices: UnsafePointer<Int64>?,
                         _ values: UnsafePointer<Float>?, _ k: Int64, _ temperature: Double,
                         _ loss: UnsafeMutablePointer<Double>?, _ grad: UnsafeMutablePointer<Float>?) -> Int32 {
    guarded { () throws(ABIFailure) in
        let fn = "tinydistill_sparse_kd_loss"
        let logits = try required(logits, "logits", in: fn), indices = try required(indices, "indices", in: fn)
        let values = try required(values, "values", in: fn), loss = try required(loss, "loss", in: fn)
        guard rows >= 1, numClasses >= 1, k >= 1, k <= numClasses else {
            throw .invalid("\(fn): rows \(rows), k \(k), num_classes \(numClasses): need rows ≥ 1 and 1 ≤ k ≤ num_classes")
        }
        let n = Int(rows), c = Int(numClasses), k = Int(k)
        for i in 0..<(n * k) where indices[i] < 0 || indices[i] >= c {
            throw .invalid("indices: row \(i / k) has class \(indices[i]), outside 0…\(c - 1)")
        }
        guard temperature > 0 else { throw .invalid("temperature \(temperature): must be positive") }
        loss.pointee = SparseKDReference.evaluate(
            logits: UnsafeBufferPointer(start: logits, count: n * c), rows: n, classes: c,
            indices: UnsafeBufferPointer(start: indices, count: n * k), values: UnsafeBufferPointer(start: values, count: n * k),
            k: k, temperature: temperature, gradient: grad.map { UnsafeMutableBufferPointer(start: $0, count: n * c) })
    }
}
