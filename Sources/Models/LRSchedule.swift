import Foundation

/// Linear warmup then cosine decay to a floor, per optimisation step (the TinyViT / timm recipe).
public struct LRSchedule: Sendable, Equatable, Codable {
    /// Peak learning rate, reached at the end of warmup.
    public var baseLR: Double
    /// Learning rate at step 0 of warmup.
    public var warmupLR: Double
    /// Floor at the end of training.
    public var minLR: Double
    /// Steps of linear warmup.
    public var warmupSteps: Int
    /// Total steps, warmup included.
    public var totalSteps: Int

    public init(baseLR: Double, warmupLR: Double = 0, minLR: Double = 0, warmupSteps: Int, totalSteps: Int) {
        self.baseLR = baseLR
        self.warmupLR = warmupLR
        self.minLR = minLR
        self.warmupSteps = max(0, warmupSteps)
        self.totalSteps = max(1, totalSteps)
    }

    /// The learning rate of step `step` (0-based); constant at `minLR` past the end.
    public func learningRate(at step: Int) -> Double {
        if step < warmupSteps {
            return warmupLR + (baseLR - warmupLR) * Double(step) / Double(warmupSteps)
        }
        let decaySteps = max(1, totalSteps - warmupSteps)
        let t = min(1.0, Double(step - warmupSteps) / Double(decaySteps))
        return minLR + 0.5 * (baseLR - minLR) * (1 + cos(Double.pi * t))
    }
}
