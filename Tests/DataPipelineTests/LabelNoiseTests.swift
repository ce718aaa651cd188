import DetCore
import Foundation
@testable import DataPipeline
import ModelJobs
import Store
import Testing

@Suite struct LabelNoiseTests {
    /// 100 samples of 4 classes over 3 epochs (chunks of 16): the teacher gives each sample's true class
    /// 0.95 in every view; the labels of `flipped` samples name another class.
    func store(flipped: Set<Int>, confidence: Float = 0.95, epochs: Int = 3) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("td-noise-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("s.tdstore").path
        let truth = (0..<100).map { $0 % 4 }
        let labels = truth.enumerated().map { flipped.contains($0.offset) ? ($0.element + 1) % 4 : $0.element }
        let meta = StoreMetadata(numClasses: 4, topK: 2, valueCodec: .fp16, epochs: epochs, chunkRecords: 16, runSeed: 0,
                                 teacher: .init(architecture: "test", weightsHash: "test"),
                                 dataset: .init(source: "test", sampleCount: 100, fingerprint: "test"))
        let writer = try StoreWriter(path: path, metadata: meta,
                                     samples: labels.enumerated().map { Sample(id: $0.offset, key: "k\($0.offset)", label: $0.element) })
        for e in 0..<epochs {
            for s in 0..<100 {
                try writer.append(TargetRecord(epoch: e, sampleID: s, seed: SeedScheme.derive(runSeed: 0, epoch: e, sample: s),
                                               indices: [UInt32(truth[s]), UInt32((truth[s] + 2) % 4)],
                                               probabilities: [confidence, 0.03]))
            }
        }
        try writer.close()
        return path
    }

    @Test func theFlippedLabelsAreExactlyTheSuspects() throws {
        let flipped: Set<Int> = [3, 17, 42, 64, 99]
        let r = try LabelNoise.make(paths: [try store(flipped: flipped)], minConfidence: 0.9, classNames: ["a", "b", "c", "d"])
        #expect(r.samples == 100)
        #expect(Set(r.suspects.map(\.sample)) == flipped)
        let first = try #require(r.suspects.first)
        #expect(first.views == 3 && first.agreement == 1)
        #expect(abs(first.meanProbability - Double(Float(Float16(Float(0.95))))) < 1e-6)
        #expect(first.key == "k\(first.sample)" && first.teacherName != first.labelName)
        // The label's probability is the uniform remainder, (1 − 0.95 − 0.03) / 2, so the score is the gap.
        #expect(abs(first.score - (first.meanProbability - first.labelProbability)) < 1e-12)
        #expect(r.exclusionList.split(separator: "\n").dropFirst().map(String.init).sorted() == flipped.map { "k\($0)" }.sorted())
    }

    @Test func aTeacherBelowTheThresholdFlagsNothing() throws {
        let r = try LabelNoise.make(paths: [try store(flipped: [1, 2], confidence: 0.6)], minConfidence: 0.9)
        #expect(r.suspects.isEmpty)
        #expect(throws: PipelineError.self) { _ = try LabelNoise.make(paths: [try store(flipped: [])], minConfidence: 0) }
    }
}
