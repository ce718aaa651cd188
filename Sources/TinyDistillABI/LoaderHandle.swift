import CTinyDistill
import Foundation
import DataPipeline
import Store

/// A loader opened through the C ABI.
final class LoaderHandle {
    let loader: Loader
    init(_ loader: Loader) { self.loader = loader }

    static let keys: Set<String> = [
        "stores", "data", "batch_size", "seed", "rank", "world", "num_workers", "prefetch_factor", "shuffle_chunks", "drop_last", "exclude", "class_map",
    ]

    static func open(_ json: UnsafePointer<CChar>?) throws(ABIFailure) -> LoaderHandle {
        let fn = "tinydistill_loader_open"
        let o = try ABIOptions(json, function: fn, keys: keys)
        guard let stores = try o.strings("stores"), !stores.isEmpty else { throw .invalid("stores: required by \(fn): give one or more store paths") }
        var options = LoaderOptions(batch: try o.requiredInt("batch_size"), seed: try o.seed("seed") ?? 0,
                                    rank: try o.int("rank") ?? 0, world: try o.int("world") ?? 1,
                                    shuffleChunks: try o.int("shuffle_chunks") ?? 8, dropLast: try o.bool("drop_last") ?? true,
                                    workers: try o.int("num_workers") ?? 2, prefetch: try o.int("prefetch_factor") ?? 2)
        options.exclude = try o.string("exclude")
        options.classMap = try o.string("class_map")
        let paths: [String]
        do throws(StoreError) { paths = try ShardedStore.resolve(stores) } catch { throw ABIFailure(error) }
        let data = try o.requiredString("data")
        do throws(PipelineError) { return LoaderHandle(try Loader(storePaths: paths, data: data, options: options)) } catch {
            throw ABIFailure(error)
        }
    }
}

/// One epoch's batches.
final class StreamHandle {
    let stream: Loader.BatchStream
    init(_ stream: Loader.BatchStream) { self.stream = stream }
}

/// A batch handed to the caller; its arrays stay put until the handle is released.
final class BatchHandle {
    let batch: LoaderBatch
    /// The batch's sample ids and class indices widened to the interface's index type (int64).
    let sampleIDs: [Int64], indices: [Int64]
    init(_ batch: LoaderBatch) {
        self.batch = batch
        sampleIDs = batch.sampleIDs.map { Int64($0) }
        indices = batch.indices.map { Int64($0) }
    }
}

@_cdecl("tinydistill_loader_open")
public func loaderOpen(_ json: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded { () throws(ABIFailure) in
        let out = try required(out, "out", in: "tinydistill_loader_open")
        out.pointee = nil
        out.pointee = retained(try LoaderHandle.open(json))
    }
}

@_cdecl("tinydistill_loader_free")
public func loaderFree(_ loader: OpaquePointer?) { release(loader, as: LoaderHandle.self) }

@_cdecl("tinydistill_loader_info")
public func loaderInfo(_ handle: OpaquePointer?, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded { () throws(ABIFailure) in
        let fn = "tinydistill_loader_info"
        let h = try object(handle, as: LoaderHandle.self, "loader", in: fn)
        let json = try required(json, "json", in: fn)
        let l = h.loader
        let info: [String: Any] = [
            "num_classes": l.numClasses, "topk": l.k, "channels": l.channels, "side": l.policy.outputSize,
            "stored_epochs": l.storedEpochs, "batch_size": l.options.batch, "rank": l.options.rank, "world": l.options.world,
            "metadata": jsonObject(l.store.metadata),
            "class_map_digest": l.classMap?.digest ?? NSNull(), "class_names": l.classMap?.studentNames ?? l.source.classNames,
        ]
        json.pointee = cString(jsonString(info))
    }
}

@_cdecl("tinydistill_loader_batch_count")
public func loaderBatchCount(_ handle: OpaquePointer?, _ epoch: Int64, _ batches: UnsafeMutablePointer<Int64>?,
                             _ records: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded { () throws(ABIFailure) in
        let fn = "tinydistill_loader_batch_count"
        let h = try object(handle, as: LoaderHandle.self, "loader", in: fn)
        guard epoch >= 0 else { throw .invalid("epoch \(epoch): must be ≥ 0") }
        do throws(PipelineError) {
            batches?.pointee = Int64(try h.loader.batchCount(epoch: Int(epoch)))
            records?.pointee = Int64(try h.loader.rankRecords(epoch: Int(epoch)))
        } catch {
            throw ABIFailure(error)
        }
    }
}

@_cdecl("tinydistill_loader_stream")
public func loaderStream(_ handle: OpaquePointer?, _ epoch: Int64, _ position: Int64,
                         _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded { () throws(ABIFailure) in
        let fn = "tinydistill_loader_stream"
        let h = try object(handle, as: LoaderHandle.self, "loader", in: fn)
        let out = try required(out, "out", in: fn)
        out.pointee = nil
        guard epoch >= 0 else { throw .invalid("epoch \(epoch): must be ≥ 0") }
        guard position >= 0 else { throw .invalid("position \(position): must be ≥ 0") }
        do throws(PipelineError) { out.pointee = retained(StreamHandle(try h.loader.batches(epoch: Int(epoch), from: Int(position)))) } catch {
            throw ABIFailure(error)
        }
    }
}

@_cdecl("tinydistill_stream_next")
public func streamNext(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded { () throws(ABIFailure) in
        let fn = "tinydistill_stream_next"
        let h = try object(handle, as: StreamHandle.self, "stream", in: fn)
        let out = try required(out, "batch", in: fn)
        out.pointee = nil
        do throws(PipelineError) {
            if let batch = try h.stream.next() { out.pointee = retained(BatchHandle(batch)) }
        } catch {
            throw ABIFailure(error)
        }
    }
}

@_cdecl("tinydistill_stream_wait_seconds")
public func streamWaitSeconds(_ handle: OpaquePointer?) -> Double {
    guard let handle else { return 0 }
    return Unmanaged<StreamHandle>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue().stream.waitSeconds
}

@_cdecl("tinydistill_stream_free")
public func streamFree(_ stream: OpaquePointer?) { release(stream, as: StreamHandle.self) }

@_cdecl("tinydistill_batch_view_get")
public func batchView(_ handle: OpaquePointer?, _ view: UnsafeMutablePointer<tinydistill_batch_view>?) -> Int32 {
    guarded { () throws(ABIFailure) in
        let fn = "tinydistill_batch_view_get"
        let h = try object(handle, as: BatchHandle.self, "batch", in: fn)
        let view = try required(view, "view", in: fn)
        let b = h.batch
        view.pointee = tinydistill_batch_view(
            epoch: Int64(b.epoch), stored_epoch: Int64(b.storedEpoch), position: Int64(b.position), rows: Int64(b.n),
            channels: Int64(b.channels), height: Int64(b.height), width: Int64(b.width), k: Int64(b.k),
            images: UnsafePointer(b.imageStorage.buffer.baseAddress), indices: h.indices.withUnsafeBufferPointer { $0.baseAddress },
            values: b.values.withUnsafeBufferPointer { $0.baseAddress }, labels: b.labels.withUnsafeBufferPointer { $0.baseAddress },
            sample_ids: h.sampleIDs.withUnsafeBufferPointer { $0.baseAddress }, seeds: b.seeds.withUnsafeBufferPointer { $0.baseAddress })
    }
}

@_cdecl("tinydistill_batch_free")
public func batchFree(_ batch: OpaquePointer?) { release(batch, as: BatchHandle.self) }
