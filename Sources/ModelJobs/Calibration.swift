import Foundation

/// How well a model's softmax confidence matches its accuracy on labelled samples: the mean negative
/// log-likelihood of the label, the expected calibration error over equal-width confidence bins, and those
/// bins (a reliability diagram's data). `evaluate --json` reports it as `calibration`.
public struct Calibration: Sendable, Equatable, Codable {
    /// One confidence bin: samples whose top-1 probability lies in [lower, upper) (the last bin includes 1).
    public struct Bin: Sendable, Equatable, Codable {
        /// The bin's bounds.
        public var lower: Double, upper: Double
        /// Samples in the bin.
        public var count: Int
        /// Their mean top-1 probability (0 for an empty bin).
        public var confidence: Double
        /// The share of them whose top-1 class is the label (0 for an empty bin).
        public var accuracy: Double
    }

    /// Mean −log p(label) in nats.
    public var nll: Double
    /// Σ over bins of (count / N) · |accuracy − confidence|.
    public var ece: Double
    /// The bins, lowest confidence first.
    public var bins: [Bin]

    /// Sums for ``Calibration``, fed one softmax row at a time.
    public struct Accumulator: Sendable {
        var counts: [Int]
        var confidence: [Double]
        var correct: [Int]
        var nll = 0.0
        var n = 0

        /// An accumulator with `bins` equal-width bins over [0, 1] (15 by default, as in Guo et al. 2017).
        public init(bins: Int = 15) {
            counts = [Int](repeating: 0, count: bins)
            confidence = [Double](repeating: 0, count: bins)
            correct = [Int](repeating: 0, count: bins)
        }

        /// Adds one sample: its logits and label. The top-1 class is the one no other logit exceeds
        /// (ties count as correct when the label is among them, as `evaluate`'s top-1 does).
        public mutating func add(logits row: ArraySlice<Float>, label: Int) {
            guard label >= 0, label < row.count else { return }
            var m = -Double.infinity
            for v in row { m = max(m, Double(v)) }
            var z = 0.0
            for v in row { z += Foundation.exp(Double(v) - m) }
            let labelLogit = Double(row[row.startIndex + label])
            nll += m + Foundation.log(z) - labelLogit
            let top = 1 / z  // exp(max - max) / z
            let hit = labelLogit >= m
            let b = min(counts.count - 1, Int(top * Double(counts.count)))
            counts[b] += 1
            confidence[b] += top
            if hit { correct[b] += 1 }
            n += 1
        }

        /// The measurements so far.
        public func result() -> Calibration {
            let total = Double(max(n, 1))
            var ece = 0.0
            var bins: [Bin] = []
            for b in 0..<counts.count {
                let c = counts[b]
                let conf = c > 0 ? confidence[b] / Double(c) : 0
                let acc = c > 0 ? Double(correct[b]) / Double(c) : 0
                ece += Double(c) / total * abs(acc - conf)
                bins.append(Bin(lower: Double(b) / Double(counts.count), upper: Double(b + 1) / Double(counts.count),
                                count: c, confidence: conf, accuracy: acc))
            }
            return Calibration(nll: nll / total, ece: ece, bins: bins)
        }
    }
}
