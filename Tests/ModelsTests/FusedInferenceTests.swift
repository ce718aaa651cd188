import Foundation
import Models
import Testing

/// Fused inference (BatchNorm folded into the preceding convolution, attention biases gathered once) gives
/// the unfused model's outputs within float rounding, follows weight changes, and leaves the state alone.
@Suite("Fused inference")
struct FusedInferenceTests {
    static func maxDiff(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? .infinity }

    /// Sets every BatchNorm's statistics and affine parameters to seeded non-trivial values, so folding
    /// has something to fold (fresh BN is the identity up to eps).
    static func randomiseBatchNorms(_ model: Model, seed: UInt64) throws {
        var state = seed
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24)
        }
        for info in model.stateInfo {
            let n = info.shape.reduce(1, *)
            let values: [Float]
            if info.name.hasSuffix("running_var") { values = (0..<n).map { _ in 0.5 + next() } }
            else if info.name.hasSuffix("running_mean") { values = (0..<n).map { _ in next() - 0.5 } }
            else if info.name.contains("bn") && info.name.hasSuffix("weight") && info.shape.count == 1 {
                values = (0..<n).map { _ in 0.5 + next() }
            } else if info.name.contains("bn") && info.name.hasSuffix("bias") { values = (0..<n).map { _ in 0.2 * (next() - 0.5) } }
            else { continue }
            try model.setState(NamedTensor(name: info.name, shape: info.shape, floats: values))
        }
    }

    /// Logits of `model` on `input` unfused and fused.
    static func bothWays(_ model: Model, _ input: [Float], n: Int, c: Int, side: Int) throws -> ([Float], [Float]) {
        try model.setTraining(false)
        try model.setFused(false)
        let plain = try model.forward(input, n: n, c: c, h: side, w: side)
        try model.setFused(true)
        #expect(model.isFused)
        let fused = try model.forward(input, n: n, c: c, h: side, w: side)
        return (plain, fused)
    }

    @Test func tinyViTWithPaddedWindowsFusedMatchesUnfusedAndTheReference() throws {
        let dir = Fixtures.path("tinyvit-padded")
        let model = try Model(try Architecture.parse(dir + "/config.json"), weights: dir + "/weights.safetensors")
        let io = try SafetensorsFile(contentsOf: dir + "/io.safetensors")
        let (plain, fused) = try Self.bothWays(model, try io.tensor("input").floats, n: 4, c: 3, side: 64)
        #expect(Self.maxDiff(plain, fused) <= 1e-4, "fused vs unfused max |Δ| = \(Self.maxDiff(plain, fused))")
        #expect(Self.maxDiff(fused, try io.tensor("logits").floats) <= 1e-4)
        #expect(plain != fused, "the fused path must actually run a different graph")
    }

    @Test func efficientFormerFusedMatchesUnfusedAndTheReference() throws {
        let dir = Fixtures.path("efficientformer-strong")
        let model = try Model(try Architecture.parse(dir + "/config.json"), weights: dir + "/weights.safetensors")
        let io = try SafetensorsFile(contentsOf: dir + "/io.safetensors")
        let (plain, fused) = try Self.bothWays(model, try io.tensor("input").floats, n: 2, c: 3, side: 224)
        #expect(Self.maxDiff(plain, fused) <= 1e-4, "fused vs unfused max |Δ| = \(Self.maxDiff(plain, fused))")
        #expect(Self.maxDiff(fused, try io.tensor("logits").floats) <= 1e-4)
        #expect(plain != fused)
    }

    @Test(arguments: ["resnet18", "resnet50"])
    func resNetWithRandomBatchNormFusedMatchesUnfused(name: String) throws {
        let model = try Model(try Architecture.parse(name, classes: 10, imageSize: 64, inChannels: 3), seed: 3)
        try Self.randomiseBatchNorms(model, seed: 11)
        let input = (0..<(2 * 3 * 64 * 64)).map { Float(sin(Double($0) * 0.37)) }
        let (plain, fused) = try Self.bothWays(model, input, n: 2, c: 3, side: 64)
        let scale = plain.map { abs($0) }.max()!
        #expect(Self.maxDiff(plain, fused) <= 1e-4 * max(1, scale), "max |Δ| = \(Self.maxDiff(plain, fused)), scale \(scale)")
        #expect(plain != fused)
    }

    @Test func fusedModelFollowsWeightChangesAndKeepsItsStateDict() throws {
        let arch = try Architecture.parse("resnet18", classes: 10, imageSize: 32, inChannels: 1)
        let model = try Model(arch, seed: 1)
        try Self.randomiseBatchNorms(model, seed: 5)
        let digest = try model.weightsDigest()
        try model.setTraining(false)
        try model.setFused(true)
        #expect(try model.weightsDigest() == digest, "fusing must not touch the state dict")
        let input = (0..<(3 * 32 * 32)).map { Float(cos(Double($0) * 0.11)) }
        _ = try model.forward(input, n: 3, c: 1, h: 32, w: 32)

        // New weights after fusing: the fused forward must use them, not the folded copy of the old ones.
        let other = try Model(arch, seed: 2)
        try Self.randomiseBatchNorms(other, seed: 9)
        try other.setTraining(false)
        for t in try other.state() { try model.setState(t) }
        let expected = try other.forward(input, n: 3, c: 1, h: 32, w: 32)
        let got = try model.forward(input, n: 3, c: 1, h: 32, w: 32)
        #expect(Self.maxDiff(expected, got) <= 1e-4, "stale folded weights: max |Δ| = \(Self.maxDiff(expected, got))")

        // A training-mode forward updates BatchNorm statistics; eval afterwards refolds them too.
        try model.setTraining(true)
        _ = try model.forward(input, n: 3, c: 1, h: 32, w: 32)
        try model.setTraining(false)
        let refolded = try model.forward(input, n: 3, c: 1, h: 32, w: 32)
        try model.setFused(false)
        let unfused = try model.forward(input, n: 3, c: 1, h: 32, w: 32)
        #expect(Self.maxDiff(refolded, unfused) <= 1e-4)
    }

    @Test func trainingModeRunsTheUnfusedGraph() throws {
        // ResNet: no drop path, so two training-mode forwards are comparable.
        let model = try Model(try Architecture.parse("resnet18", classes: 10, imageSize: 32, inChannels: 1), seed: 7)
        try Self.randomiseBatchNorms(model, seed: 2)
        let input = (0..<(4 * 32 * 32)).map { Float(sin(Double($0) * 0.05)) }
        try model.setTraining(true)
        try model.setFused(false)
        let plain = try model.forward(input, n: 4, c: 1, h: 32, w: 32)
        try model.setFused(true)
        let withFlag = try model.forward(input, n: 4, c: 1, h: 32, w: 32)
        #expect(plain == withFlag, "batch-statistics BatchNorm cannot be folded; training must ignore the flag")
    }

    @Test func torchScriptModelsRefuseFusing() throws {
        let model = try Model(torchScriptAt: Fixtures.path("tiny-teacher.pt"))
        #expect(throws: ModelError.self) { try model.setFused(true) }
        #expect(!model.isFused)
    }

    @Test func loadFusesBuiltInArchitecturesByDefault() throws {
        let dir = Fixtures.path("tinyvit-padded")
        let (fused, _) = try Model.load(path: dir + "/weights.safetensors", arch: dir + "/config.json")
        #expect(fused.isFused)
        let (plain, _) = try Model.load(path: dir + "/weights.safetensors", arch: dir + "/config.json", fused: false)
        #expect(!plain.isFused)
    }
}
