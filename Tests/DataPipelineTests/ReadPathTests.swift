import Foundation
@testable import DataPipeline
import ModelJobs
import Store
import Testing

/// Nothing in the read path modifies a store: inspect, verify (with replay) and a loader epoch leave the
/// file byte-identical, create no journal, WAL or lock file, and work on a file without write permission.
@Suite struct ReadPathTests {
    func fileDigest(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    @Test func readingAStoreNeverWritesIt() throws {
        let dir = try TrainJobTests.setup.dir + "/readonly-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/s.tdstore"
        try FileManager.default.copyItem(atPath: TrainJobTests.setup.store, toPath: path)
        // Read-only file: any write attempt would fail loudly (root ignores permissions, so the byte
        // comparison below is the real check).
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        let before = try fileDigest(path)
        let modified = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date

        _ = try InspectReport.make(paths: [path])
        let report = try VerifyJob.run(paths: [path], data: TrainJobTests.data, teacher: TrainJobTests.setup.teacher,
                                       arch: nil, sample: 16, teachers: ModelTeachers())
        #expect(report.ok)
        let loader = try Loader(storePaths: [path], data: TrainJobTests.data, options: LoaderOptions(batch: 16))
        let stream = try loader.batches(epoch: 0)
        var images = 0
        while let batch = try stream.next() { images += batch.n }
        #expect(images > 0)

        #expect(try fileDigest(path) == before)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date == modified)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0 != "s.tdstore" }
        #expect(leftovers.isEmpty, "files created next to the store: \(leftovers)")
    }
}
