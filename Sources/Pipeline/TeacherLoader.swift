import Models
import Store

/// Opens the teachers users name: `synthetic:C`, a TorchScript `.pt`/`.pth` file, or safetensors
/// weights of a built-in architecture.
public enum TeacherLoader {
    /// Opens `spec` (`arch`: the architecture of safetensors weights, or nil for the one the file
    /// records). Errors name the field `teacher`.
    /// - Parameters:
    ///   - maxK: largest K the synthetic generator must produce.
    ///   - probe: (channels, size) of one input, to learn a TorchScript model's class count.
    ///   - fused: run a built-in architecture with BatchNorm folded into its convolutions (the default;
    ///     equal to the unfused model within float rounding, and faster).
    public static func open(spec: String, arch: String?, maxK: Int, probe: (channels: Int, size: Int),
                            fused: Bool = true) throws(PipelineError) -> any Teacher {
        if spec.hasPrefix("synthetic:") {
            guard let c = Int(spec.dropFirst("synthetic:".count)), c >= 2, c <= 1 << 24 else {
                throw .invalid(field: "teacher", value: spec, why: "synthetic:C needs an integer C in 2…16,777,216")
            }
            return SyntheticTeacher(numClasses: c, maxK: max(1, min(maxK, c)))
        }
        do {
            let (model, _) = try Model.load(path: spec, arch: arch, fused: fused)
            guard let architecture = model.architecture else {
                // TorchScript: learn the class count from one probe input.
                let zeros = [Float](repeating: 0, count: probe.channels * probe.size * probe.size)
                let logits = try model.forward(zeros, n: 1, c: probe.channels, h: probe.size, w: probe.size)
                return ModelTeacher(model: model, numClasses: logits.count, inputChannels: nil, requiredInputSize: nil,
                                    metadata: .init(architecture: "torchscript", weightsHash: try model.weightsDigest()))
            }
            let required: Int?
            switch architecture {
            case .tinyViT, .efficientFormer: required = architecture.imageSize  // window / attention grids are built for it
            case .resNet: required = nil
            }
            return ModelTeacher(model: model, numClasses: architecture.numClasses, inputChannels: architecture.inChannels,
                                requiredInputSize: required,
                                metadata: .init(architecture: architecture.json, weightsHash: try model.weightsDigest(),
                                                fusedInference: fused))
        } catch {
            throw .invalid(field: "teacher", value: spec, why: error.description)
        }
    }
}
