import Foundation
@testable import DataPipeline
import ModelJobs
import Store
import Testing

@Suite struct PrecomputeExclusionTests {
    static let data = "synthetic-images:120:24x24x1:6:5"

    func folder() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("td-pexclude-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(AugmentPolicyFixture.json.utf8).write(to: URL(fileURLWithPath: dir + "/policy.json"))
        return dir
    }

    func exclusion(_ samples: [Int], in dir: String, name: String = "suspects.txt") throws -> String {
        let source = try DataSource.open(Self.data)
        let path = dir + "/" + name
        try Data(("# suspects\n" + samples.map { source.sample($0).key + "\n" }.joined()).utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func options(_ dir: String, exclude: String?, out: String = "s.tdstore") -> PrecomputeOptions {
        var o = PrecomputeOptions(data: Self.data, teacher: "synthetic:5", policy: dir + "/policy.json", epochs: 2, topK: 3, seed: 2,
                                  out: dir + "/" + out, chunkRecords: 16, batch: 16)
        o.exclude = exclude
        return o
    }

    @Test func excludedSamplesAreNotComputedAreRecordedAndEverythingDownstreamAgrees() throws {
        let dir = try folder()
        let excluded = [0, 5, 33, 34, 119]
        let file = try exclusion(excluded, in: dir)
        let summary = try PrecomputeJob(options: options(dir, exclude: file), teachers: ModelTeachers()).run()
        #expect(summary.recordsWritten == 2 * (120 - 5) && summary.excludedSamples == 5 && summary.badSamples == 0)
        let store = try ShardedStore(paths: [dir + "/s.tdstore"])
        #expect(store.metadata.exclusion?.samples == 5)
        #expect(try store.failures().filter { $0.reason.hasPrefix("excluded") }.count == 10)   // 5 samples × 2 epochs
        // verify: complete, nothing missing; the loader (with or without the file) reads exactly the kept records.
        let report = try VerifyJob.run(paths: [dir + "/s.tdstore"], data: Self.data, teacher: nil, arch: nil, teachers: ModelTeachers())
        #expect(report.ok && report.complete && report.knownFailures == 10, "\(report.problems)")
        for exclude in [nil, file] {
            var o = LoaderOptions(batch: 7, dropLast: false)
            o.exclude = exclude
            let loader = try Loader(storePaths: [dir + "/s.tdstore"], data: Self.data, options: o)
            let stream = try loader.batches(epoch: 1)
            var ids: [Int] = []
            while let b = try stream.next() { ids += b.sampleIDs }
            #expect(Set(ids) == Set(0..<120).subtracting(excluded) && ids.count == 115)
            #expect(try loader.recordCount(epoch: 1) == 115)
        }
        // Resuming with another exclusion (or none) is refused, naming it.
        let other = try exclusion([1], in: dir, name: "other.txt")
        #expect { _ = try PrecomputeJob(options: options(dir, exclude: other), teachers: ModelTeachers()).run() } throws: { "\($0)".contains("excluded samples") }
        #expect { _ = try PrecomputeJob(options: options(dir, exclude: nil), teachers: ModelTeachers()).run() } throws: { "\($0)".contains("excluded samples") }
        // The same exclusion resumes (nothing left to do).
        #expect(try PrecomputeJob(options: options(dir, exclude: file), teachers: ModelTeachers()).run().recordsWritten == 0)
    }
}

/// The policy the exclusion tests precompute with: 24 px, light, so the store is quick to make.
enum AugmentPolicyFixture {
    static let json = """
        {"version": 1, "output_size": 24, "interpolation": "bilinear",
         "crop": {"scale": [0.5, 1.0], "ratio": [0.75, 1.3333333333333333], "attempts": 10}, "hflip": 0.5,
         "rand_augment": null, "erasing": null, "mix": null, "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]}
        """
}
