import DetCore
import Foundation
import Store

/// A teacher without a model: teacher-like top-K distributions from a documented generator.
///
/// For record (epoch, sample) with label y, from a SplitMix stream seeded by the record's seed:
/// 1. The predicted class is y with probability `accuracy` (0.8), otherwise a class from y's
///    cluster (the 16 classes sharing `y / 16`) or, half of the time, any class.
/// 2. Its probability is `t = sigmoid(z)`, `z ~ N(−0.2, 1.6²)`.
/// 3. The remaining mass `1 − t` spreads over ranks r = 2…C with weights `r^−a · e^(0.5·n_r)`,
///    `a` drawn from {1.25, 1.30, …, 2.05} and `n_r ~ N(0, 1)` for r ≤ M = max(K, 64) + 1; beyond M
///    the weights are `r^−a` (exact tail sums are tabulated per `a`, so a record costs O(M), not O(C)).
/// 4. Ranks 2…M take distinct classes: half from the predicted class's cluster, half uniform.
/// 5. The K largest probabilities and their classes form the record.
/// At C = 1000 this gives a mean top-1 probability near 0.5 and a mean top-10 mass near 0.85
/// (measured by `SyntheticTeacherTests`), like an ImageNet teacher's softmax.
public struct SyntheticTeacher: Teacher, Sendable {
    /// Number of classes.
    public let numClasses: Int
    /// Probability that the predicted class is the label.
    public let accuracy: Double = 0.8
    static let exponents: [Double] = (0...16).map { 1.25 + 0.05 * Double($0) }
    private let m: Int
    private let tailSums: [Double]  // per exponent: Σ_{r=M+1…C} r^−a
    private let rankWeights: [[Double]]  // per exponent: r^−a for r = 0…M (index r), computed once

    /// Identifies the generator and its parameters (the store's teacher weights hash).
    public var weightsHash: String { "synthetic-v2-c\(numClasses)" }

    /// A generator for `numClasses` classes and records of up to `maxK` entries.
    public init(numClasses: Int, maxK: Int) {
        self.numClasses = numClasses
        let m = min(numClasses, max(maxK, 64) + 1)
        self.m = m
        // r^−a as exp(−a·ln r) through DetMath: the same bits on every machine (index 0 is unused).
        rankWeights = Self.exponents.map { a in (0...m).map { $0 == 0 ? 0 : DetMath.exp(-a * DetMath.log(Double($0))) } }
        var tails = [Double](repeating: 0, count: Self.exponents.count)
        if m < numClasses {
            for r in (m + 1)...numClasses {
                let lr = DetMath.log(Double(r))
                for (i, a) in Self.exponents.enumerated() { tails[i] += DetMath.exp(-a * lr) }
            }
        }
        tailSums = tails
    }

    /// Writes the top-K of (epoch, sample) into `indices` and `probabilities` (K = their count),
    /// in descending probability.
    public func topK(
        seed: UInt64, label: Int, indices: inout [UInt32], probabilities: inout [Float]
    ) {
        let k = indices.count
        var rng = SplitMix(seed: seed ^ 0x5EED_7EAC_4E12)
        let cluster = 16
        var predicted = label
        if rng.uniform() >= accuracy {
            if rng.uniform() < 0.5 {
                let base = (label / cluster) * cluster
                predicted = base + rng.below(min(cluster, numClasses - base))
            } else {
                predicted = rng.below(numClasses)
            }
        }
        let z = -0.2 + 1.6 * rng.normal()
        let t = 1 / (1 + DetMath.exp(-z))
        let ai = rng.below(Self.exponents.count)
        let powers = rankWeights[ai]
        var weights = [Double](repeating: 0, count: m)
        var classes = [Int](repeating: 0, count: m)
        classes[0] = predicted
        var used = Set<Int>(minimumCapacity: m)
        used.insert(predicted)
        var total = tailSums[ai]
        if m > 1 {
            for r in 2...m {
                let w = powers[r] * DetMath.exp(0.5 * rng.normal())
                weights[r - 1] = w
                total += w
                var c: Int
                repeat {
                    if rng.uniform() < 0.5 {
                        let base = (predicted / cluster) * cluster
                        c = base + rng.below(min(cluster, numClasses - base))
                    } else {
                        c = rng.below(numClasses)
                    }
                } while used.contains(c)  // m ≤ C, so a free class always exists
                used.insert(c)
                classes[r - 1] = c
            }
        }
        var probs = [Double](repeating: 0, count: m)
        probs[0] = t
        for r in 1..<m { probs[r] = (1 - t) * weights[r] / total }
        let order = (0..<m).sorted { probs[$0] > probs[$1] || (probs[$0] == probs[$1] && classes[$0] < classes[$1]) }
        for j in 0..<k {
            indices[j] = UInt32(classes[order[j]])
            probabilities[j] = Float(probs[order[j]])
        }
    }

    // MARK: - Teacher

    public var inputChannels: Int? { nil }
    public var requiredInputSize: Int? { nil }
    public var input: TeacherInput { .pixelHash }
    public var metadata: StoreMetadata.Teacher { .init(architecture: "synthetic", weightsHash: weightsHash) }

    /// Each row's full distribution: the generator's M explicit classes, and the rest of the mass (the
    /// tail beyond rank M) spread evenly over the other C − M classes.
    public func probabilities(_ batch: RenderedBatch, into dense: inout [Float]) throws(PipelineError) {
        let c = numClasses
        if dense.count < batch.count * c { dense = [Float](repeating: 0, count: batch.count * c) }
        var indices = [UInt32](repeating: 0, count: m)
        var probabilities = [Float](repeating: 0, count: m)
        for r in 0..<batch.count where batch.errors[r] == nil {
            topK(seed: batch.hashes[r], label: batch.labels[r], indices: &indices, probabilities: &probabilities)
            var sum: Float = 0
            for v in probabilities { sum += v }
            let rest = DenseTarget.remainder(sum: sum, k: m, numClasses: c)
            for j in 0..<c { dense[r * c + j] = rest }
            for q in 0..<m { dense[r * c + Int(indices[q])] = probabilities[q] }
        }
    }

    /// Each row's top-K, seeded by its pixel hash (the seed itself for a dataset without images).
    public func topK(_ batch: RenderedBatch, into targets: inout TopKBatch) throws(PipelineError) {
        let k = targets.k
        var indices = [UInt32](repeating: 0, count: k)
        var probabilities = [Float](repeating: 0, count: k)
        for r in 0..<batch.count where batch.errors[r] == nil {
            topK(seed: batch.hashes[r], label: batch.labels[r], indices: &indices, probabilities: &probabilities)
            for q in 0..<k {
                targets.indices[r * k + q] = indices[q]
                targets.probabilities[r * k + q] = probabilities[q]
            }
        }
    }
}
