import DataPipeline
import Foundation
import Models

/// A model opened for evaluation or prediction, with the reference's evaluation transform it takes:
/// the architecture's input size and channels (or the overrides) and the mean/std a tinydistill
/// checkpoint records (`tinydistill.mean`, `tinydistill.std`; ImageNet's otherwise).
public struct EvaluationModel {
    /// The model, in eval mode.
    public let model: Model
    /// Its preprocessing.
    public let transform: EvalTransform
    /// The class names its checkpoint records (`tinydistill.class_names`), or nil.
    public let classNames: [String]?

    /// Opens `path` (safetensors of a built-in architecture, or TorchScript `.pt`). A file that cannot be
    /// loaded is a failure naming it (exit 1 in the CLI), not a usage error.
    public init(path: String, arch: String?, classes: Int? = nil, imageSize: Int? = nil, inChannels: Int? = nil,
                fused: Bool = true) throws(PipelineError) {
        let metadata: [String: String]
        do {
            (model, metadata) = try Model.load(path: path, arch: arch, classes: classes, imageSize: imageSize,
                                               inChannels: inChannels, fused: fused)
        } catch {
            throw .failed(error.description)
        }
        classNames = try model.architecture.flatMap { a throws(PipelineError) in
            try ModelTeachers.classNames(metadata, classes: a.numClasses, path: path)
        }
        transform = EvalTransform(size: imageSize ?? model.architecture?.imageSize ?? 224,
                                  channels: inChannels ?? model.architecture?.inChannels ?? 3,
                                  mean: Self.doubles(metadata["tinydistill.mean"]), std: Self.doubles(metadata["tinydistill.std"]))
    }

    /// A JSON array of numbers (`[0.286]`), or nil.
    static func doubles(_ text: String?) -> [Double]? {
        guard let text, let values = try? JSONDecoder().decode([Double].self, from: Data(text.utf8)), !values.isEmpty else {
            return nil
        }
        return values
    }
}
