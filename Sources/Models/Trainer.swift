internal import CTorchBridge

/// Trains a built-in model with AdamW on sparse soft targets and/or labels. Holds the optimiser state;
/// together with the model's weights, `optimizerState()` and the caller's step counter it resumes exactly.
public final class Trainer {
    let handle: OpaquePointer
    /// The model being trained (kept alive by the trainer).
    public let model: Model
    /// The settings it was built with.
    public let config: TrainerConfig
    /// The process group gradients are averaged over (kept alive while the trainer uses it).
    var groupKeepAlive: ProcessGroup?

    /// What one step measured.
    public struct StepResult: Sendable, Equatable {
        public var loss: Double
        public var kdLoss: Double
        public var labelLoss: Double
        /// Global gradient norm before clipping.
        public var gradNorm: Double
        /// Rows whose argmax equals the label (0 without labels).
        public var correct: Int
    }

    /// A trainer for `model` (built-in architectures only).
    public init(model: Model, config: TrainerConfig = TrainerConfig()) throws(ModelError) {
        var cfg = config.bridge
        var pointer: OpaquePointer?
        try Torch.check(td_trainer_create(model.handle, &cfg, &pointer), "creating the trainer")
        self.handle = pointer!
        self.model = model
        self.config = config
    }

    deinit { td_trainer_free(handle) }

    /// One optimisation step on a batch. `input` is n x c x h x w float32; `indices`/`values` hold k sparse
    /// targets per row (k may be 0 for labels-only training); `labels` are required when alpha < 1.
    /// `rngSeed` seeds drop path for this step (derive it from the step number to resume exactly).
    public func step(input: [Float], n: Int, c: Int, h: Int, w: Int, indices: [Int32], values: [Float], k: Int,
                     labels: [Int64]?, learningRate: Double, rngSeed: UInt64) throws(ModelError) -> StepResult {
        try input.withUnsafeBufferPointer { (x) throws(ModelError) -> StepResult in
            try step(input: x, n: n, c: c, h: h, w: w, indices: indices, values: values, k: k, labels: labels,
                     learningRate: learningRate, rngSeed: rngSeed)
        }
    }

    /// ``step(input:n:c:h:w:indices:values:k:labels:learningRate:rngSeed:)`` reading the input in place.
    public func step(input: UnsafeBufferPointer<Float>, n: Int, c: Int, h: Int, w: Int, indices: [Int32], values: [Float],
                     k: Int, labels: [Int64]?, learningRate: Double, rngSeed: UInt64) throws(ModelError) -> StepResult {
        guard input.count == n * c * h * w else { throw .invalidArgument("step: input does not match \(n)x\(c)x\(h)x\(w)") }
        guard indices.count == n * k, values.count == n * k else { throw .invalidArgument("step: targets must hold n x k entries") }
        if let labels, labels.count != n { throw .invalidArgument("step: \(labels.count) labels for \(n) rows") }
        var result = td_step_result()
        let x = input
        let status: Int32 = indices.withUnsafeBufferPointer { i in
            values.withUnsafeBufferPointer { v in
                func run(_ lab: UnsafePointer<Int64>?) -> Int32 {
                    td_trainer_step(handle, x.baseAddress, Int64(n), Int64(c), Int64(h), Int64(w),
                                    k > 0 ? i.baseAddress : nil, k > 0 ? v.baseAddress : nil, Int64(k), lab,
                                    learningRate, rngSeed, &result)
                }
                if let labels { return labels.withUnsafeBufferPointer { run($0.baseAddress) } }
                return run(nil)
            }
        }
        try Torch.check(status, "training step")
        return StepResult(loss: result.loss, kdLoss: result.kd_loss, labelLoss: result.label_loss,
                          gradNorm: result.grad_norm, correct: Int(result.correct))
    }

    /// Forward and backward in the model's current mode without updating anything; returns the loss and
    /// the gradients of the named parameters (for gradient checks and diagnostics).
    public func gradients(input: [Float], n: Int, c: Int, h: Int, w: Int, indices: [Int32], values: [Float], k: Int,
                          labels: [Int64]?, rngSeed: UInt64 = 0, of names: [String]) throws(ModelError) -> (loss: Double, gradients: [String: [Float]]) {
        guard input.count == n * c * h * w, indices.count == n * k, values.count == n * k else {
            throw .invalidArgument("gradients: input or targets do not match the batch shape")
        }
        var loss = 0.0
        let status: Int32 = input.withUnsafeBufferPointer { x in
            indices.withUnsafeBufferPointer { i in
                values.withUnsafeBufferPointer { v in
                    func run(_ lab: UnsafePointer<Int64>?) -> Int32 {
                        td_trainer_gradients(handle, x.baseAddress, Int64(n), Int64(c), Int64(h), Int64(w),
                                             k > 0 ? i.baseAddress : nil, k > 0 ? v.baseAddress : nil, Int64(k), lab, rngSeed, &loss)
                    }
                    if let labels { return labels.withUnsafeBufferPointer { run($0.baseAddress) } }
                    return run(nil)
                }
            }
        }
        try Torch.check(status, "gradients")
        let sizes = Dictionary(uniqueKeysWithValues: model.stateInfo.map { ($0.name, $0.shape.reduce(1, *)) })
        var out: [String: [Float]] = [:]
        for name in names {
            guard let size = sizes[name] else { throw .notFound("no parameter '\(name)'") }
            var g = [Float](repeating: 0, count: size)
            try Torch.check(td_trainer_gradient_read(handle, name, &g, Int64(size)), "gradient of '\(name)'")
            out[name] = g
        }
        return (loss, out)
    }

    /// Steps taken so far (the optimiser's bias-correction counter).
    public var stepCount: Int {
        var step: Int64 = 0
        guard td_trainer_state_read(handle, "step", &step, 8) == 0 else { return 0 }
        return Int(step)
    }

    /// A copy of the optimiser state: "step", "exp_avg.<param>", "exp_avg_sq.<param>".
    public func optimizerState() throws(ModelError) -> [NamedTensor] {
        var out: [NamedTensor] = []
        for i in 0..<td_trainer_state_count(handle) {
            var name: UnsafePointer<CChar>?
            var dtype: Int32 = 0, ndim: Int32 = 0
            var shape = [Int64](repeating: 0, count: Int(TD_MAX_DIMS))
            try Torch.check(td_trainer_state_info(handle, i, &name, &dtype, &ndim, &shape), "optimiser state")
            guard let name, let type = TensorDType(bridgeCode: dtype) else { continue }
            let dims = shape.prefix(Int(ndim)).map { Int($0) }
            var bytes = [UInt8](repeating: 0, count: dims.reduce(1, *) * type.byteSize)
            let label = String(cString: name)
            let status = bytes.withUnsafeMutableBytes { td_trainer_state_read(handle, label, $0.baseAddress, Int64($0.count)) }
            try Torch.check(status, "reading optimiser state '\(label)'")
            out.append(NamedTensor(name: label, dtype: type, shape: dims, bytes: bytes))
        }
        return out
    }

    /// Restores optimiser state saved by `optimizerState()` (every entry must be present, shapes equal).
    public func loadOptimizerState(_ tensors: [NamedTensor], source: String) throws(ModelError) {
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for expected in try optimizerState() {
            guard let t = byName[expected.name] else {
                throw .weightsMismatch(path: source, reason: "optimiser state '\(expected.name)' is missing")
            }
            var shape = t.shape.map { Int64($0) }
            let status = t.bytes.withUnsafeBytes { raw in
                td_trainer_state_write(handle, t.name, t.dtype.bridgeCode, Int32(shape.count), &shape, raw.baseAddress)
            }
            try Torch.check(status, "\(source): optimiser state '\(t.name)'")
        }
    }

    /// The LR multiplier layer-wise decay gives parameter `name` (0 if no such parameter).
    public func learningRateScale(of name: String) -> Double { td_trainer_lr_scale(handle, name) }

    /// Whether weight decay applies to parameter `name`.
    public func appliesWeightDecay(to name: String) -> Bool { td_trainer_decays(handle, name) != 0 }
}
