import Augment
import Foundation
import Models
@testable import DataPipeline
import ModelJobs
import Store
import Testing

@Suite struct TrainJobTests {
    static let data = "synthetic-images:96:36x36x3:2:6"
    /// A store made by a small TinyViT teacher, the teacher's weights and a tiny student config.
    static let built = Result { () throws -> (store: String, teacher: String, student: String, dir: String) in
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tinydistill-train-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let teacher = Architecture.tinyViT(TinyViTConfig(imgSize: 32, numClasses: 6, embedDims: [8, 16, 16, 24], depths: [1, 1, 1, 1],
                                                         numHeads: [1, 2, 2, 3], windowSizes: [4, 4, 4, 2], dropPathRate: 0))
        try Model(teacher, seed: 8).saveWeights(to: dir + "/teacher.safetensors")
        let student = Architecture.tinyViT(TinyViTConfig(imgSize: 32, numClasses: 6, embedDims: [8, 8, 16], depths: [1, 1, 1],
                                                         numHeads: [1, 1, 2], windowSizes: [4, 4, 4], dropPathRate: 0.1))
        try Data(student.json.utf8).write(to: URL(fileURLWithPath: dir + "/student.json"))
        try Data(AugmentPolicy.tinyViT(outputSize: 32).canonicalJSON().utf8).write(to: URL(fileURLWithPath: dir + "/policy.json"))
        _ = try PrecomputeJob(options: PrecomputeOptions(data: data, teacher: dir + "/teacher.safetensors", policy: dir + "/policy.json",
                                                          epochs: 2, topK: 3, seed: 4, out: dir + "/s.tdstore", chunkRecords: 16, batch: 32), teachers: ModelTeachers()).run()
        return (dir + "/s.tdstore", dir + "/teacher.safetensors", dir + "/student.json", dir)
    }
    /// The shared set-up; a failure to build it fails each test that uses it instead of crashing the run.
    static var setup: (store: String, teacher: String, student: String, dir: String) { get throws { try built.get() } }

    func options(_ out: String, epochs: Int = 3, labelsOnly: Bool = false, online: Bool = false) throws -> TrainOptions {
        TrainOptions(store: [try Self.setup.store], data: Self.data, arch: try Self.setup.student, epochs: epochs, batch: 16, lr: 2e-3,
                     warmupEpochs: 0.5, seed: 6, eval: Self.data, out: out, labelsOnly: labelsOnly,
                     onlineTeacher: online ? try Self.setup.teacher : nil, workers: 2, threads: 1)
    }

    func tempFolder() throws -> String { try Self.setup.dir + "/run-" + UUID().uuidString }

    @Test func stoppedAndResumedTrainingContinuesIdentically() throws {
        let straight = try tempFolder()
        let a = try TrainJob(options: try options(straight)).run()
        #expect(a.epochs.map(\.epoch) == [0, 1, 2] && a.epochs.map(\.storedEpoch) == [0, 1, 0])
        #expect(a.epochs.allSatisfy { $0.steps == 6 && $0.evalTop1 != nil })

        let resumed = try tempFolder()
        let job = TrainJob(options: try options(resumed))
        var polls = 0
        job.shouldStop = { polls += 1; return polls == 9 }   // mid-epoch 1
        #expect(throws: PipelineError.self) { _ = try job.run() }
        var second = try options(resumed)
        second.workers = 3  // loader threads may change on resume (libtorch's thread count changes float sums: kept)
        let b = try TrainJob(options: second).run()
        #expect(b.epochs.map(\.epoch) == [0, 1, 2])
        let wa = try SafetensorsFile(contentsOf: straight + "/model.safetensors").allTensors()
        let wb = try SafetensorsFile(contentsOf: resumed + "/model.safetensors").allTensors()
        #expect(wa.map(\.name) == wb.map(\.name))
        let differing = zip(wa, wb).filter { $0.bytes != $1.bytes }.map(\.0.name)
        #expect(differing.isEmpty, "tensors that differ: \(differing.prefix(5))")
        #expect(a.epochs.last?.evalTop1 == b.epochs.last?.evalTop1)
    }

    @Test func otherSettingsOnAnExistingRunAreRefused() throws {
        let out = try tempFolder()
        _ = try TrainJob(options: try options(out, epochs: 1)).run()
        var changed = try options(out, epochs: 1)
        changed.lr = 1e-2
        #expect { _ = try TrainJob(options: changed).run() } throws: { "\($0)".contains("other settings") }
    }

    @Test func onlineTeacherComputesTheStoredTargetsFromReplayedPixels() throws {
        let loader = try Loader(storePaths: [try Self.setup.store], data: Self.data, options: LoaderOptions(batch: 24, seed: 1))
        let teacher = try ModelTeachers().open(spec: try Self.setup.teacher, arch: nil, maxK: 3, probe: (3, 32), fused: true)
        var targets = TopKBatch(k: 3, capacity: 24)
        var checked = 0
        for epoch in 0..<2 {
            let stream = try loader.batches(epoch: epoch)
            while let b = try stream.next() {
                let rendered = RenderedBatch(planes: b.images, items: b.sampleIDs.map { RenderItem(epoch: epoch, sample: $0, seed: 0) },
                                             labels: b.labels.map { Int($0) }, channels: 3, side: 32)
                try teacher.topK(rendered, into: &targets)
                for j in 0..<b.n {
                    let row = targets.row(j)
                    let online = Dictionary(uniqueKeysWithValues: zip(row.indices.map { Int32($0) }, row.probabilities))
                    for q in 0..<3 {
                        let stored = b.values[j * 3 + q]
                        let value = try #require(online[b.indices[j * 3 + q]])   // same classes
                        #expect(abs(value - stored) <= Float(Float16(stored).ulp))   // within fp16 rounding
                    }
                    checked += 1
                }
            }
        }
        #expect(checked == 192)
    }

    @Test func labelsOnlyAndOnlineModesTrainAndLogTheirMode() throws {
        let labels = try TrainJob(options: try options(try tempFolder(), epochs: 1, labelsOnly: true)).run()
        #expect(labels.mode == "labels-only" && labels.epochs.count == 1)
        let online = try TrainJob(options: try options(try tempFolder(), epochs: 1, online: true)).run()
        #expect(online.mode == "online-kd" && online.epochs[0].teacherSeconds > 0)
        let offline = try TrainJob(options: try options(try tempFolder(), epochs: 1)).run()
        // Same pixels, same targets: online and offline KD take the same steps (up to fp16 rounding of the
        // stored values), so their losses agree closely.
        #expect(abs(online.epochs[0].trainLoss - offline.epochs[0].trainLoss) < 1e-3)
    }
}
