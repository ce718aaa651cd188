import Foundation
@testable import DataPipeline
import ModelJobs
import Store
import Testing

@Suite struct StoreComparisonTests {
    func precompute(_ name: String, k: Int, seed: UInt64 = 3, teacher: String = "synthetic:12") throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("td-compare-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let out = dir.appendingPathComponent(name).path
        _ = try PrecomputeJob(options: PrecomputeOptions(data: "synthetic:400:12", teacher: teacher, epochs: 2, topK: k, seed: seed,
                                                         out: out, chunkRecords: 50), teachers: ModelTeachers()).run()
        return out
    }

    @Test func aStoreAgreesWithItselfAndLessWithAShorterTopK() throws {
        let k5 = try precompute("k5.tdstore", k: 5), k2 = try precompute("k2.tdstore", k: 2)
        let same = try StoreComparison.make(first: [k5], second: [k5])
        #expect(same.records == 800 && same.missingInSecond == 0)
        #expect(same.top1Agreement == 1 && same.topKOverlap == 1 && same.klMax < 1e-12)
        // The same teacher keeping fewer entries: the same top-1 and top-2, a positive KL from the lost mass.
        let fewer = try StoreComparison.make(first: [k5], second: [k2])
        #expect(fewer.top1Agreement == 1 && fewer.topKOverlap == 1)
        #expect(fewer.klMean > 0 && fewer.klMax >= fewer.klMean)
        #expect(fewer.perClass.reduce(0) { $0 + $1.records } == 800)
    }

    @Test func storesOfOtherSamplesAreRefusedNamingTheField() throws {
        let a = try precompute("a.tdstore", k: 3), b = try precompute("b.tdstore", k: 3, seed: 4)
        #expect { _ = try StoreComparison.make(first: [a], second: [b]) } throws: { "\($0)".contains("run_seed") }
    }
}
