internal import CTorchBridge

/// AdamW and per-step settings of a `Trainer` (defaults: the TinyViT recipe).
public struct TrainerConfig: Sendable, Equatable, Codable {
    /// Decoupled weight decay; never applied to biases, norms (1-D tensors) or attention biases.
    public var weightDecay: Double
    public var beta1: Double
    public var beta2: Double
    public var eps: Double
    /// Maximum global gradient L2 norm; 0 turns clipping off.
    public var clipGradNorm: Double
    /// Layer-wise LR decay for fine-tuning TinyViT (1 = off): block i of D gets decay^(D − i − 1).
    public var layerLRDecay: Double
    /// The loss.
    public var loss: LossConfig

    public init(weightDecay: Double = 0.05, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8,
                clipGradNorm: Double = 5.0, layerLRDecay: Double = 1.0, loss: LossConfig = LossConfig()) {
        self.weightDecay = weightDecay
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.clipGradNorm = clipGradNorm
        self.layerLRDecay = layerLRDecay
        self.loss = loss
    }

    var bridge: td_train_config {
        td_train_config(weight_decay: weightDecay, beta1: beta1, beta2: beta2, eps: eps, clip_grad_norm: clipGradNorm,
                        layer_lr_decay: layerLRDecay, loss: loss.bridge)
    }
}
