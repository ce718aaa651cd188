import Foundation
import Store

/// The trainer's sparse KD loss restated in plain Swift (double precision, no model library), for
/// callers that check their own loss against ours: the C ABI's `tinydistill_sparse_kd_loss`, which
/// the Python package's `tinydistill.torch.sparse_kd_loss` is tested equal to. It is the KD term of
/// `Models.SparseKDLoss` (alpha 1, no labels), tested equal to that libtorch one within float rounding.
///
/// Each row's target is the dense distribution its top-K stands for: the K stored probabilities, and
/// the rest `(1 − Σ values) / (C − K)` (at least 0) on every other class. At temperature 1 the loss is
/// the mean over rows of −Σ_c target_c · log softmax(logits)_c; otherwise the target is softened as
/// p^(1/T), renormalised, against log softmax(logits / T), and the loss scaled by T².
public enum SparseKDReference {
    /// The loss and its gradient with respect to `logits` (rows × classes, row-major), for targets
    /// `indices`/`values` (rows × k). Arguments must already be checked: `indices` in 0..<classes,
    /// 1 ≤ k ≤ classes, temperature > 0.
    public static func evaluate(logits: UnsafeBufferPointer<Float>, rows n: Int, classes c: Int,
                                indices: UnsafeBufferPointer<Int64>, values: UnsafeBufferPointer<Float>, k: Int,
                                temperature t: Double, gradient: UnsafeMutableBufferPointer<Float>?) -> Double {
        precondition(n >= 1 && c >= 1 && k >= 1 && k <= c && t > 0)
        precondition(logits.count >= n * c && indices.count >= n * k && values.count >= n * k)
        var total = 0.0
        var logp = [Double](repeating: 0, count: c)
        var target = [Double](repeating: 0, count: c)
        for r in 0..<n {
            logSoftmax(logits, row: r, classes: c, temperature: t, into: &logp)
            let idx = indices[(r * k)..<((r + 1) * k)], val = values[(r * k)..<((r + 1) * k)]
            let fill = Double(DenseTarget.remainder(sum: val.reduce(0, +), k: k, numClasses: c))
            // The dense target the row's K entries stand for (at T ≠ 1 its values are clamped at 0 first).
            for i in 0..<c { target[i] = fill }
            var rowLoss = 0.0
            if t == 1 {
                // The gathered entries count once each (as a gather does, duplicates included).
                var picked = 0.0, pickedLogp = 0.0
                for (i, v) in zip(idx, val) {
                    picked += Double(v) * logp[Int(i)]
                    pickedLogp += logp[Int(i)]
                }
                let all = logp.reduce(0, +)
                rowLoss = -(picked + fill * (all - pickedLogp))
                for (i, v) in zip(idx, val) { target[Int(i)] += Double(v) - fill }
            } else {
                for (i, v) in zip(idx, val) { target[Int(i)] = max(0, Double(v)) }
                // softmax(log(target) / T): p^(1/T), renormalised.
                var sum = 0.0
                for i in 0..<c {
                    target[i] = target[i] > 0 ? Foundation.exp(Foundation.log(target[i]) / t) : 0
                    sum += target[i]
                }
                for i in 0..<c { target[i] /= sum }
                for i in 0..<c { rowLoss -= target[i] * logp[i] }
                rowLoss *= t * t
            }
            total += rowLoss
            if let gradient {
                // d/dlogits of −Σ target·log softmax(logits/T)·T² is T·(Σtarget·softmax − target).
                let mass = target.reduce(0, +)
                let scale = (t == 1 ? 1 : t) / Double(n)
                for i in 0..<c {
                    gradient[r * c + i] = Float(scale * (mass * Foundation.exp(logp[i]) - target[i]))
                }
            }
        }
        return total / Double(n)
    }

    /// log softmax(logits[row] / temperature) into `out`.
    static func logSoftmax(_ logits: UnsafeBufferPointer<Float>, row r: Int, classes c: Int, temperature t: Double,
                           into out: inout [Double]) {
        var top = -Double.infinity
        for i in 0..<c {
            out[i] = Double(logits[r * c + i]) / t
            top = max(top, out[i])
        }
        var sum = 0.0
        for i in 0..<c { sum += Foundation.exp(out[i] - top) }
        let logSum = top + Foundation.log(sum)
        for i in 0..<c { out[i] -= logSum }
    }
}
