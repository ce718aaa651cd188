import Foundation
import Models
import Store

/// The model precompute runs: the synthetic generator, a built-in architecture from safetensors, or a
/// TorchScript file. Use from one thread (libtorch parallelises inside).
public final class Teacher {
    /// What computes the probabilities.
    public enum Backend {
        /// The documented generator; on images it is seeded by a hash of the augmented pixels.
        case synthetic(SyntheticTeacher)
        /// A libtorch model (eval mode).
        case model(Model)
    }

    /// The backend.
    public let backend: Backend
    /// Output classes C.
    public let numClasses: Int
    /// Channels the teacher takes, or nil when any (synthetic; TorchScript takes the images' own).
    public let inputChannels: Int?
    /// Input side the architecture is built for, when it requires one (TinyViT); nil when any.
    public let requiredInputSize: Int?
    /// The store's description of the teacher (architecture and weights hash).
    public let metadata: StoreMetadata.Teacher

    init(backend: Backend, numClasses: Int, inputChannels: Int?, requiredInputSize: Int?, metadata: StoreMetadata.Teacher) {
        self.backend = backend
        self.numClasses = numClasses
        self.inputChannels = inputChannels
        self.requiredInputSize = requiredInputSize
        self.metadata = metadata
    }

    /// Opens `spec`: `synthetic:C`, a TorchScript `.pt`/`.pth` file, or safetensors weights of a built-in
    /// architecture (`arch`, or the architecture the file's metadata records).
    /// - Parameters:
    ///   - maxK: largest K the synthetic generator must produce.
    ///   - probe: (channels, size) of one input, to learn a TorchScript model's class count.
    ///   - fused: run a built-in architecture with BatchNorm folded into its convolutions (the default;
    ///     equal to the unfused model within float rounding, and faster).
    public static func open(spec: String, arch: String?, maxK: Int, probe: (channels: Int, size: Int),
                            fused: Bool = true) throws(PipelineError) -> Teacher {
        if spec.hasPrefix("synthetic:") {
            guard let c = Int(spec.dropFirst("synthetic:".count)), c >= 2, c <= 1 << 24 else {
                throw .badOption(option: "--teacher", value: spec, why: "synthetic:C needs an integer C in 2…16,777,216")
            }
            let generator = SyntheticTeacher(numClasses: c, maxK: max(1, min(maxK, c)))
            return Teacher(backend: .synthetic(generator), numClasses: c, inputChannels: nil, requiredInputSize: nil,
                           metadata: .init(architecture: "synthetic", weightsHash: generator.weightsHash))
        }
        do {
            let (model, _) = try Model.load(path: spec, arch: arch, fused: fused)
            guard let architecture = model.architecture else {
                // TorchScript: learn the class count from one probe input.
                let zeros = [Float](repeating: 0, count: probe.channels * probe.size * probe.size)
                let logits = try model.forward(zeros, n: 1, c: probe.channels, h: probe.size, w: probe.size)
                return Teacher(backend: .model(model), numClasses: logits.count, inputChannels: nil, requiredInputSize: nil,
                               metadata: .init(architecture: "torchscript", weightsHash: try model.weightsDigest()))
            }
            let required: Int?
            switch architecture {
            case .tinyViT, .efficientFormer: required = architecture.imageSize  // window / attention grids are built for it
            case .resNet: required = nil
            }
            return Teacher(backend: .model(model), numClasses: architecture.numClasses, inputChannels: architecture.inChannels,
                           requiredInputSize: required,
                           metadata: .init(architecture: architecture.json, weightsHash: try model.weightsDigest(),
                                           fusedInference: fused))
        } catch {
            throw .badOption(option: "--teacher", value: spec, why: error.description)
        }
    }

    /// Runs the model on `planes` (n normalised CHW images) and writes each row's top-K.
    func topK(planes: [Float], n: Int, channels: Int, size: Int,
              into indices: inout [[UInt32]], _ probabilities: inout [[Float]]) throws(PipelineError) {
        guard case .model(let model) = backend else { return }
        let logits: [Float]
        do {
            logits = try model.forward(planes, n: n, c: channels, h: size, w: size)
        } catch {
            throw .failed("the teacher (\(model.kind)) failed on a batch of \(n)×\(channels)×\(size)×\(size): \(error.description)")
        }
        let c = logits.count / n
        logits.withUnsafeBufferPointer { all in
            for r in 0..<n {
                let row = UnsafeBufferPointer(rebasing: all[(r * c)..<((r + 1) * c)])
                TopK.select(logits: row, indices: &indices[r], probabilities: &probabilities[r])
            }
        }
    }
}
