import Store

/// What a teacher reads from each row of a ``RenderedBatch``.
public enum TeacherInput: Sendable, Equatable {
    /// Normalised float32 CHW planes: a model.
    case planes
    /// The XXH64 of the augmented uint8 pixels under the row's seed (for a dataset without images, the
    /// seed itself): the synthetic teacher, so that replay can be verified without a model.
    case pixelHash
    /// The augmented uint8 pixels, HWC, before normalisation: a caller's own teacher that normalises
    /// itself (``TeacherStage``). Random erasing draws its noise in normalised space, so a policy that
    /// erases cannot be rendered this way.
    case pixels
}

/// The model precompute, verify and online distillation run: maps a rendered batch to each row's
/// top-K, whatever computes it (`ModelJobs`' `ModelTeacher` on libtorch, ``SyntheticTeacher`` without a
/// model, ``CallerTeacher`` for a caller's own). A ``TeacherOpener`` opens one from a command-line spec. Use from one
/// thread (a model parallelises inside).
public protocol Teacher {
    /// Output classes C.
    var numClasses: Int { get }
    /// Channels the teacher takes, or nil when any (synthetic; TorchScript takes the images' own).
    var inputChannels: Int? { get }
    /// Input side the teacher is built for, when it requires one (TinyViT, EfficientFormer); nil when any.
    var requiredInputSize: Int? { get }
    /// The store's description of the teacher (architecture and weights hash).
    var metadata: StoreMetadata.Teacher { get }
    /// What the teacher reads from a batch.
    var input: TeacherInput { get }
    /// Writes the top-K (K = `targets.k`) of every row of `batch` into `targets`, in descending
    /// probability. Rows with an error may be given any values; callers skip them.
    func topK(_ batch: RenderedBatch, into targets: inout TopKBatch) throws(PipelineError)
    /// Writes the full distribution of every row of `batch` into `dense` (`batch.count` × C, class order,
    /// resized as needed), from which sampled targets are drawn. Rows with an error may hold anything.
    func probabilities(_ batch: RenderedBatch, into dense: inout [Float]) throws(PipelineError)
}

extension Teacher {
    /// Writes every row's targets of the kind `targets` holds: the top-K (``topK(_:into:)``), or for
    /// sampled targets the draws from each row's full distribution (``probabilities(_:into:)``) under
    /// the row's seed.
    public func targets(_ batch: RenderedBatch, into targets: inout TopKBatch) throws(PipelineError) {
        guard targets.sampling != nil else { return try topK(batch, into: &targets) }
        try probabilities(batch, into: &targets.dense)
        targets.drawDense(rows: batch.count, numClasses: numClasses, seeds: batch.items.map(\.seed),
                          skip: batch.errors.map { $0 != nil })
    }
}
