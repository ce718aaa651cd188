import Foundation
import Models
import Testing

@Suite("TinyViT matches the reference implementation")
struct TinyViTReferenceTests {
    let dir = Fixtures.path("tinyvit-reference")

    @Test func fixtureWeightsReproduceReferenceLogits() throws {
        let arch = try Architecture.parse(dir + "/config.json")
        let model = try Model(arch, weights: dir + "/weights.safetensors")
        #expect(model.parameterCount == 154_386)
        try model.setTraining(false)
        let io = try SafetensorsFile(contentsOf: dir + "/io.safetensors")
        let input = try io.tensor("input")
        let expected = try io.tensor("logits").floats
        let logits = try model.forward(input.floats, n: input.shape[0], c: input.shape[1], h: input.shape[2], w: input.shape[3])
        #expect(logits.count == expected.count)
        let maxDiff = zip(logits, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(maxDiff <= 1e-4, "max |Δ| = \(maxDiff)")
    }

    @Test func paddedWindowsAndAttentionBiasesMatchTheReference() throws {
        // Made by Fixtures/make_tinyvit_padded.py with the reference code: windows of 3 pad every stage,
        // attention biases are random, and the logits differ clearly between inputs.
        let padded = Fixtures.path("tinyvit-padded")
        let model = try Model(try Architecture.parse(padded + "/config.json"), weights: padded + "/weights.safetensors")
        try model.setTraining(false)
        let io = try SafetensorsFile(contentsOf: padded + "/io.safetensors")
        let input = try io.tensor("input")
        let expected = try io.tensor("logits").floats
        let logits = try model.forward(input.floats, n: 4, c: 3, h: 64, w: 64)
        let maxDiff = zip(logits, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(maxDiff <= 1e-4, "max |Δ| = \(maxDiff)")
        // The check has teeth: rows differ by far more than the tolerance.
        let spread = (0..<10).map { c in abs(expected[c] - expected[10 + c]) }.max()!
        #expect(spread > 0.05)
        #expect(model.parameterCount == 154_336)
    }

    @Test(arguments: [("tinyvit-5m", 5_392_764), ("tinyvit-11m", 10_996_972), ("tinyvit-21m", 21_198_568),
                      ("resnet18", 11_689_512), ("resnet50", 25_557_032)])
    func presetParameterCountsEqualTheReference(name: String, count: Int) throws {
        let model = try Model(try Architecture.parse(name))
        #expect(model.parameterCount == count)
    }

    @Test func savedWeightsUseExactlyTheReferenceNamesAndShapes() throws {
        let reference = try SafetensorsFile(contentsOf: dir + "/weights.safetensors")
        let model = try Model(try Architecture.parse(dir + "/config.json"), weights: dir + "/weights.safetensors")
        let out = try Fixtures.temporaryFolder() + "/w.safetensors"
        try model.saveWeights(to: out)
        let saved = try SafetensorsFile(contentsOf: out)
        #expect(saved.names == reference.names)
        for name in reference.names {
            #expect(saved.entries[name]?.shape == reference.entries[name]?.shape, "\(name)")
            #expect(saved.entries[name]?.dtype == reference.entries[name]?.dtype, "\(name)")
            #expect(try saved.tensor(name).bytes == reference.tensor(name).bytes, "\(name)")
        }
    }

    @Test func smallImagesGetModelsThatRun() throws {
        // 28 px does not divide by 32: the stem gives 7x7 tokens, windows pad.
        for size in [28, 32, 48, 64] {
            let arch = try Architecture.parse("tinyvit-mini", classes: 10, imageSize: size, inChannels: 1)
            let model = try Model(arch)
            try model.setTraining(false)
            let out = try model.forward([Float](repeating: 0.5, count: 2 * size * size), n: 2, c: 1, h: size, w: size)
            #expect(out.count == 20)
            #expect(out.allSatisfy { $0.isFinite })
        }
    }

    @Test func badConfigsAreRefusedWithTheField() throws {
        var config = TinyViTConfig.tinyViTMini
        config.numHeads[2] = 5
        #expect {
            _ = try Model(.tinyViT(config))
        } throws: { error in
            "\(error)".contains("num_heads[2]")
        }
        #expect(throws: ModelError.self) { _ = try Architecture.parse("vit-huge") }
    }
}
