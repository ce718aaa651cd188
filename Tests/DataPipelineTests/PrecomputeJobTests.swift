import Foundation
import Testing
@testable import DataPipeline
import ModelJobs
import Store

@Suite struct PrecomputeJobTests {
    func tempPath(_ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tinydistill-pipeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    func digest(_ path: String) throws -> RecordDigest {
        var d = RecordDigest()
        try StoreReader(path: path).forEachChunk { d.add($0) }
        return d
    }

    func options(_ out: String, codec: ValueCodec = .fp16, k: Int = 5, epochs: Int = 2) -> PrecomputeOptions {
        PrecomputeOptions(data: "synthetic:3000", teacher: "synthetic:100", epochs: epochs, topK: k, codec: codec, seed: 11, out: out, chunkRecords: 256)
    }

    @Test(arguments: ValueCodec.allCases)
    func stoppedAndResumedRunEqualsUninterruptedRun(codec: ValueCodec) throws {
        let full = try tempPath("full.tdstore")
        let s1 = try PrecomputeJob(options: options(full, codec: codec), teachers: ModelTeachers()).run()
        #expect(s1.recordsWritten == 6000 && !s1.interrupted)

        let part = try tempPath("part.tdstore")
        let job = PrecomputeJob(options: options(part, codec: codec), teachers: ModelTeachers())
        var calls = 0
        job.shouldStop = { calls += 1; return calls == 16 }  // polled once per batch: stop part-way
        let s2 = try job.run()
        #expect(s2.interrupted)
        #expect(s2.recordsWritten > 0 && s2.recordsWritten < 6000)
        let s3 = try PrecomputeJob(options: options(part, codec: codec), teachers: ModelTeachers()).run()
        #expect(s3.recordsSkipped == s2.recordsWritten && s3.recordsWritten == 6000 - s2.recordsWritten)
        #expect(try digest(part) == digest(full))
        let sessions = try StoreReader(path: part).sessions().map(\.status)
        #expect(sessions == ["interrupted", "finished"])
        // A third run has nothing to do.
        let s4 = try PrecomputeJob(options: options(part, codec: codec), teachers: ModelTeachers()).run()
        #expect(s4.recordsWritten == 0 && s4.recordsSkipped == 6000)
    }

    @Test func extendingEpochsComputesOnlyTheNewOnes() throws {
        let a = try tempPath("a.tdstore")
        _ = try PrecomputeJob(options: options(a, epochs: 1), teachers: ModelTeachers()).run()
        let s = try PrecomputeJob(options: options(a, epochs: 3), teachers: ModelTeachers()).run()
        #expect(s.recordsWritten == 6000 && s.recordsSkipped == 3000)
        let b = try tempPath("b.tdstore")
        _ = try PrecomputeJob(options: options(b, epochs: 3), teachers: ModelTeachers()).run()
        #expect(try digest(a) == digest(b))
    }

    @Test func aDifferentTopKOnAnExistingStoreIsRefused() throws {
        let a = try tempPath("a.tdstore")
        _ = try PrecomputeJob(options: options(a, k: 5), teachers: ModelTeachers()).run()
        #expect(throws: PipelineError.store(.metadataMismatch(path: a, field: "top-K", stored: "5", requested: "7"))) {
            try PrecomputeJob(options: options(a, k: 7), teachers: ModelTeachers()).run()
        }
    }

    @Test func badSettingsNameTheField() throws {
        let out = try tempPath("x")
        var o = options(out)
        o.teacher = "resnet50.pt"
        #expect(throws: PipelineError.self) { try PrecomputeJob(options: o, teachers: ModelTeachers()).run() }
        o = options(out)
        o.topK = 101
        do {
            _ = try PrecomputeJob(options: o, teachers: ModelTeachers()).run()
            Issue.record("K > C accepted")
        } catch {
            guard case .invalid(let field, _, _) = error else { Issue.record("\(error)"); return }
            #expect(field == "topK")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// q8 meets its fidelity goal on teacher-like records: mean KL ≤ 1e-3 nats.
    @Test(arguments: [10, 100])
    func q8FidelityIsWithinBudget(k: Int) throws {
        let out = try tempPath("q8.tdstore")
        let o = PrecomputeOptions(data: "synthetic:2000", teacher: "synthetic:1000", epochs: 1, topK: k, codec: .q8, seed: 1, out: out)
        _ = try PrecomputeJob(options: o, teachers: ModelTeachers()).run()
        let report = try InspectReport.make(path: out)
        print("q8 K=\(k): mean KL \(report.klMean), max \(report.klMax), payload \(report.payloadBytesPerRecord) B/record")
        #expect(report.klMean > 0)
        #expect(report.klMean <= 1e-3)
        #expect(report.records == 2000)
    }

    @Test func aBadPolicyIsNamedOnceWithWhatIsWrong() throws {
        let inline = #"{"version": 1, "output_size": 4, "interpolation": "bilinear", "crop": null, "hflip": 0, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}"#
        #expect { _ = try PrecomputeSetup.policy(nil, inline: inline) } throws: { error in
            let text = "\(error)"
            return text.contains("crop is null; give a value") && text.components(separatedBy: "inline policy").count == 2
        }
        let path = try tempPath("bad-policy.json")
        try Data(#"{"version": 1, "output_size": "big"}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect { _ = try PrecomputeSetup.policy(path) } throws: { error in
            "\(error)".components(separatedBy: path).count == 2 && "\(error)".contains("invalid augmentation policy")
        }
    }
}
