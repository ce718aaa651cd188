import Foundation
@testable import DataPipeline
import ModelJobs
import Testing

/// `train` through a class map: the student gets the dataset's classes, the log records the map's digest,
/// and a resume with another map is refused.
@Suite struct ClassMapTrainTests {
    func mapFile(_ pairs: [(Int, Int)]) throws -> String {
        let path = try TrainJobTests.setup.dir + "/map-\(UUID().uuidString).tsv"
        try Data(pairs.map { "\($0.0)\tclass\($0.1)\n" }.joined().utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func aRunThroughAClassMapRecordsItsDigestAndRefusesAnotherMapOnResume() throws {
        let identity = try mapFile((0..<6).map { ($0, $0) })
        let swapped = try mapFile([(0, 1), (1, 0), (2, 2), (3, 3), (4, 4), (5, 5)])
        let out = try TrainJobTests.setup.dir + "/run-" + UUID().uuidString
        var options = try TrainJobTests().options(out, epochs: 1)
        options.classMap = identity
        options.eval = nil
        let log = try TrainJob(options: options).run()
        let digest = try #require(log.classMapDigest)
        #expect(digest.hasPrefix("sha256:") && log.studentClasses == (0..<6).map { "class\($0)" })
        let written = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/log.json"))) as? [String: Any]
        #expect(written?["class_map_digest"] as? String == digest)

        options.classMap = swapped
        #expect { _ = try TrainJob(options: options).run() } throws: { error in
            guard case PipelineError.invalid(let field, _, let why) = error else { return false }
            return field == "classMap" && why.contains("trained through the class map \(digest)")
        }
        options.classMap = nil
        #expect { _ = try TrainJob(options: options).run() } throws: { error in
            guard case PipelineError.invalid(let field, _, _) = error else { return false }
            return field == "classMap"
        }
        // The same map from another path resumes.
        let copy = try TrainJobTests.setup.dir + "/moved-\(UUID().uuidString).tsv"
        try FileManager.default.copyItem(atPath: identity, toPath: copy)
        options.classMap = copy
        #expect(try TrainJob(options: options).run().epochs.count == 1)
    }
}
