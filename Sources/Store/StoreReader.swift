import DetCore
import Foundation
import GRDB

/// Where a chunk sits and what it holds, without its payload.
public struct ChunkInfo: Sendable, Equatable, Codable {
    /// Epoch of the chunk.
    public var epoch: Int
    /// Chunk number within the epoch.
    public var chunk: Int
    /// Records in the chunk.
    public var recordCount: Int
    /// Smallest and largest sample id in the chunk.
    public var minSample: Int, maxSample: Int
    /// Decoded payload size and compressed size, in bytes.
    public var rawBytes: Int, compressedBytes: Int
    /// Write-time KL sum and max (lossy codecs).
    public var klSum: Double, klMax: Double
}

/// Per-epoch totals.
public struct EpochSummary: Sendable, Equatable, Codable {
    /// The epoch.
    public var epoch: Int
    /// Records stored for it.
    public var records: Int
    /// Chunks stored for it.
    public var chunks: Int
}

/// A sample that precompute could not process.
public struct FailureInfo: Sendable, Equatable, Codable {
    /// Epoch and sample.
    public var epoch: Int, sampleID: Int
    /// Sample key, when known.
    public var key: String?
    /// Why it failed.
    public var reason: String
}

/// A writer session from the store's history.
public struct SessionInfo: Sendable, Equatable, Codable {
    /// When it started and ended (ISO 8601; nil while running or when killed).
    public var startedAt: String, endedAt: String?
    /// Tool that wrote it.
    public var toolVersion: String
    /// Records it committed.
    public var recordsWritten: Int
    /// `running`, `finished` or `interrupted`.
    public var status: String
}

/// Reads a store: read-only, chunk by chunk, with memory independent of the store's size.
///
/// Each call runs in its own read transaction and sees only whole chunks, also while a writer is
/// appending. Not thread-safe; open one reader per thread.
public final class StoreReader {
    /// The store file.
    public let path: String
    /// The store's metadata.
    public let metadata: StoreMetadata
    private let db: DatabaseQueue
    private let zstd = Zstd()
    private var scratch: [UInt8] = []

    /// Opens `path` read-only. Throws a ``StoreError`` naming the file when it is missing, not SQLite,
    /// not a store, damaged, or of a newer format.
    public init(path: String) throws(StoreError) {
        self.path = path
        try Self.checkHeader(path: path)
        var config = Configuration()
        config.readonly = true
        config.label = "tinydistill-reader"
        config.busyMode = .timeout(5)
        do {
            (db, metadata) = try Self.open(path: path, configuration: config)
        } catch let error as DatabaseError where Self.needsRecovery(error) {
            // A writer was killed inside a write (its journal is hot, or its WAL has no index). Rolling that
            // write back is what any read-write connection does on its first read, and it restores the last
            // committed state: nothing committed changes. Do that once, then read as usual.
            do {
                try Self.rollBackUnfinishedWrite(path: path)
                (db, metadata) = try Self.open(path: path, configuration: config)
            } catch {
                throw StoreError.from(error, path: path)
            }
        } catch {
            throw StoreError.from(error, path: path)
        }
    }

    private static func open(path: String, configuration: Configuration) throws -> (DatabaseQueue, StoreMetadata) {
        let db = try DatabaseQueue(path: path, configuration: configuration)
        let metadata = try db.read { db in
            guard try db.tableExists("metadata") else {
                throw StoreError.notTinyDistill(path: path, detail: "no metadata table")
            }
            return try Self.readMetadata(db, path: path)
        }
        return (db, metadata)
    }

    /// Whether a read-only open failed only because a killed writer's journal or WAL must be recovered.
    private static func needsRecovery(_ error: DatabaseError) -> Bool {
        [.SQLITE_READONLY_ROLLBACK, .SQLITE_READONLY_RECOVERY, .SQLITE_READONLY_CANTINIT].contains(error.extendedResultCode)
    }

    /// Opens `path` read-write just long enough for SQLite to roll back a hot journal (or rebuild a WAL
    /// index). A live writer holds its lock, so its journal is never hot and this leaves it alone. Fails,
    /// and the caller reports it, when the file or its folder is not writable.
    private static func rollBackUnfinishedWrite(path: String) throws {
        var config = Configuration()
        config.label = "tinydistill-recovery"
        config.busyMode = .timeout(5)
        let queue = try DatabaseQueue(path: path, configuration: config)
        _ = try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
        try queue.close()
    }

    /// Checks that `path` exists and starts with the SQLite header.
    static func checkHeader(path: String) throws(StoreError) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw StoreError.missingFile(path: path) }
        if isDir.boolValue { throw StoreError.notAStore(path: path, detail: "it is a directory") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw StoreError.sqlite(path: path, detail: "cannot open the file for reading (permissions?)")
        }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        if header.isEmpty { return }  // an empty file: SQLite treats it as a new database
        if header != Data("SQLite format 3\0".utf8) {
            throw StoreError.notAStore(path: path, detail: "the first 16 bytes are not the SQLite header")
        }
    }

    static func readMetadata(_ db: Database, path: String) throws -> StoreMetadata {
        guard let row = try Row.fetchOne(db, sql: "SELECT format_version, document FROM metadata WHERE id = 1") else {
            throw StoreError.notTinyDistill(path: path, detail: "the metadata table is empty")
        }
        let version: Int = row[0]
        if version > StoreMetadata.currentFormatVersion || version < 1 {
            throw StoreError.unsupportedFormatVersion(path: path, found: version, supported: StoreMetadata.currentFormatVersion)
        }
        let meta = try StoreMetadata.parseStored(row[1], path: path)
        do {
            try meta.validate()
        } catch {
            throw StoreError.notTinyDistill(path: path, detail: "invalid metadata: \(error)")
        }
        return meta
    }

    /// Fetches, decompresses, checks and decodes one chunk.
    static func decodeChunk(
        _ db: Database, epoch: Int, chunk: Int, layout: ChunkLayout, zstd: Zstd, scratch: inout [UInt8],
        into out: inout RecordColumns, path: String
    ) throws {
        let statement = try db.cachedStatement(
            sql: "SELECT record_count, min_sample, max_sample, raw_bytes, checksum, payload FROM chunks WHERE epoch = ? AND chunk = ?")
        let rows = try Row.fetchCursor(statement, arguments: [epoch, chunk])
        // Cursor rows read straight from SQLite: the payload blob is not copied.
        guard let row = try rows.next() else {
            throw StoreError.corruptChunk(epoch: epoch, chunk: chunk, detail: "no such chunk")
        }
        try decodeRow(row, epoch: epoch, chunk: chunk, layout: layout, zstd: zstd, scratch: &scratch, into: &out)
    }

    /// Decodes a row of (record_count, min_sample, max_sample, raw_bytes, checksum, payload).
    static func decodeRow(
        _ row: Row, epoch: Int, chunk: Int, layout: ChunkLayout, zstd: Zstd, scratch: inout [UInt8],
        into out: inout RecordColumns
    ) throws(StoreError) {
        func fail(_ d: String) -> StoreError { .corruptChunk(epoch: epoch, chunk: chunk, detail: d) }
        guard let count = row[0] as Int?, let lo = row[1] as Int?, let hi = row[2] as Int?,
              let raw = row[3] as Int?, let checksum = row[4] as Int64?
        else { throw fail("a chunk row column is NULL or not an integer") }
        do {
            let isBlob = try row.withUnsafeData(atIndex: 5) { (blob: Data?) throws -> Bool in
                guard let blob else { return false }
                try blob.withUnsafeBytes { (b: UnsafeRawBufferPointer) in
                    try zstd.decompressSections(b, expectedSize: raw, into: &scratch)
                }
                return true
            }
            if !isBlob { throw fail("payload is NULL") }
        } catch let e as StoreError {
            if case .corruptChunk = e { throw e }
            throw fail("\(e)")
        } catch {
            throw fail("\(error)")
        }
        let actual = scratch.withUnsafeBytes { XXH64.hash(UnsafeRawBufferPointer(rebasing: $0[0..<raw])) }
        guard Int64(bitPattern: actual) == checksum else {
            throw fail(String(format: "checksum mismatch: stored %016llx, decoded bytes hash to %016llx", UInt64(bitPattern: checksum), actual))
        }
        var decodeError: StoreError?
        scratch.withUnsafeBytes { (all: UnsafeRawBufferPointer) in
            let b = UnsafeRawBufferPointer(rebasing: all[0..<raw])
            do throws(StoreError) {
                try ChunkCodec.decode(b, layout: layout, epoch: epoch, expectedCount: count, into: &out)
            } catch {
                decodeError = error
            }
        }
        if let decodeError { throw fail("\(decodeError)") }
        guard Int(out.sampleIDs.first ?? 0) == lo, Int(out.sampleIDs.last ?? 0) == hi else {
            throw fail("sample range \(out.sampleIDs.first ?? 0)…\(out.sampleIDs.last ?? 0) differs from the row's \(lo)…\(hi)")
        }
    }

    private func run<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try db.read(body)
        } catch {
            throw StoreError.from(error, path: path)
        }
    }

    /// Records and chunks per epoch, ascending.
    public func epochs() throws(StoreError) -> [EpochSummary] {
        try run { db in
            try Row.fetchAll(db, sql: "SELECT epoch, sum(record_count), count(*) FROM chunks GROUP BY epoch ORDER BY epoch").map {
                EpochSummary(epoch: $0[0], records: $0[1], chunks: $0[2])
            }
        }
    }

    /// The chunks of `epoch` (all epochs when nil), without payloads, in (epoch, chunk) order.
    public func chunks(epoch: Int? = nil) throws(StoreError) -> [ChunkInfo] {
        try run { db in
            let sql = """
                SELECT epoch, chunk, record_count, min_sample, max_sample, raw_bytes, length(payload), kl_sum, kl_max
                FROM chunks \(epoch == nil ? "" : "WHERE epoch = ?") ORDER BY epoch, chunk
                """
            return try Row.fetchAll(db, sql: sql, arguments: epoch.map { [$0] } ?? []).map {
                ChunkInfo(
                    epoch: $0[0], chunk: $0[1], recordCount: $0[2], minSample: $0[3], maxSample: $0[4],
                    rawBytes: $0[5], compressedBytes: $0[6], klSum: $0[7], klMax: $0[8])
            }
        }
    }

    /// Decodes one chunk.
    public func chunk(epoch: Int, chunk: Int) throws(StoreError) -> RecordColumns {
        var out = RecordColumns(epoch: epoch, k: metadata.topK)
        let layout = metadata.layout
        let zstd = self.zstd
        var scratch: [UInt8] = []
        swap(&scratch, &self.scratch)
        defer { swap(&scratch, &self.scratch) }
        try run { db in
            try Self.decodeChunk(db, epoch: epoch, chunk: chunk, layout: layout, zstd: zstd, scratch: &scratch, into: &out, path: path)
        }
        return out
    }

    /// Calls `body` with each chunk of `epoch` in chunk order (all epochs, in order, when nil).
    /// One chunk is in memory at a time; `body` may throw to stop.
    public func forEachChunk(epoch: Int? = nil, _ body: (RecordColumns) throws -> Void) throws {
        for info in try chunks(epoch: epoch) { try body(try chunk(epoch: info.epoch, chunk: info.chunk)) }
    }

    /// The record of (epoch, sample), or nil when the store has none. An indexed query on the
    /// chunks' sample ranges; decodes only chunks whose range holds the sample.
    public func record(epoch: Int, sample: Int) throws(StoreError) -> TargetRecord? {
        let candidates: [Int] = try run { db in
            try Int.fetchAll(
                db, sql: "SELECT chunk FROM chunks WHERE epoch = ? AND max_sample >= ? AND min_sample <= ? ORDER BY max_sample",
                arguments: [epoch, sample, sample])
        }
        for c in candidates {
            let cols = try chunk(epoch: epoch, chunk: c)
            var lo = 0
            var hi = cols.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if Int(cols.sampleIDs[mid]) < sample { lo = mid + 1 } else { hi = mid }
            }
            if lo < cols.count, Int(cols.sampleIDs[lo]) == sample { return cols.record(at: lo) }
        }
        return nil
    }

    /// Labels by sample id (nil entries where unknown), or nil when the store lists no samples.
    public func labels() throws(StoreError) -> [Int32?]? {
        try run { db in
            let n = try Int.fetchOne(db, sql: "SELECT count(*) FROM samples") ?? 0
            if n == 0 { return nil }
            var out = [Int32?](repeating: nil, count: metadata.dataset.sampleCount)
            let rows = try Row.fetchCursor(db, sql: "SELECT sample_id, label FROM samples")
            while let row = try rows.next() {
                let id: Int = row[0]
                if id >= 0, id < out.count, let l = row[1] as Int? { out[id] = Int32(truncatingIfNeeded: l) }
            }
            return out
        }
    }

    /// One sample's key and label (one indexed row; a NULL label reads as −1), when the store lists samples.
    public func sample(_ id: Int) throws(StoreError) -> Sample? {
        try run { db in
            try Row.fetchOne(db, sql: "SELECT key, label FROM samples WHERE sample_id = ?", arguments: [id]).map {
                Sample(id: id, key: $0[0], label: ($0[1] as Int?) ?? -1)
            }
        }
    }

    /// Samples recorded as failed.
    public func failures() throws(StoreError) -> [FailureInfo] {
        try run { db in
            try Row.fetchAll(db, sql: "SELECT epoch, sample_id, key, reason FROM failures ORDER BY epoch, sample_id").map {
                FailureInfo(epoch: $0[0], sampleID: $0[1], key: $0[2], reason: $0[3])
            }
        }
    }

    /// The writer sessions, oldest first.
    public func sessions() throws(StoreError) -> [SessionInfo] {
        try run { db in
            try Row.fetchAll(db, sql: "SELECT started_at, ended_at, tool_version, records_written, status FROM sessions ORDER BY id").map {
                SessionInfo(startedAt: $0[0], endedAt: $0[1], toolVersion: $0[2], recordsWritten: $0[3], status: $0[4])
            }
        }
    }

    /// Runs SQLite's own structural check (`PRAGMA quick_check`); returns its problems (empty when fine).
    public func quickCheck() throws(StoreError) -> [String] {
        let lines: [String] = try run { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
        return lines == ["ok"] ? [] : lines
    }
}
