internal import CTorchBridge

/// The TinyViT sparse distillation loss, evaluated by the same libtorch code the trainer runs.
///
/// Each row's target is the stored top-K probabilities at their classes and (1 − Σ top-K) / (C − K) at every
/// other class (clamped at 0 when rounding makes Σ top-K exceed 1); the loss is the mean soft-target
/// cross-entropy. It is computed from (indices, values) directly: no dense target is built at T = 1.
public enum SparseKDLoss {
    /// The loss and its gradient with respect to `logits` (n x classes, row-major).
    /// - Parameters:
    ///   - indices: n x k class indices; values: n x k probabilities.
    ///   - labels: n labels, required when `config.alpha < 1`.
    public static func evaluate(logits: [Float], n: Int, classes: Int, indices: [Int32], values: [Float], k: Int,
                                labels: [Int64]? = nil, config: LossConfig = LossConfig()) throws(ModelError) -> (loss: Double, gradient: [Float]) {
        guard logits.count == n * classes, indices.count == n * k, values.count == n * k else {
            throw .invalidArgument("sparse KD loss: logits, indices and values must hold n x classes and n x k entries")
        }
        if let labels, labels.count != n { throw .invalidArgument("sparse KD loss: \(labels.count) labels for \(n) rows") }
        var loss = 0.0
        var grad = [Float](repeating: 0, count: n * classes)
        var cfg = config.bridge
        let status: Int32 = logits.withUnsafeBufferPointer { l in
            indices.withUnsafeBufferPointer { i in
                values.withUnsafeBufferPointer { v in
                    grad.withUnsafeMutableBufferPointer { g in
                        if let labels {
                            return labels.withUnsafeBufferPointer { lab in
                                td_sparse_kd_loss(l.baseAddress, Int64(n), Int64(classes), i.baseAddress, v.baseAddress, Int64(k),
                                                  lab.baseAddress, &cfg, &loss, g.baseAddress)
                            }
                        }
                        return td_sparse_kd_loss(l.baseAddress, Int64(n), Int64(classes), i.baseAddress, v.baseAddress, Int64(k),
                                                 nil, &cfg, &loss, g.baseAddress)
                    }
                }
            }
        }
        try Torch.check(status, "sparse KD loss")
        return (loss, grad)
    }
}
