import Foundation
import GRDB
@testable import DataPipeline
import ModelJobs
import Store
import Testing

@Suite struct VerifyJobTests {
    func copyOfStore() throws -> String {
        let path = try TrainJobTests.setup.dir + "/verify-\(UUID().uuidString).tdstore"
        try FileManager.default.copyItem(atPath: TrainJobTests.setup.store, toPath: path)
        return path
    }

    @Test func aCleanStoreVerifiesAndReplaysIdentically() throws {
        let report = try VerifyJob.run(paths: [TrainJobTests.setup.store], data: TrainJobTests.data,
                                       teacher: TrainJobTests.setup.teacher, arch: nil, sample: 40, teachers: ModelTeachers())
        #expect(report.ok && report.problems.isEmpty)
        #expect(report.records == 192 && report.dataset == "match")
        let replay = try #require(report.replay)
        #expect(replay.records == 40)
        #expect(replay.top1Agreement == 1 && replay.topKSetAgreement == 1 && replay.identicalValues == 1 && replay.maxAbsDelta == 0, "\(replay)")
    }

    @Test func aStoreWithoutImagesVerifiesAgainstItsSyntheticDatasetAndReplays() throws {
        // verify --data takes every source precompute takes, synthetic:N included (labels only; the
        // synthetic teacher reads each record's seed).
        let path = try TrainJobTests.setup.dir + "/synthetic-\(UUID().uuidString).tdstore"
        _ = try PrecomputeJob(options: PrecomputeOptions(data: "synthetic:500", teacher: "synthetic:10", epochs: 2, topK: 3,
                                                         seed: 5, out: path, chunkRecords: 64), teachers: ModelTeachers()).run()
        let report = try VerifyJob.run(paths: [path], data: "synthetic:500", teacher: "synthetic:10", arch: nil, sample: 50, teachers: ModelTeachers())
        #expect(report.ok && report.dataset == "match" && report.records == 1000, "\(report.problems)")
        let replay = try #require(report.replay)
        #expect(replay.records == 50 && replay.identicalValues == 1)
        // Another class count labels the samples differently: a different dataset.
        let other = try VerifyJob.run(paths: [path], data: "synthetic:500:7", teacher: nil, arch: nil, teachers: ModelTeachers())
        #expect(other.dataset == "mismatch" && !other.ok)
    }

    @Test func aFlippedPayloadByteIsACorruptChunk() throws {
        let path = try copyOfStore()
        let db = try DatabaseQueue(path: path)
        try db.write { db in
            let blob = try Data.fetchOne(db, sql: "SELECT payload FROM chunks WHERE epoch = 1 AND chunk = 2")!
            var bytes = [UInt8](blob)
            bytes[bytes.count / 2] ^= 0x10
            try db.execute(sql: "UPDATE chunks SET payload = ? WHERE epoch = 1 AND chunk = 2", arguments: [Data(bytes)])
        }
        try db.close()
        let report = try VerifyJob.run(paths: [path], data: nil, teacher: nil, arch: nil, teachers: ModelTeachers())
        #expect(!report.ok)
        #expect(report.problems.contains { $0.kind == "corrupt-chunk" && $0.detail.contains("epoch 1 chunk 2") })
        // The chunk's records are then missing too.
        #expect(report.problems.contains { $0.kind == "missing" && $0.detail.contains("epoch 1") })
    }

    @Test func aDeletedChunkLeavesMissingSamplesAndAWrongDatasetIsNamed() throws {
        let path = try copyOfStore()
        let db = try DatabaseQueue(path: path)
        try db.write { db in try db.execute(sql: "DELETE FROM chunks WHERE epoch = 0 AND chunk = 0") }
        try db.close()
        let report = try VerifyJob.run(paths: [path], data: "synthetic-images:96:36x36x3:2:7", teacher: nil, arch: nil, teachers: ModelTeachers())
        #expect(!report.ok && report.records == 176)
        #expect(report.problems.contains { $0.kind == "missing" && $0.detail.contains("epoch 0: 16 sample(s)") })
        #expect(report.dataset == "mismatch")
    }

    @Test func anUnfinishedRunIsIncompleteButNotDamaged() throws {
        // The same deleted chunk in a store whose last session was killed: what a resume computes, not
        // a problem; once a session finishes, the same gap is a `missing` problem again (above).
        let path = try copyOfStore()
        let db = try DatabaseQueue(path: path)
        try db.write { db in
            try db.execute(sql: "DELETE FROM chunks WHERE epoch = 0 AND chunk = 0")
            try db.execute(sql: "INSERT INTO sessions (started_at, tool_version, status) VALUES ('2026-01-01T00:00:00Z', 'test', 'running')")
        }
        try db.close()
        let report = try VerifyJob.run(paths: [path], data: nil, teacher: nil, arch: nil, teachers: ModelTeachers())
        #expect(report.ok && report.problems.isEmpty, "\(report.problems)")
        #expect(!report.complete && report.missingRecords == 16)
        #expect(report.unfinishedSessions.count == 1 && report.unfinishedSessions[0].contains("running"))
        let clean = try VerifyJob.run(paths: [TrainJobTests.setup.store], data: nil, teacher: nil, arch: nil, teachers: ModelTeachers())
        #expect(clean.complete && clean.missingRecords == 0 && clean.unfinishedSessions.isEmpty)
    }
}
