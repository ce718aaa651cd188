import Foundation
import GRDB
import Testing
@testable import Store

/// A writer killed in the middle of a write leaves a hot rollback journal or an unindexed WAL. A reader
/// that opens the store afterwards rolls the unfinished write back and reads the last committed state;
/// it never reports the half-written pages and never needs the writer to be rerun first.
@Suite struct KilledWriterRecoveryTests {
    func makeStore(_ dir: TempDir, name: String) throws -> String {
        let path = dir.path(name)
        var rng = TestRNG(7)
        let meta = testMetadata(c: 1000, k: 10, epochs: 1, samples: 600, chunk: 100)
        let w = try StoreWriter(path: path, metadata: meta)
        for s in 0..<600 { try w.append(randomRecord(epoch: 0, sample: s, c: 1000, k: 10, rng: &rng, derivedSeed: nil)) }
        try w.close()
        return path
    }

    func digest(_ path: String) throws -> RecordDigest {
        var d = RecordDigest()
        try StoreReader(path: path).forEachChunk { d.add($0) }
        return d
    }

    /// Copies the store and its journal or WAL while `mode`'s write transaction is open and has spilled
    /// zeroed chunk pages into the file: the copy is exactly what a SIGKILL at that moment leaves.
    func snapshotMidWrite(_ path: String, mode: String, to copy: String) throws {
        let q = try DatabaseQueue(path: path)
        try q.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = \(mode)")
            try db.execute(sql: "PRAGMA cache_size = 2")
            try db.execute(sql: "BEGIN IMMEDIATE")
            try db.execute(sql: "UPDATE chunks SET payload = zeroblob(length(payload)), checksum = 0")
            if mode == "WAL" { try db.execute(sql: "COMMIT") }  // a committed WAL frame set nobody checkpointed
            for suffix in ["", "-journal", "-wal"] where FileManager.default.fileExists(atPath: path + suffix) {
                try FileManager.default.copyItem(atPath: path + suffix, toPath: copy + suffix)
            }
            if mode != "WAL" { try db.execute(sql: "ROLLBACK") }
        }
        try q.close()
    }

    @Test func aHotJournalIsRolledBackAndTheCommittedRecordsRead() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = try makeStore(dir, name: "s.tdstore")
        let before = try digest(path)
        let copy = dir.path("killed.tdstore")
        try snapshotMidWrite(path, mode: "DELETE", to: copy)
        #expect(FileManager.default.fileExists(atPath: copy + "-journal"), "the test did not leave a journal behind")
        #expect(try digest(copy) == before)
        #expect(!FileManager.default.fileExists(atPath: copy + "-journal"))
    }

    @Test func aWALWithoutItsIndexIsReadWithItsCommittedFrames() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = try makeStore(dir, name: "s.tdstore")
        let copy = dir.path("killed.tdstore")
        try snapshotMidWrite(path, mode: "WAL", to: copy)
        #expect(FileManager.default.fileExists(atPath: copy + "-wal"), "the test did not leave a WAL behind")
        // The committed frames zeroed every payload: the reader must see them (and say the chunks are
        // damaged), not the stale pages in the main file.
        #expect(throws: StoreError.self) { try digest(copy) }
    }
}
