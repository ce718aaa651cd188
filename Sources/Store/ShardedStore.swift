import Foundation

/// A store written as several shard files (one per precompute rank), read as one. Shards must come from
/// the same run: equal metadata except the shard field, one file per rank 0..<world.
public final class ShardedStore {
    /// One reader per rank, in rank order.
    public let readers: [StoreReader]
    /// The shard files, in rank order.
    public var paths: [String] { readers.map(\.path) }
    /// The run's metadata (rank 0's document with the shard set to 0 of 1: the union is the whole run).
    public let metadata: StoreMetadata

    /// Expands `arguments` to shard files: a folder stands for every `*.tdstore` file inside (sorted).
    public static func resolve(_ arguments: [String]) throws(StoreError) -> [String] {
        var out: [String] = []
        for a in arguments {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: a, isDirectory: &isDirectory) else { throw .missingFile(path: a) }
            if isDirectory.boolValue {
                let names = ((try? FileManager.default.contentsOfDirectory(atPath: a)) ?? []).filter { $0.hasSuffix(".tdstore") }.sorted()
                guard !names.isEmpty else { throw .invalidArgument("\(a): the folder holds no *.tdstore shard files") }
                out += names.map { a + "/" + $0 }
            } else {
                out.append(a)
            }
        }
        return out
    }

    /// Opens every shard (read-only) and checks that together they form one run.
    public init(paths arguments: [String]) throws(StoreError) {
        let files = try Self.resolve(arguments)
        var readers: [StoreReader] = []
        for f in files { readers.append(try StoreReader(path: f)) }
        guard let first = readers.first else { throw .invalidArgument("no shard files given") }
        let world = first.metadata.shard.world
        for r in readers {
            if let (field, a, b) = first.metadata.differences(from: r.metadata).first(where: { $0.0 != "shard" }) {
                throw .metadataMismatch(path: r.path, field: field, stored: b, requested: "\(a) (as in \(first.path))")
            }
            guard r.metadata.shard.world == world else {
                throw .invalidArgument("\(r.path) is a shard of \(r.metadata.shard.world) but \(first.path) of \(world): they come from different runs")
            }
        }
        var byRank = [StoreReader?](repeating: nil, count: world)
        for r in readers {
            let rank = r.metadata.shard.rank
            if let other = byRank[rank] { throw .invalidArgument("\(r.path) and \(other.path) are both rank \(rank)") }
            byRank[rank] = r
        }
        let missing = byRank.indices.filter { byRank[$0] == nil }
        guard missing.isEmpty || readers.count == 1 else {
            throw .invalidArgument("shard rank(s) \(missing.map(String.init).joined(separator: ", ")) of \(world) missing; pass every shard file (or their folder)")
        }
        self.readers = readers.count == 1 ? readers : byRank.map { $0! }
        var meta = first.metadata
        if readers.count > 1 { meta.shard = .init(rank: 0, world: 1) }
        self.metadata = meta
    }

    /// Records per epoch, summed over shards.
    public func epochs() throws(StoreError) -> [EpochSummary] {
        var byEpoch: [Int: EpochSummary] = [:]
        for r in readers {
            for e in try r.epochs() {
                var s = byEpoch[e.epoch] ?? EpochSummary(epoch: e.epoch, records: 0, chunks: 0)
                s.records += e.records
                s.chunks += e.chunks
                byEpoch[e.epoch] = s
            }
        }
        return byEpoch.keys.sorted().map { byEpoch[$0]! }
    }

    /// Every chunk of every shard.
    public func chunks() throws(StoreError) -> [ChunkInfo] {
        var out: [ChunkInfo] = []
        for r in readers { out += try r.chunks() }
        return out
    }

    /// Each chunk of each shard in turn (one in memory at a time).
    public func forEachChunk(_ body: (RecordColumns) throws -> Void) throws {
        for r in readers { try r.forEachChunk(body) }
    }

    /// The record of (epoch, sample) from the shard that owns the sample.
    public func record(epoch: Int, sample: Int) throws(StoreError) -> TargetRecord? {
        if readers.count == 1 { return try readers[0].record(epoch: epoch, sample: sample) }
        return try readers[sample % readers.count].record(epoch: epoch, sample: sample)
    }

    /// Labels by sample id (every shard lists the whole dataset).
    public func labels() throws(StoreError) -> [Int32?]? { try readers[0].labels() }

    /// Failures of all shards.
    public func failures() throws(StoreError) -> [FailureInfo] {
        var out: [FailureInfo] = []
        for r in readers { out += try r.failures() }
        return out.sorted { ($0.epoch, $0.sampleID) < ($1.epoch, $1.sampleID) }
    }

    /// Writer sessions of all shards.
    public func sessions() throws(StoreError) -> [SessionInfo] {
        var out: [SessionInfo] = []
        for r in readers { out += try r.sessions() }
        return out
    }

    /// Bytes of all shard files (plus their `-wal` files).
    public var fileBytes: Int {
        readers.reduce(0) { total, r in
            let fm = FileManager.default
            let main = ((try? fm.attributesOfItem(atPath: r.path)[.size]) as? NSNumber)?.intValue ?? 0
            let wal = ((try? fm.attributesOfItem(atPath: r.path + "-wal")[.size]) as? NSNumber)?.intValue ?? 0
            return total + main + wal
        }
    }

    /// Writes the union of the shards into one new store at `path` (world 1), with rank 0's samples list.
    /// Returns the records written.
    @discardableResult
    public func merge(into path: String, compressionLevel: Int32 = 1) throws -> Int {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw StoreError.invalidArgument("\(path) already exists; merge writes a new store")
        }
        var meta = metadata
        meta.shard = .init(rank: 0, world: 1)
        let first = readers[0]
        let samples = (0..<meta.dataset.sampleCount).lazy.compactMap { try? first.sample($0) }
        let writer = try StoreWriter(path: path, metadata: meta, samples: samples, compressionLevel: compressionLevel)
        do {
            for r in readers {
                try r.forEachChunk { cols in
                    for i in 0..<cols.count { try writer.append(cols.record(at: i)) }
                }
                for f in try r.failures() {
                    try writer.recordFailure(epoch: f.epoch, sampleID: f.sampleID, key: f.key, reason: f.reason)
                }
            }
            try writer.close(status: "finished")
        } catch {
            try? writer.close(status: "interrupted")
            throw error
        }
        return writer.recordsWritten
    }
}
