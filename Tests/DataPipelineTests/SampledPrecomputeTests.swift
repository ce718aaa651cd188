import Augment
import Foundation
import Testing
@testable import DataPipeline
import ModelJobs
import Store

/// Precompute, resume, verify and the loader on stores of sampled targets (`--targets sample:N[:T]`).
@Suite struct SampledPrecomputeTests {
    func tempPath(_ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tinydistill-sampled-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    func options(_ out: String, targets: SampledTargets? = SampledTargets(draws: 12), topK: Int = 12, epochs: Int = 2) -> PrecomputeOptions {
        var o = PrecomputeOptions(data: "synthetic:2000", teacher: "synthetic:100", epochs: epochs, topK: topK, seed: 7, out: out, chunkRecords: 256)
        o.targets = targets
        return o
    }

    func digest(_ path: String) throws -> RecordDigest {
        var d = RecordDigest()
        try StoreReader(path: path).forEachChunk { d.add($0) }
        return d
    }

    @Test func aSampledStoreHoldsNDrawsPerRecordAndIsSmallerThanTopN() throws {
        let sampled = try tempPath("s.tdstore"), top = try tempPath("t.tdstore")
        let s = try PrecomputeJob(options: options(sampled), teachers: ModelTeachers()).run()
        let t = try PrecomputeJob(options: options(top, targets: nil), teachers: ModelTeachers()).run()
        #expect(s.recordsWritten == 4000 && t.recordsWritten == 4000)
        let reader = try StoreReader(path: sampled)
        #expect(reader.metadata.targets == SampledTargets(draws: 12) && reader.metadata.topK == 12)
        var distinct = 0
        try reader.forEachChunk { cols in
            for i in 0..<cols.count {
                let d = cols.record(at: i).drawnEntries
                #expect(d.counts.reduce(0) { $0 + Int($1) } == 12)
                #expect(abs(d.values.reduce(0, +) - 1) < 1e-3)
                distinct += d.classes.count
            }
        }
        // A draw repeats the likely classes, so it keeps fewer distinct classes than N, and fewer bytes than top-N.
        #expect(distinct < 4000 * 12)
        #expect(s.bytesPerRecord < t.bytesPerRecord, "\(s.bytesPerRecord) vs \(t.bytesPerRecord)")
    }

    @Test func aStoppedSampledRunResumesToTheSameRecords() throws {
        let full = try tempPath("full.tdstore"), part = try tempPath("part.tdstore")
        _ = try PrecomputeJob(options: options(full), teachers: ModelTeachers()).run()
        let job = PrecomputeJob(options: options(part), teachers: ModelTeachers())
        var calls = 0
        job.shouldStop = { calls += 1; return calls == 10 }
        #expect(try job.run().interrupted)
        let resumed = try PrecomputeJob(options: options(part), teachers: ModelTeachers()).run()
        #expect(!resumed.interrupted && resumed.recordsSkipped > 0)
        #expect(try digest(part) == digest(full))
    }

    @Test func aResumeWithAnotherTargetKindIsRefusedNamingIt() throws {
        let path = try tempPath("r.tdstore")
        _ = try PrecomputeJob(options: options(path, epochs: 1), teachers: ModelTeachers()).run()
        for other in [options(path, targets: nil), options(path, targets: SampledTargets(draws: 12, temperature: 2)),
                      options(path, targets: SampledTargets(draws: 16), topK: 16)] {
            #expect { _ = try PrecomputeJob(options: other, teachers: ModelTeachers()).run() } throws: { error in
                "\(error)".contains("top-K") || "\(error)".contains("targets")
            }
        }
        #expect(try StoreReader(path: path).metadata.targets == SampledTargets(draws: 12))
    }

    @Test(arguments: [1.0, 0.5])
    func verifyReplaysEveryDrawOfASampledStore(temperature: Double) throws {
        let path = try tempPath("v.tdstore")
        _ = try PrecomputeJob(options: options(path, targets: SampledTargets(draws: 12, temperature: temperature)), teachers: ModelTeachers()).run()
        let report = try VerifyJob.run(paths: [path], data: "synthetic:2000", teacher: "synthetic:100", arch: nil, sample: 60, teachers: ModelTeachers())
        #expect(report.ok, "\(report.problems)")
        let replay = try #require(report.replay)
        #expect(replay.records == 60)
        #expect(replay.drawAgreement == 1 && replay.differingDraws == 0 && replay.maxDrawDistance == 0, "\(replay)")
    }

    @Test func theLoaderHandsOutTheDrawnClassesWithZeroPadding() throws {
        let data = "synthetic-images:120:40x36x3:5:12"
        let dir = try tempPath("dir")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(AugmentPolicy.tinyViT(outputSize: 32).canonicalJSON().utf8).write(to: URL(fileURLWithPath: dir + "/policy.json"))
        let out = dir + "/s.tdstore"
        var o = PrecomputeOptions(data: data, teacher: "synthetic:12", policy: dir + "/policy.json", epochs: 1, topK: 6, seed: 3,
                                  out: out, chunkRecords: 16, batch: 16)
        o.targets = SampledTargets(draws: 6)
        _ = try PrecomputeJob(options: o, teachers: ModelTeachers()).run()
        let loader = try Loader(storePaths: [out], data: data, options: LoaderOptions(batch: 10, seed: 1, workers: 1))
        let batch = try #require(try loader.batches(epoch: 0).next())
        #expect(batch.k == 6)
        let reader = try StoreReader(path: out)
        for j in 0..<batch.n {
            let rec = try #require(try reader.record(epoch: 0, sample: batch.sampleIDs[j]))
            let row = Dictionary(uniqueKeysWithValues: zip(batch.indices[(j * 6)..<(j * 6 + 6)].map { UInt32($0) }, batch.values[(j * 6)..<(j * 6 + 6)]))
            #expect(row == Dictionary(uniqueKeysWithValues: zip(rec.indices, rec.probabilities)))
            // The drawn entries carry all the mass: the dense target's even remainder is zero.
            #expect(abs(row.values.reduce(0, +) - 1) < 1e-3)
        }
    }
}
