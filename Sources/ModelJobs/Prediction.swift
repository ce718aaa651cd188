import DataPipeline
import DetCore
import Foundation
import Images
import Models

/// The top classes a model gives one input.
public struct Prediction: Sendable, Equatable, Codable {
    /// One class with its probability.
    public struct Entry: Sendable, Equatable, Codable {
        public var index: Int
        public var name: String?
        public var probability: Double
    }
    /// The input (file path).
    public var input: String
    /// Highest probability first.
    public var top: [Entry]

    /// Runs `model` (eval mode) on `images` in batches and keeps the `k` most probable classes of each.
    public static func run(model: Model, transform: EvalTransform, images: [(path: String, image: Image)], k: Int = 5,
                           classNames: [String]? = nil, batch: Int = 32) throws(ModelError) -> [Prediction] {
        try model.setTraining(false)
        var out: [Prediction] = []
        var start = 0
        while start < images.count {
            let chunk = images[start..<min(images.count, start + batch)]
            var input: [Float] = []
            for item in chunk { input += transform.tensor(item.image) }
            let logits = try model.forward(input, n: chunk.count, c: transform.channels, h: transform.size, w: transform.size)
            let classes = logits.count / chunk.count
            for (row, item) in chunk.enumerated() {
                let probs = softmax(Array(logits[(row * classes)..<((row + 1) * classes)]))
                let order = probs.indices.sorted { probs[$0] != probs[$1] ? probs[$0] > probs[$1] : $0 < $1 }
                let top = order.prefix(k).map { i in
                    Entry(index: i, name: classNames.flatMap { i < $0.count ? $0[i] : nil }, probability: probs[i])
                }
                out.append(Prediction(input: item.path, top: top))
            }
            start += chunk.count
        }
        return out
    }

    /// Softmax in Double (max-subtracted).
    public static func softmax(_ logits: [Float]) -> [Double] {
        let m = Double(logits.max() ?? 0)
        let e = logits.map { exp(Double($0) - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }
}
