import DetCore
import Foundation
@testable import DataPipeline
import ModelJobs
import Store
import Testing

@Suite struct ClassRelationsTests {
    /// A store of `records` (sample → (classes, probabilities)) with labels, C classes, K entries.
    func store(c: Int, k: Int, labels: [Int], records: [(classes: [UInt32], probabilities: [Float])]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("td-relations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("s.tdstore").path
        let meta = StoreMetadata(numClasses: c, topK: k, valueCodec: .fp16, epochs: 1, chunkRecords: 16, runSeed: 0,
                                 teacher: .init(architecture: "test", weightsHash: "test"),
                                 dataset: .init(source: "test", sampleCount: records.count, fingerprint: "test"))
        let writer = try StoreWriter(path: path, metadata: meta,
                                     samples: labels.enumerated().map { Sample(id: $0.offset, key: "s\($0.offset)", label: $0.element) })
        for (s, r) in records.enumerated() {
            try writer.append(TargetRecord(epoch: 0, sampleID: s, seed: SeedScheme.derive(runSeed: 0, epoch: 0, sample: s),
                                           indices: r.classes, probabilities: r.probabilities))
        }
        try writer.close()
        return path
    }

    @Test func classesThatRiseTogetherCorrelateAndOpposedOnesAntiCorrelate() throws {
        // Half the records split their mass between classes 0 and 1, the others put it all on class 2.
        let records = (0..<40).map { i -> (classes: [UInt32], probabilities: [Float]) in
            i % 2 == 0 ? ([0, 1, 2], [0.5, 0.5, 0]) : ([0, 1, 2], [0, 0, 1])
        }
        let path = try store(c: 3, k: 3, labels: (0..<40).map { $0 % 2 == 0 ? 0 : 2 }, records: records)
        let r = try ClassRelations.make(paths: [path], classNames: ["T-shirt", "Trouser", "Bag"])
        #expect(r.records == 40)
        #expect(abs((r.correlation[0 * 3 + 1] ?? 0) - 1) < 1e-9)
        #expect(abs((r.correlation[0 * 3 + 2] ?? 0) + 1) < 1e-9)
        // Records labelled 0 give class 1 half their mass: the most confused pair, with names.
        #expect(r.confusedPairs.first?.a == 0 && r.confusedPairs.first?.b == 1)
        #expect(r.confusedPairs.first?.nameB == "Trouser")
        // No record is labelled 1, so the pair's mass is the one direction there is: 0.5.
        #expect(abs((r.confusedPairs.first?.mass ?? 0) - 0.5) < 1e-9)
        #expect(abs((r.meanEntropy[0] ?? 0) - log(2)) < 1e-6 && abs(r.meanEntropy[2] ?? 1) < 1e-9)
        #expect(r.meanEntropy[1] == nil)   // no record is labelled 1
        let picture = r.heatmap(cell: 4)
        #expect(picture.width == 12 && picture.channels == 3)
    }

    @Test func theSparseSumsEqualADenseComputationOverTheSameTargets() throws {
        // C = 6, K = 2: every record's dense target is its two stored values plus the uniform remainder.
        var rng = SplitMix(seed: 7)
        var records: [(classes: [UInt32], probabilities: [Float])] = []
        var labels: [Int] = []
        for _ in 0..<200 {
            let a = rng.below(6)
            var b = rng.below(6)
            while b == a { b = rng.below(6) }
            let pa = Float(Float16(Float(0.3 + 0.6 * rng.uniform())))
            let pb = Float(Float16(Float((1 - Double(pa)) * rng.uniform())))
            records.append(([UInt32(a), UInt32(b)], [pa, pb]))
            labels.append(rng.below(6))
        }
        let path = try store(c: 6, k: 2, labels: labels, records: records)
        let r = try ClassRelations.make(paths: [path])
        let dense = records.map { rec -> [Double] in
            let u = max(0, 1 - Double(rec.probabilities[0]) - Double(rec.probabilities[1])) / 4
            var p = [Double](repeating: u, count: 6)
            for (c, v) in zip(rec.classes, rec.probabilities) { p[Int(c)] = Double(v) }
            return p
        }
        let n = Double(dense.count)
        let mean = (0..<6).map { c in dense.reduce(0) { $0 + $1[c] } / n }
        for i in 0..<6 {
            for j in 0..<6 {
                let cov = dense.reduce(0) { $0 + ($1[i] - mean[i]) * ($1[j] - mean[j]) } / n
                let vi = dense.reduce(0) { $0 + ($1[i] - mean[i]) * ($1[i] - mean[i]) } / n
                let vj = dense.reduce(0) { $0 + ($1[j] - mean[j]) * ($1[j] - mean[j]) } / n
                let expected = cov / (vi * vj).squareRoot()
                let got = try #require(r.correlation[i * 6 + j])
                #expect(abs(got - expected) < 1e-9, "(\(i), \(j)): \(got) vs \(expected)")
            }
        }
        #expect(r.classNames == (0..<6).map { "class \($0)" })
        #expect(abs((r.matrixCorrelation(with: r) ?? 0) - 1) < 1e-12)
    }

    @Test func evaluateComparesAModelsClassRelationsWithItsTeachersStore() throws {
        var o = EvaluateOptions(model: try TrainJobTests.setup.teacher, data: TrainJobTests.data, limit: 64)
        o.classRelations = true
        o.teacherStore = [try TrainJobTests.setup.store]
        let result = try EvaluateJob.run(o)
        let relations = try #require(result.relations)
        #expect(relations.numClasses == 6 && relations.records == 64)
        let r = try #require(result.teacherStudentCorrelation)
        #expect(r >= -1 && r <= 1)
        // Without the flag nothing extra is computed.
        #expect(try EvaluateJob.run(EvaluateOptions(model: try TrainJobTests.setup.teacher, data: TrainJobTests.data, limit: 8)).relations == nil)
    }

    @Test func evaluateMeasuresTheTopOneAgreementWithAnotherModel() throws {
        var o = EvaluateOptions(model: try TrainJobTests.setup.teacher, data: TrainJobTests.data, limit: 40)
        o.agreementModel = try TrainJobTests.setup.teacher
        let same = try EvaluateJob.run(o)
        #expect(same.top1Agreement == 1 && same.otherTop1 == same.top1)
        #expect(try EvaluateJob.run(EvaluateOptions(model: try TrainJobTests.setup.teacher, data: TrainJobTests.data, limit: 8)).top1Agreement == nil)
        o.agreementModel = "/no/such/model.safetensors"
        #expect(throws: PipelineError.self) { _ = try EvaluateJob.run(o) }
    }

    @Test func aStoreWithTooManyClassesIsRefusedNamingTheSetting() throws {
        let path = try store(c: 5000, k: 1, labels: [0], records: [([3], [0.9])])
        #expect { _ = try ClassRelations.make(paths: [path]) } throws: {
            guard case .invalid(let field, _, _) = $0 as? PipelineError else { return false }
            return field == "classCorrelation"
        }
    }
}
