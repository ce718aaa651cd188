import DetCore
import Augment
import Foundation
import Images
import Models
@testable import DataPipeline
import ModelJobs
import Store
import Testing

/// precompute on images with a libtorch teacher: records, replay, resume, threads, shards, bad samples.
@Suite struct PrecomputeImagesTests {
    static let built = Result { () throws -> String in
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tinydistill-images-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // A small TinyViT teacher (32 px, 3 channels, 12 classes) and the TinyViT policy at 32 px.
        let arch = Architecture.tinyViT(TinyViTConfig(imgSize: 32, inChans: 3, numClasses: 12, embedDims: [8, 16, 16, 24],
                                                      depths: [1, 1, 1, 1], numHeads: [1, 2, 2, 3], windowSizes: [4, 4, 4, 2],
                                                      dropPathRate: 0))
        let model = try Model(arch, seed: 4)
        try model.saveWeights(to: dir + "/teacher.safetensors")
        try Data(AugmentPolicy.tinyViT(outputSize: 32).canonicalJSON().utf8).write(to: URL(fileURLWithPath: dir + "/policy.json"))
        return dir
    }
    /// The teacher and policy folder; a failure to build it fails each test that uses it instead of crashing the run.
    static var folder: String { get throws { try built.get() } }

    func tempPath(_ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tinydistill-pi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    func options(_ out: String, data: String = "synthetic-images:150:40x36x3:5:12", epochs: Int = 2, threads: Int = 2,
                 rank: Int = 0, world: Int = 1, batch: Int = 16, teacher: String? = nil) throws -> PrecomputeOptions {
        PrecomputeOptions(data: data, teacher: try teacher ?? Self.folder + "/teacher.safetensors", policy: try Self.folder + "/policy.json",
                          epochs: epochs, topK: 5, seed: 9, out: out, chunkRecords: 64, batch: batch, threads: threads,
                          rank: rank, world: world)
    }

    func digest(_ paths: [String]) throws -> String {
        try InspectReport.make(paths: paths).digest
    }

    @Test func everyRecordReplaysToTheSameTeacherOutput() throws {
        let out = try tempPath("a.tdstore")
        let summary = try PrecomputeJob(options: try options(out), teachers: ModelTeachers()).run()
        #expect(summary.recordsWritten == 300 && summary.badSamples == 0)
        let report = try InspectReport.make(path: out)
        #expect(report.records == 300 && report.incompleteEpochs.isEmpty)
        #expect(report.metadata.teacher.inputChannels == 3)
        #expect(report.metadata.policyHash == AugmentPolicy.tinyViT(outputSize: 32).hash)

        // Replay a few records: same pixels → same logits → identical top-K indices and fp16 values.
        let reader = try StoreReader(path: out)
        let policy = try AugmentPolicy.parse(Array(reader.metadata.policy!.utf8), source: "store")
        let source = try DataSource.open(reader.metadata.dataset.source)
        let renderer = SampleRenderer(source: source, replay: Replay(policy: policy, channels: 3))
        let model = try Model(try Architecture.fromJSON(Data(reader.metadata.teacher.architecture.utf8)),
                              weights: try Self.folder + "/teacher.safetensors")
        try model.setTraining(false)
        for (e, s) in [(0, 0), (0, 77), (1, 149), (1, 3)] {
            let rec = try #require(try reader.record(epoch: e, sample: s))
            #expect(rec.seed == SeedScheme.derive(runSeed: 9, epoch: e, sample: s))
            let (pixels, params) = try renderer.render(s, seed: rec.seed)
            let planes = Augmenter(policy: policy).normalized(pixels, params)
            let logits = try model.forward(planes, n: 1, c: 3, h: 32, w: 32)
            var idx = [UInt32](repeating: 0, count: 5)
            var p = [Float](repeating: 0, count: 5)
            logits.withUnsafeBufferPointer { TopK.select(logits: $0, indices: &idx, probabilities: &p) }
            // The store keeps each record's classes as a set (its own order); compare class → fp16 value.
            let replayed = Dictionary(uniqueKeysWithValues: zip(idx, p.map { Float(Float16($0)) }))
            let stored = Dictionary(uniqueKeysWithValues: zip(rec.indices, rec.probabilities))
            #expect(replayed == stored)
        }
    }

    @Test func threadCountAndBatchSizeDoNotChangeTheStore() throws {
        let a = try tempPath("a.tdstore"), b = try tempPath("b.tdstore")
        _ = try PrecomputeJob(options: try options(a, epochs: 1, threads: 1, batch: 7), teachers: ModelTeachers()).run()
        _ = try PrecomputeJob(options: try options(b, epochs: 1, threads: 3, batch: 32), teachers: ModelTeachers()).run()
        #expect(try digest([a]) == digest([b]))
    }

    @Test func stoppedThenResumedEqualsUninterrupted() throws {
        let full = try tempPath("full.tdstore"), part = try tempPath("part.tdstore")
        _ = try PrecomputeJob(options: try options(full), teachers: ModelTeachers()).run()
        let job = PrecomputeJob(options: try options(part), teachers: ModelTeachers())
        var polls = 0
        job.shouldStop = { polls += 1; return polls >= 5 }
        let first = try job.run()
        #expect(first.interrupted && first.recordsWritten > 0 && first.recordsWritten < 300)
        let second = try PrecomputeJob(options: try options(part), teachers: ModelTeachers()).run()
        #expect(second.recordsSkipped == first.recordsWritten)
        #expect(try digest([part]) == digest([full]))
    }

    @Test func twoShardsHoldExactlyTheRecordsOfOne() throws {
        let one = try tempPath("one.tdstore")
        _ = try PrecomputeJob(options: try options(one), teachers: ModelTeachers()).run()
        let dir = try tempPath("shards")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for r in 0..<2 { _ = try PrecomputeJob(options: try options(dir + "/s\(r).tdstore", rank: r, world: 2), teachers: ModelTeachers()).run() }
        let shard0 = try InspectReport.make(path: dir + "/s0.tdstore")
        #expect(shard0.records == 150 && shard0.incompleteEpochs.isEmpty)
        let union = try InspectReport.make(paths: [dir])
        #expect(union.records == 300 && union.incompleteEpochs.isEmpty)
        #expect(union.digest == (try digest([one])))
        // A missing rank is refused; merge writes one equal store.
        #expect(throws: StoreError.self) { _ = try ShardedStore(paths: [dir + "/s1.tdstore", dir + "/s1.tdstore"]) }
        let merged = try tempPath("merged.tdstore")
        #expect(try ShardedStore(paths: [dir]).merge(into: merged) == 300)
        #expect(try digest([merged]) == digest([one]))
        #expect(try StoreReader(path: merged).record(epoch: 1, sample: 31) == StoreReader(path: one).record(epoch: 1, sample: 31))
    }

    @Test func badImagesAreRecordedAndTheRestIsStored() throws {
        let root = try tempPath("folder")
        for c in ["cat", "dog"] { try FileManager.default.createDirectory(atPath: root + "/" + c, withIntermediateDirectories: true) }
        let img = Image(width: 40, height: 30, channels: 3, pixels: (0..<3600).map { UInt8($0 % 251) })
        let jpeg = try JPEG.encode(img, quality: 90)
        for i in 0..<6 { try Data(jpeg).write(to: URL(fileURLWithPath: root + "/\(i % 2 == 0 ? "cat" : "dog")/\(i).jpg")) }
        try Data(jpeg.prefix(jpeg.count / 2)).write(to: URL(fileURLWithPath: root + "/dog/truncated.jpg"))
        let out = try tempPath("bad.tdstore")
        let summary = try PrecomputeJob(options: try options(out, data: root, epochs: 1), teachers: ModelTeachers()).run()
        #expect(summary.badSamples == 1 && summary.recordsWritten == 6)
        #expect(summary.badSampleExamples.first?.contains("truncated.jpg") == true)
        let failures = try StoreReader(path: out).failures()
        #expect(failures.count == 1 && failures[0].key == "dog/truncated.jpg")
    }

    @Test func anotherTeacherOnAnExistingStoreIsRefused() throws {
        let out = try tempPath("a.tdstore")
        _ = try PrecomputeJob(options: try options(out, epochs: 1), teachers: ModelTeachers()).run()
        let file = try SafetensorsFile(contentsOf: try Self.folder + "/teacher.safetensors")
        let other = try Model(try Architecture.fromJSON(Data(file.metadata["tinydistill.arch"]!.utf8)), seed: 99)
        let otherPath = try tempPath("other.safetensors")
        try other.saveWeights(to: otherPath)
        #expect {
            _ = try PrecomputeJob(options: try options(out, epochs: 1, teacher: otherPath), teachers: ModelTeachers()).run()
        } throws: { error in
            guard case PipelineError.store(.metadataMismatch(_, let field, _, _)) = error else { return false }
            return field == "teacher weights hash"
        }
    }

    @Test func syntheticTeacherOnImagesHashesThePixels() throws {
        let a = try tempPath("a.tdstore"), b = try tempPath("b.tdstore")
        _ = try PrecomputeJob(options: try options(a, epochs: 1, teacher: "synthetic:12"), teachers: ModelTeachers()).run()
        _ = try PrecomputeJob(options: try options(b, epochs: 1, threads: 1, teacher: "synthetic:12"), teachers: ModelTeachers()).run()
        #expect(try digest([a]) == digest([b]))
        #expect(try InspectReport.make(path: a).records == 150)
    }
}
