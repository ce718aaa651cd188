import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A resumable training checkpoint: a folder with `model.safetensors` (weights only, reference names: it
/// loads into the reference PyTorch model as is) and `optimizer.safetensors` (AdamW state plus the caller's
/// progress, e.g. epoch, step and loader cursor, as metadata). Both carry the step so a torn pair is caught.
public enum TrainingCheckpoint {
    /// File names inside a checkpoint folder.
    public static let modelFile = "model.safetensors"
    public static let optimizerFile = "optimizer.safetensors"

    /// Writes the checkpoint into `folder` (created if needed). Both files are first written complete
    /// beside their final names (`.next`), then renamed into place, the optimizer first: a process killed
    /// at any moment leaves either the previous checkpoint, or the new optimizer with the new model still
    /// at `model.safetensors.next`, which ``load(into:from:)`` rolls forward.
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
        let model = folder + "/" + modelFile, optimizer = folder + "/" + optimizerFile
        try trainer.model.saveWeights(to: model + ".next", metadata: modelMetadata.merging(["tinydistill.step": step]) { _, b in b })
        try SafetensorsFile.write(try trainer.optimizerState(), metadata: meta, to: optimizer + ".next")
        try replace(optimizer, with: optimizer + ".next")
        try replace(model, with: model + ".next")
    }

    /// Renames `next` over `path` (atomic on one file system).
    static func replace(_ path: String, with next: String) throws(ModelError) {
        guard rename(next, path) == 0 else {
            throw .io(path: path, reason: "cannot move the new checkpoint file into place (\(String(cString: strerror(errno))))")
        }
    }

    /// Whether `folder` holds a checkpoint.
    public static func exists(in folder: String) -> Bool {
        (FileManager.default.fileExists(atPath: folder + "/" + modelFile) || FileManager.default.fileExists(atPath: folder + "/" + modelFile + ".next"))
            && FileManager.default.fileExists(atPath: folder + "/" + optimizerFile)
    }

    /// Restores weights and optimiser state from `folder` and returns the saved progress metadata.
    public static func load(into trainer: Trainer, from folder: String) throws(ModelError) -> [String: String] {
        let next = folder + "/" + modelFile + ".next"
        if !FileManager.default.fileExists(atPath: folder + "/" + modelFile), FileManager.default.fileExists(atPath: next) {
            try replace(folder + "/" + modelFile, with: next)  // the first save stopped between its renames
        }
        var weights = try SafetensorsFile(contentsOf: folder + "/" + modelFile)
        let optimizer = try SafetensorsFile(contentsOf: folder + "/" + optimizerFile)
        if weights.metadata["tinydistill.step"] != optimizer.metadata["tinydistill.step"], FileManager.default.fileExists(atPath: next),
           try SafetensorsFile(contentsOf: next).metadata["tinydistill.step"] == optimizer.metadata["tinydistill.step"] {
            // A save stopped between its two renames: finish it.
            try replace(folder + "/" + modelFile, with: next)
            weights = try SafetensorsFile(contentsOf: folder + "/" + modelFile)
        }
        guard weights.metadata["tinydistill.step"] == optimizer.metadata["tinydistill.step"] else {
            throw .weightsMismatch(path: folder, reason: "model.safetensors (step \(weights.metadata["tinydistill.step"] ?? "?")) and optimizer.safetensors (step \(optimizer.metadata["tinydistill.step"] ?? "?")) come from different steps")
        }
        try trainer.model.loadWeights(weights)
        try trainer.loadOptimizerState(try optimizer.allTensors(), source: optimizer.path)
        return optimizer.metadata
    }
}
