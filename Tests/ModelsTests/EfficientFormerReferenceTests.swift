import Foundation
import Models
import Testing

@Suite("EfficientFormer matches the reference implementation")
struct EfficientFormerReferenceTests {
    let dir = Fixtures.path("efficientformer-reference")

    @Test func fixtureWeightsReproduceReferenceLogits() throws {
        let arch = try Architecture.parse(dir + "/config.json")
        let model = try Model(arch, weights: dir + "/weights.safetensors")
        #expect(model.parameterCount == 214_892)
        try model.setTraining(false)
        let io = try SafetensorsFile(contentsOf: dir + "/io.safetensors")
        let input = try io.tensor("input")
        let expected = try io.tensor("logits").floats
        let logits = try model.forward(input.floats, n: 2, c: 3, h: 224, w: 224)
        let maxDiff = zip(logits, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(maxDiff <= 1e-4, "max |Δ| = \(maxDiff)")
        // This fixture's two rows differ by only ~8e-5 (less than the tolerance); the strong one below
        // makes every block count.
    }

    @Test func strongFixtureWithScaledWeightsMatchesTheReference() throws {
        let strong = Fixtures.path("efficientformer-strong")
        let model = try Model(try Architecture.parse(strong + "/config.json"), weights: strong + "/weights.safetensors")
        try model.setTraining(false)
        let io = try SafetensorsFile(contentsOf: strong + "/io.safetensors")
        let expected = try io.tensor("logits").floats
        let logits = try model.forward(try io.tensor("input").floats, n: 2, c: 3, h: 224, w: 224)
        let maxDiff = zip(logits, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(maxDiff <= 1e-4, "max |Δ| = \(maxDiff)")
        let spread = (0..<10).map { abs(expected[$0] - expected[10 + $0]) }.max()!
        #expect(spread > 1e-2)
    }

    @Test(arguments: [("efficientformer-l1", 12_289_928), ("efficientformer-l3", 31_406_000), ("efficientformer-l7", 82_229_328)])
    func presetParameterCountsEqualTheReference(name: String, count: Int) throws {
        #expect(try Model(try Architecture.parse(name)).parameterCount == count)
    }

    @Test func savedWeightsUseTheReferenceNames() throws {
        let reference = try SafetensorsFile(contentsOf: dir + "/weights.safetensors")
        let model = try Model(try Architecture.parse(dir + "/config.json"), weights: dir + "/weights.safetensors")
        let out = try Fixtures.temporaryFolder() + "/ef.safetensors"
        try model.saveWeights(to: out)
        let saved = try SafetensorsFile(contentsOf: out)
        #expect(saved.names == reference.names)
        for name in reference.names { #expect(saved.entries[name]?.shape == reference.entries[name]?.shape, "\(name)") }
    }
}
