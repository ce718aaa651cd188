import Augment
import Foundation
import Images
import Models
@testable import DataPipeline
import ModelJobs
import Store
import Testing

/// A built-in teacher records the class names it was trained with: `train` writes the dataset's names into
/// its checkpoint, and a checkpoint that carries them gives them to the stores it writes as a teacher.
@Suite struct CheckpointClassNamesTests {
    static let student = Architecture.tinyViT(TinyViTConfig(imgSize: 32, numClasses: 3, embedDims: [8, 8, 16], depths: [1, 1, 1],
                                                            numHeads: [1, 1, 2], windowSizes: [4, 4, 4], dropPathRate: 0))

    @Test func trainWritesTheDatasetsClassNamesAndTheCheckpointRecordsThemAsATeacher() throws {
        let root = try TeacherClassNamesTests.folder()   // bag, coat, shirt
        let policy = AugmentPolicy.tinyViT(outputSize: 32).canonicalJSON()
        try Data(policy.utf8).write(to: URL(fileURLWithPath: root + "/policy.json"))
        try Data(Self.student.json.utf8).write(to: URL(fileURLWithPath: root + "/student.json"))
        _ = try PrecomputeJob(options: PrecomputeOptions(data: root + "/data", teacher: "synthetic:3", policy: root + "/policy.json",
                                                          epochs: 1, topK: 2, out: root + "/s.tdstore", batch: 4, threads: 1)).run()
        _ = try TrainJob(options: TrainOptions(store: [root + "/s.tdstore"], data: root + "/data", arch: root + "/student.json",
                                               epochs: 1, batch: 4, lr: 1e-3, warmupEpochs: 0, seed: 1, out: root + "/run",
                                               workers: 1, threads: 1)).run()
        let file = try SafetensorsFile(contentsOf: root + "/run/model.safetensors")
        #expect(file.metadata[ModelTeachers.classNamesKey] == "[\"bag\",\"coat\",\"shirt\"]")
        let teacher = try ModelTeachers().open(spec: root + "/run/model.safetensors", arch: nil, maxK: 2, probe: (3, 32), fused: true)
        #expect(teacher.metadata.classNames == ["bag", "coat", "shirt"])
        // As a teacher of the same folder it writes a store with its names.
        _ = try PrecomputeJob(options: PrecomputeOptions(data: root + "/data", teacher: root + "/run/model.safetensors",
                                                          policy: root + "/policy.json", epochs: 1, topK: 2, out: root + "/t.tdstore",
                                                          batch: 4, threads: 1), teachers: ModelTeachers()).run()
        #expect(try StoreReader(path: root + "/t.tdstore").metadata.teacher.classNames == ["bag", "coat", "shirt"])
    }

    @Test func aCheckpointWhoseNamesAreMalformedOrMiscountedIsRefusedNamingTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("td-ckpt-names-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (i, value) in ["not json", "[\"a\", \"b\"]"].enumerated() {
            let path = "\(dir)/bad\(i).safetensors"
            try Model(Self.student, seed: 1).saveWeights(to: path, metadata: [ModelTeachers.classNamesKey: value])
            do {
                _ = try ModelTeachers().open(spec: path, arch: nil, maxK: 2, probe: (3, 32), fused: true)
                Issue.record("\(value) was accepted")
            } catch {
                guard case .invalid(let field, let v, _) = error else { Issue.record("\(error)"); continue }
                #expect(field == "teacher" && v.contains(path), "\(error)")
            }
        }
    }

    @Test func aStoreWrittenWithoutNamesResumesWithATeacherThatHasThemAndKeepsItsOwnMetadata() throws {
        let root = try TeacherClassNamesTests.folder()
        var o = TeacherClassNamesTests.options(root, names: nil)
        o.epochs = 1
        _ = try PrecomputeJob(options: o).run()
        try Data("bag\ncoat\nshirt\n".utf8).write(to: URL(fileURLWithPath: root + "/names.txt"))
        o.epochs = 2
        o.teacherClasses = root + "/names.txt"
        _ = try PrecomputeJob(options: o).run()
        let meta = try StoreReader(path: root + "/s.tdstore").metadata
        #expect(meta.epochs == 2 && meta.teacher.classNames == nil)
    }
}
