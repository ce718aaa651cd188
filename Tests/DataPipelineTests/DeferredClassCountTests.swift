import Augment
import Foundation
@testable import DataPipeline
import Store
import Testing

/// A caller's teacher whose class count is neither given nor named: the stage takes it from the first
/// write, creating the store then, after the checks that need it.
@Suite struct DeferredClassCountTests {
    static let data = "synthetic-images:40:28x28x1:2:10"

    func stage(_ out: String, topK: Int = 3) throws -> TeacherStage {
        let dir = (out as NSString).deletingLastPathComponent
        try Data(AugmentPolicy.tinyViT(outputSize: 28).canonicalJSON().utf8).write(to: URL(fileURLWithPath: dir + "/policy.json"))
        let options = PrecomputeOptions(data: Self.data, teacher: "caller", policy: dir + "/policy.json", epochs: 1, topK: topK,
                                        out: out, chunkRecords: 16, batch: 16)
        return try TeacherStage(options: options, teacher: try CallerTeacher(name: "t", digest: "d", numClasses: nil))
    }

    func folder() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deferred-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Uniform top-K rows for `n` rows.
    func targets(k: Int, n: Int) -> TopKBatch {
        var t = TopKBatch(k: k, capacity: n)
        for r in 0..<n { for q in 0..<k { t.indices[r * k + q] = UInt32(q); t.probabilities[r * k + q] = 0.1 } }
        return t
    }

    @Test func theFirstWriteGivesTheClassCountAndCreatesTheStore() throws {
        let out = try folder() + "/s.tdstore"
        let s = try stage(out)
        #expect(s.metadata.numClasses == 0 && !FileManager.default.fileExists(atPath: out))
        var batch = try #require(try s.next())
        #expect { try s.write(targets(k: 3, n: batch.count)) } throws: { error in
            guard case PipelineError.invalid(let field, _, _) = error else { return false }
            return field == "numClasses"
        }
        #expect(!FileManager.default.fileExists(atPath: out))
        try s.write(targets(k: 3, n: batch.count), numClasses: 10)
        #expect(s.metadata.numClasses == 10 && FileManager.default.fileExists(atPath: out))
        while let b = try s.next() {
            batch = b
            #expect(throws: PipelineError.self) { try s.write(targets(k: 3, n: b.count), numClasses: 12) }   // another count
            try s.write(targets(k: 3, n: b.count), numClasses: 10)
        }
        _ = try s.finish()
        #expect(try StoreReader(path: out).metadata.numClasses == 10)
        #expect(try ShardedStore(paths: [out]).epochs().map(\.records) == [40])
    }

    @Test func aClassCountBelowKIsRefusedAtTheFirstWriteAndNothingIsWritten() throws {
        let out = try folder() + "/s.tdstore"
        let s = try stage(out, topK: 5)
        let batch = try #require(try s.next())
        #expect { try s.write(targets(k: 5, n: batch.count), numClasses: 4) } throws: { error in
            guard case PipelineError.invalid(let field, _, _) = error else { return false }
            return field == "topK"
        }
        s.abort()
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
