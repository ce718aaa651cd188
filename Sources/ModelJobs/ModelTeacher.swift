import DataPipeline
import Models
import Store

/// A teacher on libtorch: a built-in architecture from safetensors weights or a TorchScript file, run
/// in eval mode on normalised planes; top-K from the softmax of its logits (``TopK``).
public final class ModelTeacher: Teacher {
    /// The model.
    public let model: Model
    public let numClasses: Int
    public let inputChannels: Int?
    public let requiredInputSize: Int?
    public let metadata: StoreMetadata.Teacher
    public var input: TeacherInput { .planes }

    init(model: Model, numClasses: Int, inputChannels: Int?, requiredInputSize: Int?, metadata: StoreMetadata.Teacher) {
        self.model = model
        self.numClasses = numClasses
        self.inputChannels = inputChannels
        self.requiredInputSize = requiredInputSize
        self.metadata = metadata
    }

    public func topK(_ batch: RenderedBatch, into targets: inout TopKBatch) throws(PipelineError) {
        let n = batch.count
        guard n > 0 else { return }
        precondition(batch.content == .planes && n <= targets.capacity)
        let logits = try self.logits(batch)
        let c = logits.count / n
        let k = targets.k
        logits.withUnsafeBufferPointer { all in
            targets.indices.withUnsafeMutableBufferPointer { idx in
                targets.probabilities.withUnsafeMutableBufferPointer { prob in
                    for r in 0..<n {
                        TopK.select(logits: UnsafeBufferPointer(rebasing: all[(r * c)..<((r + 1) * c)]),
                                    indices: UnsafeMutableBufferPointer(rebasing: idx[(r * k)..<((r + 1) * k)]),
                                    probabilities: UnsafeMutableBufferPointer(rebasing: prob[(r * k)..<((r + 1) * k)]))
                    }
                }
            }
        }
    }

    /// The softmax of every row's logits (``TopK/softmax(logits:into:)``: the bits ``topK(_:into:)`` gives
    /// its classes).
    public func probabilities(_ batch: RenderedBatch, into dense: inout [Float]) throws(PipelineError) {
        let n = batch.count
        guard n > 0 else { return }
        let logits = try self.logits(batch)
        let c = logits.count / n
        if dense.count < n * c { dense = [Float](repeating: 0, count: n * c) }
        logits.withUnsafeBufferPointer { all in
            dense.withUnsafeMutableBufferPointer { out in
                for r in 0..<n {
                    TopK.softmax(logits: UnsafeBufferPointer(rebasing: all[(r * c)..<((r + 1) * c)]),
                                 into: UnsafeMutableBufferPointer(rebasing: out[(r * c)..<((r + 1) * c)]))
                }
            }
        }
    }

    /// The model's logits for the batch's rows (n × C).
    private func logits(_ batch: RenderedBatch) throws(PipelineError) -> [Float] {
        let n = batch.count
        precondition(batch.content == .planes)
        let logits: [Float]
        do {
            // Failed rows keep whatever their slot holds; their results are discarded by the caller.
            logits = try batch.planes.withUnsafeBufferPointer { all throws(ModelError) in
                try model.forward(UnsafeBufferPointer(rebasing: all[0..<(n * batch.planeSize)]),
                                  n: n, c: batch.channels, h: batch.side, w: batch.side)
            }
        } catch {
            throw .failed("the teacher (\(model.kind)) failed on a batch of \(n)×\(batch.channels)×\(batch.side)×\(batch.side): \(error.description)")
        }
        return logits
    }
}
