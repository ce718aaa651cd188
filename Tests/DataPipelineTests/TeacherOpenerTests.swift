import DataPipeline
import Foundation
import ModelJobs
import Testing

/// The torch-free jobs open teachers through the opener they are given: without `ModelJobs` only the
/// synthetic teacher exists, and a model spec is refused naming the field `teacher`.
@Suite struct TeacherOpenerTests {
    static let torchScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../ModelsTests/Fixtures/tiny-teacher.pt").standardized.path

    @Test func theSyntheticOpenerRefusesAModelTeacherNamingTheField() {
        #expect(throws: PipelineError.self) {
            _ = try SyntheticTeachers().open(spec: Self.torchScript, arch: nil, maxK: 3, probe: (1, 28), fused: true)
        }
        do {
            _ = try SyntheticTeachers().open(spec: Self.torchScript, arch: nil, maxK: 3, probe: (1, 28), fused: true)
        } catch {
            guard case .invalid(let field, _, let why) = error else { Issue.record("\(error)"); return }
            #expect(field == "teacher")
            #expect(why.contains("synthetic:C"))
        }
    }

    @Test func theSyntheticOpenerOpensSyntheticTeachers() throws {
        let t = try SyntheticTeachers().open(spec: "synthetic:12", arch: nil, maxK: 20, probe: (3, 1), fused: true)
        #expect(t.numClasses == 12 && t.input == .pixelHash)
    }

    @Test func theModelOpenerOpensTorchScriptAndLearnsItsClassCount() throws {
        let t = try ModelTeachers().open(spec: Self.torchScript, arch: nil, maxK: 3, probe: (1, 28), fused: true)
        #expect(t.numClasses == 10 && t.input == .planes)
        #expect(t.metadata.architecture == "torchscript")
    }

    @Test func aPrecomputeWithTheDefaultOpenerRefusesAModelTeacher() {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("opener-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let o = PrecomputeOptions(data: "synthetic-images:8:28x28x1", teacher: Self.torchScript, epochs: 1, topK: 3,
                                  out: dir + "/s.tdstore")
        #expect(throws: PipelineError.self) { _ = try PrecomputeJob(options: o).run() }
        #expect(!FileManager.default.fileExists(atPath: dir + "/s.tdstore"))
    }
}
