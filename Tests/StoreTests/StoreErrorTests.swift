import Foundation
import GRDB
import Testing
@testable import Store

@Suite struct StoreErrorTests {
    func makeStore(_ dir: TempDir, name: String = "s.tdstore", records: Int = 300, chunk: Int = 100) throws -> String {
        let path = dir.path(name)
        var rng = TestRNG(42)
        let meta = testMetadata(c: 1000, k: 10, epochs: 1, samples: records, chunk: chunk)
        let w = try StoreWriter(path: path, metadata: meta)
        for s in 0..<records {
            try w.append(randomRecord(epoch: 0, sample: s, c: 1000, k: 10, rng: &rng, derivedSeed: nil))
        }
        try w.close()
        return path
    }

    func readAll(_ path: String) throws -> Int {
        var n = 0
        try StoreReader(path: path).forEachChunk { n += $0.count }
        return n
    }

    @Test func missingFileIsNamed() {
        #expect(throws: StoreError.missingFile(path: "/nonexistent/x.tdstore")) { try StoreReader(path: "/nonexistent/x.tdstore") }
    }

    @Test func aFileThatIsNotSQLiteIsRefused() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.path("text.tdstore")
        try Data("hello, this is not a database at all, just some text".utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try StoreReader(path: path)
            Issue.record("opened a text file")
        } catch {
            guard case .notAStore(let p, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(p == path)
        }
        // The writer refuses it too, and leaves it untouched.
        #expect(throws: StoreError.self) { try StoreWriter(path: path, metadata: testMetadata(c: 10, k: 2)) }
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("hello"))
    }

    @Test func anSQLiteFileWithoutOurTablesIsRefused() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.path("other.sqlite")
        try withRawDatabase(path) { db in try db.execute(sql: "CREATE TABLE t (x)") }
        #expect(throws: StoreError.notTinyDistill(path: path, detail: "no metadata table")) { try StoreReader(path: path) }
        #expect(throws: StoreError.notTinyDistill(path: path, detail: "it has tables but no metadata table")) {
            try StoreWriter(path: path, metadata: testMetadata(c: 10, k: 2))
        }
    }

    @Test func aNewerFormatVersionIsRefused() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = try makeStore(dir)
        try withRawDatabase(path) { db in try db.execute(sql: "UPDATE metadata SET format_version = 99") }
        #expect(throws: StoreError.unsupportedFormatVersion(path: path, found: 99, supported: 1)) { try StoreReader(path: path) }
    }

    /// Flipping any byte inside a chunk's blob gives a corrupt-chunk error naming epoch and chunk, never wrong data.
    @Test func flippedBytesInAChunkAreDetected() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = try makeStore(dir)
        var rng = TestRNG(7)
        let original = try DatabaseQueue(path: path).read { db in try Data.fetchOne(db, sql: "SELECT payload FROM chunks WHERE chunk = 1")! }
        for _ in 0..<40 {
            var blob = original
            let at = Int.random(in: 0..<blob.count, using: &rng)
            blob[at] ^= UInt8.random(in: 1...255, using: &rng)
            try withRawDatabase(path) { db in
                try db.execute(sql: "UPDATE chunks SET payload = ? WHERE chunk = 1", arguments: [blob])
            }
            do {
                _ = try readAll(path)
                Issue.record("a flipped byte at \(at) went unnoticed")
            } catch let e as StoreError {
                guard case .corruptChunk(let epoch, let chunk, _) = e else { Issue.record("wrong error \(e)"); continue }
                #expect(epoch == 0 && chunk == 1)
            }
        }
        try withRawDatabase(path) { db in try db.execute(sql: "UPDATE chunks SET payload = ? WHERE chunk = 1", arguments: [original]) }
        #expect(try readAll(path) == 300)
    }

    @Test func aWrongChecksumIsReported() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = try makeStore(dir)
        try withRawDatabase(path) { db in try db.execute(sql: "UPDATE chunks SET checksum = checksum + 1 WHERE chunk = 2") }
        do {
            _ = try readAll(path)
            Issue.record("checksum mismatch unnoticed")
        } catch let e as StoreError {
            guard case .corruptChunk(let epoch, let chunk, let detail) = e else { Issue.record("wrong error \(e)"); return }
            #expect(epoch == 0 && chunk == 2)
            #expect(detail.contains("checksum"))
        }
    }

    /// Truncating the file anywhere gives an error (or, when the cut spares every chunk, correct data).
    @Test func truncatedFilesFailCleanly() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = try makeStore(dir, records: 2000, chunk: 200)
        let full = try Data(contentsOf: URL(fileURLWithPath: path))
        var digestFull = RecordDigest()
        try StoreReader(path: path).forEachChunk { digestFull.add($0) }
        var errors = 0
        for cut in stride(from: 16, to: full.count, by: max(1, full.count / 37)) {
            let p = dir.path("cut-\(cut)")
            try full.prefix(cut).write(to: URL(fileURLWithPath: p))
            do {
                var d = RecordDigest()
                try StoreReader(path: p).forEachChunk { d.add($0) }
                #expect(d == digestFull, "truncated at \(cut) read back different records without an error")
            } catch is StoreError {
                errors += 1
            }
        }
        #expect(errors > 0)
    }

    @Test func recordsOutOfRangeAreRefusedOnWrite() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let w = try StoreWriter(path: dir.path("w"), metadata: testMetadata(c: 100, k: 3, samples: 10))
        let cases: [(TargetRecord, String)] = [
            (TargetRecord(epoch: 0, sampleID: 1, seed: 0, indices: [1, 2], probabilities: [0.5, 0.2]), "K is 3"),
            (TargetRecord(epoch: 0, sampleID: 1, seed: 0, indices: [1, 2, 100], probabilities: [0.5, 0.2, 0.1]), "out of range"),
            (TargetRecord(epoch: 0, sampleID: 1, seed: 0, indices: [1, 2, 2], probabilities: [0.5, 0.2, 0.1]), "twice"),
            (TargetRecord(epoch: 0, sampleID: 1, seed: 0, indices: [1, 2, 3], probabilities: [0.5, -0.2, 0.1]), "not in [0, 1]"),
            (TargetRecord(epoch: 0, sampleID: 1, seed: 0, indices: [1, 2, 3], probabilities: [0.5, .nan, 0.1]), "not in [0, 1]"),
            (TargetRecord(epoch: 0, sampleID: 1, seed: 0, indices: [1, 2, 3], probabilities: [0.9, 0.9, 0.1]), "sum"),
            (TargetRecord(epoch: 5, sampleID: 1, seed: 0, indices: [1, 2, 3], probabilities: [0.5, 0.2, 0.1]), "epoch out of range"),
            (TargetRecord(epoch: 0, sampleID: 10, seed: 0, indices: [1, 2, 3], probabilities: [0.5, 0.2, 0.1]), "sample id out of range"),
        ]
        for (r, words) in cases {
            do {
                try w.append(r)
                Issue.record("accepted \(r)")
            } catch {
                guard case .invalidRecord(let e, let s, let d) = error else { Issue.record("wrong error \(error)"); continue }
                #expect(e == r.epoch && s == r.sampleID)
                #expect(d.contains(words), "\(d)")
            }
        }
        try w.append(TargetRecord(epoch: 0, sampleID: 1, seed: 0, indices: [1, 2, 3], probabilities: [0.5, 0.2, 0.1]))
        #expect(throws: StoreError.duplicateRecord(epoch: 0, sample: 1)) {
            try w.append(TargetRecord(epoch: 0, sampleID: 1, seed: 0, indices: [1, 2, 3], probabilities: [0.5, 0.2, 0.1]))
        }
        try w.close()
    }

    @Test func reopeningWithOtherSettingsIsRefusedNamingTheField() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = try makeStore(dir)
        var meta = testMetadata(c: 1000, k: 10, epochs: 1, samples: 300, chunk: 100)
        meta.topK = 20
        #expect(throws: StoreError.metadataMismatch(path: path, field: "top-K", stored: "10", requested: "20")) {
            try StoreWriter(path: path, metadata: meta)
        }
        meta.topK = 10
        meta.teacher.weightsHash = "other"
        #expect(throws: StoreError.metadataMismatch(path: path, field: "teacher weights hash", stored: "0", requested: "other")) {
            try StoreWriter(path: path, metadata: meta)
        }
        // The store is untouched by the refusals.
        #expect(try readAll(path) == 300)
    }

    @Test func aSecondWriterIsRefusedWhileTheFirstHoldsTheStore() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.path("two.tdstore")
        let meta = testMetadata(c: 100, k: 3, samples: 10)
        let first = try StoreWriter(path: path, metadata: meta)
        #expect(throws: StoreError.busy(path: path)) { try StoreWriter(path: path, metadata: meta) }
        try first.close()
        let again = try StoreWriter(path: path, metadata: meta)
        try again.close()
        #expect(!FileManager.default.fileExists(atPath: path + ".lock"))
    }
}
