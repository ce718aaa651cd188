import Foundation
import Models
import Testing

@Suite("TorchScript teachers")
struct TorchScriptTests {
    let fixtures = Bundle.module.resourcePath! + "/Fixtures"

    @Test func scriptedTeacherRunsAndMatchesPyTorch() throws {
        let model = try Model(torchScriptAt: fixtures + "/tiny-teacher.pt")
        #expect(model.kind == "torchscript")
        #expect(model.parameterCount == 8 * 9 + 16 + 16 * 8 * 9 + 32 + 16 * 10 + 10)
        let io = try SafetensorsFile(contentsOf: fixtures + "/tiny-teacher-io.safetensors")
        let x = try io.tensor("input")
        let logits = try model.forward(x.floats, n: 3, c: 1, h: 28, w: 28)
        #expect(model.numClasses == 10)
        let expected = try io.tensor("logits").floats
        let maxDiff = zip(logits, expected).map { abs($0 - $1) }.max()!
        #expect(maxDiff <= 1e-5, "max |Δ| = \(maxDiff)")
        #expect(try !model.weightsDigest().isEmpty)
    }

    @Test func scriptedModelsAreNotTrainable() throws {
        let model = try Model(torchScriptAt: fixtures + "/tiny-teacher.pt")
        #expect { _ = try Trainer(model: model) } throws: { "\($0)".contains("only built-in architectures can be trained") }
    }

    @Test func corruptFilesGiveAnErrorNotACrash() throws {
        let folder = try Fixtures.temporaryFolder()
        let original = try Data(contentsOf: URL(fileURLWithPath: fixtures + "/tiny-teacher.pt"))
        try Data("not a zip".utf8).write(to: URL(fileURLWithPath: folder + "/junk.pt"))
        try original.prefix(original.count / 2).write(to: URL(fileURLWithPath: folder + "/half.pt"))
        for name in ["junk.pt", "half.pt"] {
            #expect(throws: ModelError.self, "\(name)") { _ = try Model(torchScriptAt: folder + "/" + name) }
        }
    }
}
