import Foundation
import Models
import Testing

@Suite("training core")
struct TrainerTests {
    static let tiny = Architecture.tinyViT(TinyViTConfig(imgSize: 16, inChans: 3, numClasses: 4, embedDims: [8, 16, 16],
                                                         depths: [1, 1, 1], numHeads: [1, 2, 2], windowSizes: [2, 2, 2],
                                                         dropPathRate: 0.1))

    /// A deterministic batch of 8 images whose label is readable from the pixels (mean brightness).
    func batch(n: Int = 8) -> (x: [Float], indices: [Int32], values: [Float], labels: [Int64]) {
        var x: [Float] = []
        var labels: [Int64] = []
        var indices: [Int32] = []
        var values: [Float] = []
        for i in 0..<n {
            let label = i % 4
            labels.append(Int64(label))
            for p in 0..<(3 * 16 * 16) { x.append(Float(label) * 0.5 - 0.75 + 0.1 * Float(sin(Double(p * (i + 1))))) }
            indices += [Int32(label), Int32((label + 1) % 4)]
            values += [0.8, 0.15]
        }
        return (x, indices, values, labels)
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        // No drop path, eval mode (BatchNorm running statistics): the loss is a smooth function of the weights.
        var config = TinyViTConfig(imgSize: 16, inChans: 3, numClasses: 4, embedDims: [8, 16, 16], depths: [1, 1, 1],
                                   numHeads: [1, 2, 2], windowSizes: [2, 2, 2], dropPathRate: 0)
        config.dropPathRate = 0
        let model = try Model(.tinyViT(config), seed: 3)
        try model.setTraining(false)
        let trainer = try Trainer(model: model, config: TrainerConfig(loss: LossConfig(alpha: 0.6, labelSmoothing: 0.1)))
        let b = batch(n: 4)
        let names = ["head.weight", "layers.1.blocks.0.attn.attention_biases", "layers.1.blocks.0.attn.qkv.weight",
                     "layers.0.blocks.0.conv2.c.weight", "patch_embed.seq.0.c.weight"]
        let (_, grads) = try trainer.gradients(input: b.x, n: 4, c: 3, h: 16, w: 16, indices: b.indices, values: b.values,
                                               k: 2, labels: b.labels, of: names)
        let state = try model.state()
        for name in names {
            var tensor = state.first { $0.name == name }!
            var values = tensor.floats
            for element in [0, values.count / 2, values.count - 1] {
                let original = values[element]
                let h: Float = 1e-2
                func loss(at v: Float) throws -> Double {
                    values[element] = v
                    tensor = NamedTensor(name: name, shape: tensor.shape, floats: values)
                    try model.setState(tensor)
                    return try trainer.gradients(input: b.x, n: 4, c: 3, h: 16, w: 16, indices: b.indices, values: b.values,
                                                 k: 2, labels: b.labels, of: []).loss
                }
                let numeric = (try loss(at: original + h) - loss(at: original - h)) / Double(2 * h)
                _ = try loss(at: original)
                let analytic = Double(grads[name]![element])
                #expect(abs(numeric - analytic) <= 2e-3 + 0.05 * abs(analytic), "\(name)[\(element)]: numeric \(numeric), analytic \(analytic)")
            }
        }
    }

    @Test func tinyModelOverfitsTinyBatch() throws {
        let model = try Model(Self.tiny, seed: 5)
        let trainer = try Trainer(model: model, config: TrainerConfig(weightDecay: 0, loss: LossConfig(alpha: 0.5)))
        let b = batch()
        var first = 0.0, last = 0.0
        for step in 0..<60 {
            let r = try trainer.step(input: b.x, n: 8, c: 3, h: 16, w: 16, indices: b.indices, values: b.values, k: 2,
                                     labels: b.labels, learningRate: 3e-3, rngSeed: UInt64(step))
            if step == 0 { first = r.loss }
            last = r.loss
        }
        #expect(last < first * 0.5, "loss \(first) → \(last)")
        try model.setTraining(false)
        let logits = try model.forward(b.x, n: 8, c: 3, h: 16, w: 16)
        let predicted = (0..<8).map { r in (0..<4).max { logits[r * 4 + $0] < logits[r * 4 + $1] }! }
        #expect(predicted.map { Int64($0) } == b.labels)
    }

    @Test func checkpointResumeContinuesIdentically() throws {
        let b = batch()
        let schedule = LRSchedule(baseLR: 2e-3, warmupSteps: 2, totalSteps: 6)
        func run(_ trainer: Trainer, steps: Range<Int>) throws {
            for s in steps {
                _ = try trainer.step(input: b.x, n: 8, c: 3, h: 16, w: 16, indices: b.indices, values: b.values, k: 2,
                                     labels: nil, learningRate: schedule.learningRate(at: s), rngSeed: UInt64(1000 + s))
            }
        }
        let straight = try Trainer(model: try Model(Self.tiny, seed: 9))
        try run(straight, steps: 0..<6)

        let first = try Trainer(model: try Model(Self.tiny, seed: 9))
        try run(first, steps: 0..<3)
        let folder = try Fixtures.temporaryFolder()
        try TrainingCheckpoint.save(trainer: first, progress: ["epoch": "0", "position": "3"], to: folder)
        let resumed = try Trainer(model: try Model(Self.tiny, seed: 77))
        let progress = try TrainingCheckpoint.load(into: resumed, from: folder)
        #expect(progress["position"] == "3")
        #expect(resumed.stepCount == 3)
        try run(resumed, steps: 3..<6)
        #expect(try resumed.model.state() == straight.model.state())
        #expect(try resumed.optimizerState() == straight.optimizerState())
    }

    @Test func aSaveKilledBetweenItsRenamesIsRolledForward() throws {
        let b = batch()
        let trainer = try Trainer(model: try Model(Self.tiny, seed: 9))
        func step(_ s: Int) throws {
            _ = try trainer.step(input: b.x, n: 8, c: 3, h: 16, w: 16, indices: b.indices, values: b.values, k: 2,
                                 labels: nil, learningRate: 1e-3, rngSeed: UInt64(s))
        }
        try step(0)
        let folder = try Fixtures.temporaryFolder()
        let model = folder + "/" + TrainingCheckpoint.modelFile
        try TrainingCheckpoint.save(trainer: trainer, progress: ["position": "1"], to: folder)
        let older = try Data(contentsOf: URL(fileURLWithPath: model))
        try step(1)
        try TrainingCheckpoint.save(trainer: trainer, progress: ["position": "2"], to: folder)
        #expect(!FileManager.default.fileExists(atPath: model + ".next"))
        // The state a kill between the two renames leaves: the new optimizer, the old model, the new one beside it.
        try FileManager.default.moveItem(atPath: model, toPath: model + ".next")
        try older.write(to: URL(fileURLWithPath: model))
        let resumed = try Trainer(model: try Model(Self.tiny, seed: 77))
        let progress = try TrainingCheckpoint.load(into: resumed, from: folder)
        #expect(progress["position"] == "2" && resumed.stepCount == 2)
        #expect(try resumed.model.state() == trainer.model.state())
        #expect(!FileManager.default.fileExists(atPath: model + ".next"))
    }

    @Test func weightDecayAndLayerDecayFollowTheReferenceRules() throws {
        let trainer = try Trainer(model: try Model(Self.tiny), config: TrainerConfig(layerLRDecay: 0.5))
        #expect(!trainer.appliesWeightDecay(to: "head.bias"))
        #expect(!trainer.appliesWeightDecay(to: "norm_head.weight"))
        #expect(!trainer.appliesWeightDecay(to: "layers.1.blocks.0.attn.attention_biases"))
        #expect(trainer.appliesWeightDecay(to: "layers.1.blocks.0.attn.qkv.weight"))
        #expect(trainer.appliesWeightDecay(to: "patch_embed.seq.0.c.weight"))
        // depth 3: blocks get 0.25, 0.5, 1; patch embed = block 0; downsample = its stage's last block; head = last.
        #expect(trainer.learningRateScale(of: "patch_embed.seq.0.c.weight") == 0.25)
        #expect(trainer.learningRateScale(of: "layers.0.blocks.0.conv1.c.weight") == 0.25)
        #expect(trainer.learningRateScale(of: "layers.0.downsample.conv1.c.weight") == 0.25)
        #expect(trainer.learningRateScale(of: "layers.1.blocks.0.mlp.fc1.weight") == 0.5)
        #expect(trainer.learningRateScale(of: "layers.2.blocks.0.mlp.fc1.weight") == 1)
        #expect(trainer.learningRateScale(of: "head.weight") == 1)
    }

    @Test func scheduleWarmsUpThenFollowsTheCosine() {
        let s = LRSchedule(baseLR: 1e-3, warmupLR: 1e-5, minLR: 1e-5, warmupSteps: 10, totalSteps: 110)
        #expect(s.learningRate(at: 0) == 1e-5)
        #expect(abs(s.learningRate(at: 5) - (1e-5 + 0.5 * (1e-3 - 1e-5))) < 1e-12)
        #expect(s.learningRate(at: 10) == 1e-3)
        #expect(abs(s.learningRate(at: 60) - (1e-5 + 0.5 * (1e-3 - 1e-5))) < 1e-12)
        #expect(abs(s.learningRate(at: 110) - 1e-5) < 1e-15)
        #expect(abs(s.learningRate(at: 500) - 1e-5) < 1e-15)
    }

    @Test func torchScriptModelsCannotBeTrainedButBuiltInsCan() throws {
        #expect(throws: ModelError.self) { _ = try Model(torchScriptAt: "/nonexistent.pt") }
    }
}
