import Foundation

/// A resumable training checkpoint: a folder with `model.safetensors` (weights only, reference names: it
/// loads into the reference PyTorch model as is) and `optimizer.safetensors` (AdamW state plus the caller's
/// progress, e.g. epoch, step and loader cursor, as metadata). Both carry the step so a torn pair is caught.
public enum TrainingCheckpoint {
    /// File names inside a checkpoint folder.
    public static let modelFile = "model.safetensors"
    public static let optimizerFile = "optimizer.safetensors"

    /// Writes the checkpoint into `folder` (created if needed); each file is replaced atomically.
    public static func save(trainer: Trainer, progress: [String: String], modelMetadata: [String: String] = [:],
                            to folder: String) throws(ModelError) {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw .io(path: folder, reason: "cannot create the checkpoint folder (\(error.localizedDescription))")
        }
        let step = String(trainer.stepCount)
        var meta = progress
        meta["tinydistill.step"] = step
        try trainer.model.saveWeights(to: folder + "/" + modelFile, metadata: modelMetadata.merging(["tinydistill.step": step]) { _, b in b })
        try SafetensorsFile.write(try trainer.optimizerState(), metadata: meta, to: folder + "/" + optimizerFile)
    }

    /// Whether `folder` holds a checkpoint.
    public static func exists(in folder: String) -> Bool {
        FileManager.default.fileExists(atPath: folder + "/" + modelFile)
            && FileManager.default.fileExists(atPath: folder + "/" + optimizerFile)
    }

    /// Restores weights and optimiser state from `folder` and returns the saved progress metadata.
    public static func load(into trainer: Trainer, from folder: String) throws(ModelError) -> [String: String] {
        let weights = try SafetensorsFile(contentsOf: folder + "/" + modelFile)
        let optimizer = try SafetensorsFile(contentsOf: folder + "/" + optimizerFile)
        guard weights.metadata["tinydistill.step"] == optimizer.metadata["tinydistill.step"] else {
            throw .weightsMismatch(path: folder, reason: "model.safetensors (step \(weights.metadata["tinydistill.step"] ?? "?")) and optimizer.safetensors (step \(optimizer.metadata["tinydistill.step"] ?? "?")) come from different steps")
        }
        try trainer.model.loadWeights(weights)
        try trainer.loadOptimizerState(try optimizer.allTensors(), source: optimizer.path)
        return optimizer.metadata
    }
}
