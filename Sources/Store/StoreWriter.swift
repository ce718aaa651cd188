import DetCore
import Foundation
import GRDB

/// Appends records to a store, a chunk per transaction, and resumes an interrupted store.
///
/// Records may arrive in any order within an epoch; each epoch buffers one pending chunk that is
/// written when it holds `chunkRecords` records (and on ``flush()`` / ``close()``). A SIGKILL at any
/// moment leaves a valid store holding whole chunks only: what was pending is simply not there,
/// and ``completedSamples(epoch:)`` tells a resuming writer what to redo.
///
/// Not thread-safe: one writer per store, used from one thread.
public final class StoreWriter {
    /// The store file.
    public let path: String
    /// The store's metadata.
    public private(set) var metadata: StoreMetadata
    /// Records this writer has committed in this session.
    public private(set) var recordsWritten = 0
    /// Decoded payload bytes and compressed bytes committed in this session.
    public private(set) var rawBytesWritten = 0, compressedBytesWritten = 0

    private let db: DatabaseQueue
    private let lock: WriterLock
    private let layout: ChunkLayout
    private let zstd: Zstd
    // Indexed by epoch (arrays: no hashing on the per-record path).
    private var pending: [PendingChunk] = []
    private var nextChunk: [Int] = []
    private var stored: [SampleSet?] = []
    private var sessionID: Int64 = 0
    private var seen: [UInt64]
    private var sortScratch: [UInt64] = []
    private var codeScratch: [UInt16] = []
    private var idxScratch: [UInt32] = []
    private var halfScratch: [Float] = []
    private var storedScratch: [Float] = []
    private var closed = false
    private var ready = false

    /// The tool version recorded in the sessions table.
    public static let toolVersion = "tinydistill 0.1.0"

    /// Opens `path` for writing: creates the store with `metadata` (and `samples`, when given; read
    /// only when the store is created, one at a time) if the file does not exist, otherwise checks that the stored metadata agrees with `metadata` and
    /// resumes. A store made for other settings is refused with the first field that differs.
    ///
    /// - Parameters:
    ///   - compressionLevel: zstd level for new chunks (1…19).
    ///   - maxBytes: a size budget for the store file (SQLite's `max_page_count`): a chunk that would
    ///     exceed it fails with ``StoreError/diskFull(path:)`` like a full disk, leaving the committed
    ///     chunks intact. nil: no budget.
    public init(
        path: String, metadata: StoreMetadata, samples: (any Sequence<Sample>)? = nil, compressionLevel: Int32 = 1,
        maxBytes: Int? = nil
    ) throws(StoreError) {
        try metadata.validate()
        self.path = path
        self.layout = metadata.layout
        self.zstd = Zstd(level: compressionLevel)
        self.seen = [UInt64](repeating: 0, count: (metadata.numClasses + 63) / 64)
        let exists = FileManager.default.fileExists(atPath: path)
        if exists { try StoreReader.checkHeader(path: path) }
        lock = try WriterLock(storePath: path)
        let queue = try Self.openQueue(path: path, existed: exists)
        db = queue
        self.metadata = metadata
        do {
            if try queue.read({ db in try !db.tableExists("metadata") }) {
                try Self.create(queue, metadata: metadata, samples: samples, existed: exists, path: path)
            } else {
                self.metadata = try Self.resume(queue, requested: metadata, path: path)
            }
            try Self.enableWAL(queue, maxBytes: maxBytes)
            pending = [PendingChunk](repeating: PendingChunk(), count: self.metadata.epochs)
            nextChunk = [Int](repeating: 0, count: self.metadata.epochs)
            stored = [SampleSet?](repeating: nil, count: self.metadata.epochs)
            sessionID = try Self.startSession(queue)
            ready = true
        } catch {
            // A store this call created holds no records yet: remove it (and any hot journal a full disk
            // left) rather than leave a file readers cannot open. Existing stores are never removed.
            if !exists { Self.removeIncompleteNewStore(queue: queue, path: path) }
            throw StoreError.from(error, path: path)
        }
    }

    /// The writer's connection (waits at most 2 s for a lock held by a reader's checkpoint).
    private static func openQueue(path: String, existed: Bool) throws(StoreError) -> DatabaseQueue {
        var config = Configuration()
        config.busyMode = .timeout(2)
        config.label = "tinydistill-writer"
        do {
            return try DatabaseQueue(path: path, configuration: config)
        } catch {
            if !existed { removeIncompleteNewStore(queue: nil, path: path) }
            throw StoreError.from(error, path: path)
        }
    }

    /// Creates the tables, the metadata row and the samples table (read once from `samples`). A file
    /// that has tables but no metadata table is someone else's and is refused.
    private static func create(_ db: DatabaseQueue, metadata: StoreMetadata, samples: (any Sequence<Sample>)?,
                               existed: Bool, path: String) throws {
        if existed {
            let tables = try db.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0 }
            if tables > 0 {
                throw StoreError.notTinyDistill(path: path, detail: "it has tables but no metadata table")
            }
        }
        try StoreSchema.migrator.migrate(db)
        try db.write { db in
            try db.execute(
                sql: "INSERT INTO metadata (id, format_version, document) VALUES (1, ?, ?)",
                arguments: [metadata.formatVersion, metadata.storedDocument()])
            if let samples {
                let stmt = try db.makeStatement(sql: "INSERT INTO samples (sample_id, key, label) VALUES (?, ?, ?)")
                for s in samples { try stmt.execute(arguments: [s.id, s.key, s.label]) }
            }
        }
    }

    /// Checks an existing store against the requested settings (the first field that differs is
    /// refused), extends its epochs or chunk size when asked, and marks sessions that never ended as
    /// interrupted (they were killed). Returns the store's metadata as it now stands.
    private static func resume(_ db: DatabaseQueue, requested metadata: StoreMetadata, path: String) throws -> StoreMetadata {
        let existing = try db.read { db in try StoreReader.readMetadata(db, path: path) }
        if try db.read({ db in try StoreSchema.migrator.hasBeenSuperseded(db) }) {
            throw StoreError.unsupportedFormatVersion(path: path, found: existing.formatVersion + 1, supported: StoreMetadata.currentFormatVersion)
        }
        try StoreSchema.migrator.migrate(db)
        if let (field, a, b) = existing.differences(from: metadata).first {
            throw StoreError.metadataMismatch(path: path, field: field, stored: a, requested: b)
        }
        // A run may extend the epochs (never shrink them: chunks of later epochs stay valid) and change
        // the chunk size of new chunks.
        var result = existing
        let epochs = max(existing.epochs, metadata.epochs)
        if existing.epochs != epochs || existing.chunkRecords != metadata.chunkRecords {
            result.epochs = epochs
            result.chunkRecords = metadata.chunkRecords
            try db.write { db in
                try db.execute(sql: "UPDATE metadata SET document = ? WHERE id = 1", arguments: [result.storedDocument()])
            }
        }
        try db.write { db in
            try db.execute(sql: "UPDATE sessions SET status = 'interrupted' WHERE status = 'running'")
        }
        return result
    }

    /// WAL only once the file is known to be ours and compatible: readers may then read while chunks are
    /// appended. A size budget becomes SQLite's `max_page_count`.
    private static func enableWAL(_ db: DatabaseQueue, maxBytes: Int?) throws {
        try db.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            if let maxBytes {
                let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
                try db.execute(sql: "PRAGMA max_page_count = \(max(1, maxBytes / pageSize))")
            }
        }
    }

    /// Records this writer's session as running; returns its row id.
    private static func startSession(_ db: DatabaseQueue) throws -> Int64 {
        let started = ISO8601DateFormatter().string(from: Date())
        return try db.write { db in
            try db.execute(
                sql: "INSERT INTO sessions (started_at, tool_version, status) VALUES (?, ?, 'running')",
                arguments: [started, toolVersion])
            return db.lastInsertedRowID
        }
    }

    /// Closes `queue` (rolling back what SQLite can) and deletes a store file created by this writer's
    /// initialiser together with its journal, WAL and shared-memory files.
    private static func removeIncompleteNewStore(queue: DatabaseQueue?, path: String) {
        try? queue?.close()
        for suffix in ["", "-journal", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    deinit {
        if ready && !closed { try? close(status: "interrupted") }
    }

    /// The samples of `epoch` already stored (committed chunks plus this writer's pending records).
    public func completedSamples(epoch: Int) throws(StoreError) -> SampleSet {
        guard epoch >= 0, epoch < metadata.epochs else { throw StoreError.invalidArgument("epoch \(epoch) out of range 0..<\(metadata.epochs)") }
        try loadStored(epoch: epoch)
        return stored[epoch]!
    }

    private func loadStored(epoch: Int) throws(StoreError) {
        if stored[epoch] != nil { return }
        var set = SampleSet(capacity: metadata.dataset.sampleCount)
        var maxChunk = -1
        var scratch: [UInt8] = []
        var columns = RecordColumns(epoch: epoch, k: layout.k)
        do {
            try db.read { db in
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT chunk, record_count, min_sample, max_sample FROM chunks WHERE epoch = ?", arguments: [epoch])
                var irregular: [Int] = []
                while let row = try rows.next() {
                    let chunk: Int = row[0], n: Int = row[1], lo: Int = row[2], hi: Int = row[3]
                    maxChunk = max(maxChunk, chunk)
                    if hi - lo + 1 == n, lo >= 0, hi < set.capacity {
                        set.insert(contentsOf: lo...hi)  // a contiguous run: no need to decode
                    } else {
                        irregular.append(chunk)
                    }
                }
                for chunk in irregular {
                    try StoreReader.decodeChunk(db, epoch: epoch, chunk: chunk, layout: layout, zstd: zstd, scratch: &scratch, into: &columns, path: path)
                    for s in columns.sampleIDs where Int(s) < set.capacity { set.insert(Int(s)) }
                }
            }
        } catch {
            throw StoreError.from(error, path: path)
        }
        stored[epoch] = set
        nextChunk[epoch] = maxChunk + 1
    }

    /// Appends one record. `indices` and `probabilities` hold K entries in any order.
    ///
    /// Throws ``StoreError/invalidRecord(epoch:sample:detail:)`` when K, a class index or a probability
    /// is out of range, ``StoreError/duplicateRecord(epoch:sample:)`` when the pair is already stored.
    public func append(
        epoch: Int, sampleID: Int, seed: UInt64,
        indices: UnsafeBufferPointer<UInt32>, probabilities: UnsafeBufferPointer<Float>
    ) throws(StoreError) {
        try checkPlacement(epoch: epoch, sampleID: sampleID, entries: (indices.count, probabilities.count))
        guard layout.sampling == nil else {
            throw StoreError.invalidRecord(epoch: epoch, sample: sampleID, detail: "top-K entries given, but the store keeps sampled targets (\(layout.sampling!))")
        }
        try checkEntries(epoch: epoch, sampleID: sampleID, indices: indices, probabilities: probabilities)
        let kl = encode(indices: indices, probabilities: probabilities)
        try buffer(epoch: epoch, sampleID: sampleID, seed: seed, kl: kl)
    }

    /// Appends one record of sampled targets: its distinct drawn `classes` in ascending order, their draw
    /// `counts` (each ≥ 1, summing to N) and their target `values` (kept when the store keeps values,
    /// T ≠ 1). The store's kind must be sampled.
    public func appendSampled(
        epoch: Int, sampleID: Int, seed: UInt64,
        classes: UnsafeBufferPointer<UInt32>, counts: UnsafeBufferPointer<UInt16>, values: UnsafeBufferPointer<Float>
    ) throws(StoreError) {
        guard let sampling = layout.sampling else {
            throw StoreError.invalidRecord(epoch: epoch, sample: sampleID, detail: "sampled targets given, but the store keeps top-K records")
        }
        let length = classes.count
        try checkPlacement(epoch: epoch, sampleID: sampleID, entries: (layout.k, layout.k))
        guard length >= 1, length <= layout.k, counts.count == length, values.count == length else {
            throw StoreError.invalidRecord(
                epoch: epoch, sample: sampleID,
                detail: "has \(length) classes, \(counts.count) counts and \(values.count) values; a sampled record has 1…\(layout.k) of each")
        }
        var total = 0
        for e in 0..<length {
            let c = classes[e]
            guard c < UInt32(layout.numClasses) else {
                throw StoreError.invalidRecord(epoch: epoch, sample: sampleID, detail: "class index \(c) out of range 0..<\(layout.numClasses)")
            }
            guard e == 0 || c > classes[e - 1] else {
                throw StoreError.invalidRecord(epoch: epoch, sample: sampleID, detail: "drawn classes are not strictly ascending at class \(c)")
            }
            guard counts[e] >= 1 else { throw StoreError.invalidRecord(epoch: epoch, sample: sampleID, detail: "class \(c) has count 0") }
            guard values[e] >= 0 && values[e] <= 1.0001 else {
                throw StoreError.invalidRecord(epoch: epoch, sample: sampleID, detail: "value \(values[e]) at class \(c) is not in [0, 1]")
            }
            total += Int(counts[e])
        }
        guard total == sampling.draws else {
            throw StoreError.invalidRecord(epoch: epoch, sample: sampleID, detail: "draw counts sum to \(total), not N = \(sampling.draws)")
        }
        var chunk = PendingChunk()
        swap(&chunk, &pending[epoch])
        chunk.lengths.append(UInt16(length))
        chunk.indices.append(contentsOf: classes)
        chunk.counts.append(contentsOf: counts)
        if sampling.storesValues {
            for e in 0..<length { chunk.codes.append(layout.codec.code(min(values[e], 1))) }
        }
        swap(&chunk, &pending[epoch])
        try buffer(epoch: epoch, sampleID: sampleID, seed: seed, kl: 0, entries: false)
    }

    /// The record's epoch and sample are in range, it has K entries, and the pair is not stored yet.
    private func checkPlacement(epoch: Int, sampleID: Int, entries: (indices: Int, probabilities: Int)) throws(StoreError) {
        guard epoch >= 0, epoch < metadata.epochs else {
            throw StoreError.invalidRecord(epoch: epoch, sample: sampleID, detail: "epoch out of range 0..<\(metadata.epochs)")
        }
        guard sampleID >= 0, sampleID < metadata.dataset.sampleCount else {
            throw StoreError.invalidRecord(epoch: epoch, sample: sampleID, detail: "sample id out of range 0..<\(metadata.dataset.sampleCount)")
        }
        guard entries.indices == layout.k, entries.probabilities == layout.k else {
            throw StoreError.invalidRecord(
                epoch: epoch, sample: sampleID,
                detail: "has \(entries.indices) indices and \(entries.probabilities) probabilities; the store's K is \(layout.k)")
        }
        if stored[epoch] == nil { try loadStored(epoch: epoch) }
        if stored[epoch]!.contains(sampleID) { throw StoreError.duplicateRecord(epoch: epoch, sample: sampleID) }
    }

    /// Every class is below C and appears once, every probability is in [0, 1], and they sum to at most 1.
    private func checkEntries(epoch: Int, sampleID: Int, indices: UnsafeBufferPointer<UInt32>,
                              probabilities: UnsafeBufferPointer<Float>) throws(StoreError) {
        let k = layout.k
        let c = UInt32(layout.numClasses)
        var sum: Float = 0
        var problem: String?
        seen.withUnsafeMutableBufferPointer { seen in
            for j in 0..<k {
                let idx = indices[j]
                let p = probabilities[j]
                if idx >= c { problem = "class index \(idx) out of range 0..<\(c)"; break }
                if !(p >= 0 && p <= 1.0001) { problem = "probability \(p) at class \(idx) is not in [0, 1]"; break }
                let bit: UInt64 = 1 << UInt64(idx & 63)
                if seen[Int(idx >> 6)] & bit != 0 { problem = "class index \(idx) appears twice"; break }
                seen[Int(idx >> 6)] |= bit
                sum += p
            }
            for j in 0..<k where indices[j] < c { seen[Int(indices[j] >> 6)] = 0 }
        }
        if let problem { throw StoreError.invalidRecord(epoch: epoch, sample: sampleID, detail: problem) }
        if sum > 1.01 {
            throw StoreError.invalidRecord(epoch: epoch, sample: sampleID, detail: "probabilities sum to \(sum) > 1")
        }
    }

    /// Codes the values (fp16 bits, or q8 with its write-time KL, which it returns) and leaves the entries
    /// in ascending class order in `idxScratch` / `codeScratch`.
    private func encode(indices: UnsafeBufferPointer<UInt32>, probabilities: UnsafeBufferPointer<Float>) -> Double {
        let k = layout.k
        let codec = layout.codec
        if sortScratch.count != k {
            sortScratch = [UInt64](repeating: 0, count: k)
            codeScratch = [UInt16](repeating: 0, count: k)
            idxScratch = [UInt32](repeating: 0, count: k)
            halfScratch = [Float](repeating: 0, count: k)
            storedScratch = [Float](repeating: 0, count: k)
        }
        var kl: Double = 0
        codeScratch.withUnsafeMutableBufferPointer { codes in
            if codec == .fp16 {
                for j in 0..<k { codes[j] = codec.code(min(probabilities[j], 1)) }
            } else {
                halfScratch.withUnsafeMutableBufferPointer { h in
                    storedScratch.withUnsafeMutableBufferPointer { q in
                        Fidelity.quantizeQ8(probabilities, codes: codes, half: h, stored: q)
                        kl = Fidelity.denseKL(p: UnsafeBufferPointer(h), q: UnsafeBufferPointer(q), numClasses: layout.numClasses)
                    }
                }
            }
            sortScratch.withUnsafeMutableBufferPointer { keys in
                for j in 0..<k { keys[j] = (UInt64(indices[j]) << 16) | UInt64(codes[j]) }
            }
        }
        // (class, code) keys in ascending order: insertion sort for small K, the library sort otherwise.
        sortScratch.withUnsafeMutableBufferPointer { $0.sortSmall() }
        sortScratch.withUnsafeBufferPointer { keys in
            idxScratch.withUnsafeMutableBufferPointer { ip in
                codeScratch.withUnsafeMutableBufferPointer { cp in
                    for j in 0..<k {
                        ip[j] = UInt32(truncatingIfNeeded: keys[j] >> 16)
                        cp[j] = UInt16(truncatingIfNeeded: keys[j])
                    }
                }
            }
        }
        return kl
    }

    /// Adds the encoded record to its epoch's pending chunk and writes the chunk when it is full.
    /// `entries`: append the top-K record in `idxScratch` / `codeScratch` (a sampled record's entries are
    /// already in the chunk).
    private func buffer(epoch: Int, sampleID: Int, seed: UInt64, kl: Double, entries: Bool = true) throws(StoreError) {
        var chunk = PendingChunk()
        swap(&chunk, &pending[epoch])
        chunk.sampleIDs.append(UInt32(sampleID))
        chunk.seeds.append(seed)
        if entries {
            if chunk.indices.isEmpty {
                chunk.indices.reserveCapacity(metadata.chunkRecords * layout.k)
                chunk.codes.reserveCapacity(metadata.chunkRecords * layout.k)
            }
            chunk.indices.append(contentsOf: idxScratch)
            chunk.codes.append(contentsOf: codeScratch)
        }
        chunk.klSum += kl
        chunk.klMax = max(chunk.klMax, kl)
        stored[epoch]!.insert(sampleID)
        if chunk.count >= metadata.chunkRecords {
            do {
                try writeChunk(epoch: epoch, chunk)
            } catch {
                pending[epoch] = chunk
                throw error
            }
            chunk.removeAll()
        }
        pending[epoch] = chunk
    }

    /// Appends one record (array form).
    public func append(_ record: TargetRecord) throws(StoreError) {
        var err: StoreError?
        record.indices.withUnsafeBufferPointer { i in
            record.probabilities.withUnsafeBufferPointer { p in
                do throws(StoreError) {
                    try append(epoch: record.epoch, sampleID: record.sampleID, seed: record.seed, indices: i, probabilities: p)
                } catch { err = error }
            }
        }
        if let err { throw err }
    }

    /// Records that a sample could not be processed (it gets no record for this epoch).
    public func recordFailure(epoch: Int, sampleID: Int, key: String?, reason: String) throws(StoreError) {
        do {
            try db.write { db in
                try db.execute(
                    sql: "INSERT OR REPLACE INTO failures (epoch, sample_id, key, reason, recorded_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [epoch, sampleID, key, reason, ISO8601DateFormatter().string(from: Date())])
            }
        } catch {
            throw StoreError.from(error, path: path)
        }
    }

    /// Records several failures in one transaction (``recordFailure(epoch:sampleID:key:reason:)`` each).
    public func recordFailures(_ failures: [(epoch: Int, sampleID: Int, key: String?, reason: String)]) throws(StoreError) {
        guard !failures.isEmpty else { return }
        let now = ISO8601DateFormatter().string(from: Date())
        do {
            try db.write { db in
                let stmt = try db.makeStatement(
                    sql: "INSERT OR REPLACE INTO failures (epoch, sample_id, key, reason, recorded_at) VALUES (?, ?, ?, ?, ?)")
                for f in failures { try stmt.execute(arguments: [f.epoch, f.sampleID, f.key, f.reason, now]) }
            }
        } catch {
            throw StoreError.from(error, path: path)
        }
    }

    /// Writes every pending (partial) chunk, each in its own transaction.
    public func flush() throws(StoreError) {
        for epoch in pending.indices where pending[epoch].count > 0 {
            try writeChunk(epoch: epoch, pending[epoch])
            pending[epoch].removeAll()
        }
    }

    /// Flushes, marks the session ended with `status` (`finished` or `interrupted`), checkpoints
    /// the WAL and returns the file to a single-file journal mode when no reader holds it.
    ///
    /// When the flush fails (disk full), the pending records stay pending and the writer stays open:
    /// free space and call `close` again.
    public func close(status: String = "finished") throws(StoreError) {
        if closed { return }
        try flush()
        closed = true
        do {
            try db.write { db in
                try db.execute(
                    sql: "UPDATE sessions SET ended_at = ?, status = ? WHERE id = ?",
                    arguments: [ISO8601DateFormatter().string(from: Date()), status, sessionID])
            }
            try? db.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                try db.execute(sql: "PRAGMA journal_mode = DELETE")
            }
            try db.close()
            lock.release()
        } catch {
            throw StoreError.from(error, path: path)
        }
    }

    private func writeChunk(epoch: Int, _ input: PendingChunk) throws(StoreError) {
        var chunk = input
        let n = chunk.count
        var sorted = true
        for i in 1..<max(n, 1) where chunk.sampleIDs[i] <= chunk.sampleIDs[i - 1] { sorted = false; break }
        if !sorted { chunk = Self.sortedBySample(chunk, k: layout.k) }
        let payload = ChunkCodec.encode(chunk, layout: layout, epoch: epoch)
        let checksum = payload.bytes.withUnsafeBytes { XXH64.hash($0) }
        let blob = try zstd.compressSections(payload.bytes, sections: payload.sections)
        let index = nextChunk[epoch]
        let sessionID = self.sessionID
        do {
            try db.write { db in
                try db.execute(
                    sql: """
                    INSERT INTO chunks (epoch, chunk, record_count, min_sample, max_sample, raw_bytes, checksum, kl_sum, kl_max, payload)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    arguments: [
                        epoch, index, n, Int(chunk.sampleIDs[0]), Int(chunk.sampleIDs[n - 1]), payload.bytes.count,
                        Int64(bitPattern: checksum), chunk.klSum, chunk.klMax, Data(blob),
                    ])
                try db.execute(
                    sql: "UPDATE sessions SET records_written = records_written + ? WHERE id = ?", arguments: [n, sessionID])
            }
        } catch {
            throw StoreError.from(error, path: path)
        }
        nextChunk[epoch] = index + 1
        recordsWritten += n
        rawBytesWritten += payload.bytes.count
        compressedBytesWritten += blob.count
    }

    /// `c`'s records in ascending sample order. Top-K records hold k entries each; sampled records
    /// (non-empty `lengths`) hold their own number, with value codes only when the store keeps values.
    private static func sortedBySample(_ c: PendingChunk, k: Int) -> PendingChunk {
        let order = (0..<c.count).sorted { c.sampleIDs[$0] < c.sampleIDs[$1] }
        var out = PendingChunk()
        out.klSum = c.klSum
        out.klMax = c.klMax
        let sampled = !c.lengths.isEmpty
        var starts = [Int](repeating: 0, count: c.count + 1)
        for i in 0..<c.count { starts[i + 1] = starts[i] + (sampled ? Int(c.lengths[i]) : k) }
        let hasCodes = !c.codes.isEmpty
        for i in order {
            let entries = starts[i]..<starts[i + 1]
            out.sampleIDs.append(c.sampleIDs[i])
            out.seeds.append(c.seeds[i])
            out.indices.append(contentsOf: c.indices[entries])
            if hasCodes { out.codes.append(contentsOf: c.codes[entries]) }
            if sampled {
                out.lengths.append(c.lengths[i])
                out.counts.append(contentsOf: c.counts[entries])
            }
        }
        return out
    }
}
