import DataPipeline
import Foundation
import Models
import Store

/// Opens the teachers users name: `synthetic:C` (through ``SyntheticTeachers``), a TorchScript
/// `.pt`/`.pth` file, or safetensors weights of a built-in architecture, run on libtorch as a
/// ``ModelTeacher``. The CLI hands this to the torch-free jobs.
public struct ModelTeachers: TeacherOpener {
    /// The safetensors metadata key of a checkpoint's class names (a JSON array; `train` writes it from
    /// the dataset's names), which a built-in teacher records in its stores.
    public static let classNamesKey = "tinydistill.class_names"
    /// The metadata keys of a checkpoint's own top-1 accuracy (a decimal in [0, 1]) and the data it was
    /// measured on, which `train --eval` writes and a built-in teacher records in its stores.
    public static let top1Key = "tinydistill.eval_top1", top1DataKey = "tinydistill.eval_data"

    /// The opener.
    public init() {}

    /// The class names `metadata` records for a teacher of `classes` classes, or nil; a malformed or
    /// miscounted entry is refused naming the file.
    static func classNames(_ metadata: [String: String], classes: Int, path: String) throws(PipelineError) -> [String]? {
        guard let text = metadata[classNamesKey] else { return nil }
        guard let names = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String] else {
            throw .invalid(field: "teacher", value: path, why: "its \(classNamesKey) metadata is not a JSON array of strings")
        }
        try TeacherClassNames.check(names, field: "teacher", value: path + " (" + classNamesKey + ")", count: classes)
        return names
    }

    /// Opens `spec`; `fused` runs a built-in architecture with BatchNorm folded into its convolutions
    /// (equal to the unfused model within float rounding, and faster). Errors name the field `teacher`.
    public func open(spec: String, arch: String?, maxK: Int, probe: (channels: Int, size: Int),
                     fused: Bool) throws(PipelineError) -> any Teacher {
        if spec.hasPrefix("synthetic:") {
            return try SyntheticTeachers().open(spec: spec, arch: arch, maxK: maxK, probe: probe, fused: fused)
        }
        do {
            let (model, fileMetadata) = try Model.load(path: spec, arch: arch, fused: fused)
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
            let names = try Self.classNames(fileMetadata, classes: architecture.numClasses, path: spec)
            var meta = StoreMetadata.Teacher(architecture: architecture.json, weightsHash: try model.weightsDigest(),
                                             fusedInference: fused, classNames: names)
            if let top1 = fileMetadata[Self.top1Key].flatMap(Double.init), (0...1).contains(top1) {
                meta.recordedTop1 = top1
                meta.recordedTop1Data = fileMetadata[Self.top1DataKey]
            }
            return ModelTeacher(model: model, numClasses: architecture.numClasses, inputChannels: architecture.inChannels,
                                requiredInputSize: required, metadata: meta)
        } catch let error as PipelineError {
            throw error
        } catch let error as ModelError {
            throw .invalid(field: "teacher", value: spec, why: error.description)
        } catch {
            throw .invalid(field: "teacher", value: spec, why: "\(error)")
        }
    }
}
