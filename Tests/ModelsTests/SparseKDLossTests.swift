import Foundation
import Models
import Testing

@Suite("sparse KD loss")
struct SparseKDLossTests {
    /// Dense reference: target = values at indices, (1 - Σ values)/(C - k) elsewhere; optional temperature
    /// (target p^(1/T) renormalised, loss × T²) and label cross-entropy mix; computed in Double.
    func dense(logits: [Float], n: Int, C: Int, indices: [Int32], values: [Float], k: Int, labels: [Int64]?,
               config: LossConfig) -> (Double, [Double]) {
        var total = 0.0
        var grad = [Double](repeating: 0, count: n * C)
        let T = config.temperature
        for r in 0..<n {
            let row = (0..<C).map { Double(logits[r * C + $0]) }
            func logSoftmax(_ z: [Double]) -> [Double] {
                let m = z.max()!
                let lse = m + log(z.map { exp($0 - m) }.reduce(0, +))
                return z.map { $0 - lse }
            }
            var target = [Double](repeating: 0, count: C)
            let sum = (0..<k).map { Double(values[r * k + $0]) }.reduce(0, +)
            let fill = max(0, (1 - sum) / Double(C - k))
            for c in 0..<C { target[c] = fill }
            for j in 0..<k { target[Int(indices[r * k + j])] = Double(values[r * k + j]) }
            if T != 1 {
                let t = target.map { pow($0, 1 / T) }
                let s = t.reduce(0, +)
                target = t.map { $0 / s }
            }
            let lpT = logSoftmax(row.map { $0 / T })
            let kd = -zip(target, lpT).map { $0 * $1 }.reduce(0, +) * T * T
            // d kd / d z = T * (softmax(z/T) - target)
            let pT = lpT.map(exp)
            var g = (0..<C).map { T * (pT[$0] - target[$0]) * config.alpha }
            var ce = 0.0
            if config.alpha < 1, let labels {
                let lp = logSoftmax(row)
                let eps = config.labelSmoothing
                var q = [Double](repeating: eps / Double(C), count: C)
                q[Int(labels[r])] += 1 - eps
                ce = -zip(q, lp).map { $0 * $1 }.reduce(0, +)
                for c in 0..<C { g[c] += (1 - config.alpha) * (exp(lp[c]) - q[c]) }
            }
            total += config.alpha * kd + (1 - config.alpha) * ce
            for c in 0..<C { grad[r * C + c] = g[c] / Double(n) }
        }
        return (total / Double(n), grad)
    }

    func randomCase(n: Int, C: Int, k: Int, seed: UInt64) -> ([Float], [Int32], [Float], [Int64]) {
        var state = seed
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        let logits = (0..<(n * C)).map { _ in Float(next() * 8 - 4) }
        var indices: [Int32] = []
        var values: [Float] = []
        for _ in 0..<n {
            var classes = Array(0..<C)
            for i in 0..<k { classes.swapAt(i, i + Int(next() * Double(C - i))) }
            let raw = (0..<k).map { _ in next() + 0.01 }
            let scale = 0.9 / raw.reduce(0, +)
            indices += classes.prefix(k).map { Int32($0) }
            values += raw.map { Float($0 * scale) }
        }
        let labels = (0..<n).map { _ in Int64(next() * Double(C)) }
        return (logits, indices, values, labels)
    }

    @Test(arguments: [LossConfig(), LossConfig(temperature: 2), LossConfig(alpha: 0.7, labelSmoothing: 0.1),
                      LossConfig(temperature: 3, alpha: 0.5, labelSmoothing: 0), LossConfig.labelsOnly()])
    func matchesDenseReference(config: LossConfig) throws {
        let n = 6, C = 37, k = 5
        let (logits, indices, values, labels) = randomCase(n: n, C: C, k: k, seed: 42)
        let got = try SparseKDLoss.evaluate(logits: logits, n: n, classes: C, indices: indices, values: values, k: k,
                                            labels: labels, config: config)
        let want = dense(logits: logits, n: n, C: C, indices: indices, values: values, k: k, labels: labels, config: config)
        #expect(abs(got.loss - want.0) <= 1e-5 * max(1, abs(want.0)), "loss \(got.loss) vs \(want.0)")
        let maxGrad = zip(got.gradient, want.1).map { abs(Double($0) - $1) }.max()!
        #expect(maxGrad <= 1e-6, "max gradient difference \(maxGrad)")
    }

    @Test func kEqualToClassesNeedsNoFill() throws {
        let (logits, _, _, _) = randomCase(n: 2, C: 3, k: 3, seed: 7)
        let indices: [Int32] = [0, 1, 2, 2, 1, 0]
        let values: [Float] = [0.5, 0.3, 0.2, 0.6, 0.3, 0.1]
        let got = try SparseKDLoss.evaluate(logits: logits, n: 2, classes: 3, indices: indices, values: values, k: 3)
        let want = dense(logits: logits, n: 2, C: 3, indices: indices, values: values, k: 3, labels: nil, config: LossConfig())
        #expect(abs(got.loss - want.0) < 1e-5)
    }

    @Test func badTargetsAreRefused() throws {
        #expect { _ = try SparseKDLoss.evaluate(logits: [0, 0], n: 1, classes: 2, indices: [5], values: [1], k: 1) } throws: {
            "\($0)".contains("outside 0..1")
        }
        #expect { _ = try SparseKDLoss.evaluate(logits: [0, 0], n: 1, classes: 2, indices: [0], values: [1], k: 1,
                                                config: LossConfig(alpha: 0.5)) } throws: { "\($0)".contains("labels are required") }
    }
}
