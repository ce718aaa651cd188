internal import CTorchBridge

/// How the distillation loss is formed (DESIGN.md section 5).
public struct LossConfig: Sendable, Equatable, Codable {
    /// Softens student and teacher distributions (loss scaled by T²). 1, the TinyViT recipe, is off.
    public var temperature: Double
    /// Weight of the KD term; 1 − alpha goes to label cross-entropy. 1 (KD only) is the TinyViT recipe.
    public var alpha: Double
    /// Label smoothing of the label term.
    public var labelSmoothing: Double

    public init(temperature: Double = 1, alpha: Double = 1, labelSmoothing: Double = 0) {
        self.temperature = temperature
        self.alpha = alpha
        self.labelSmoothing = labelSmoothing
    }

    /// Labels only (alpha 0): the baseline without a teacher.
    public static func labelsOnly(smoothing: Double = 0.1) -> LossConfig {
        LossConfig(alpha: 0, labelSmoothing: smoothing)
    }

    var bridge: td_loss_config {
        td_loss_config(temperature: temperature, alpha: alpha, label_smoothing: labelSmoothing)
    }
}
