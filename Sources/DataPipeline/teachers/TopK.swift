import Foundation

/// Softmax and top-K selection of teacher logits, in a fixed operation order (the same bits on every run
/// of a machine and thread count).
public enum TopK {
    /// Writes the `indices.count` most probable classes of `logits` into `indices` / `probabilities`, in
    /// descending probability (ties: lower class first). Probabilities are the softmax of all logits
    /// (max-subtracted, float exponentials, sum in Double).
    public static func select(logits: UnsafeBufferPointer<Float>, indices: inout [UInt32], probabilities: inout [Float]) {
        indices.withUnsafeMutableBufferPointer { i in
            probabilities.withUnsafeMutableBufferPointer { p in select(logits: logits, indices: i, probabilities: p) }
        }
    }

    /// ``select(logits:indices:probabilities:)`` into caller-owned buffers of K entries each (a row of a
    /// ``TopKBatch``).
    public static func select(logits: UnsafeBufferPointer<Float>, indices: UnsafeMutableBufferPointer<UInt32>,
                              probabilities: UnsafeMutableBufferPointer<Float>) {
        precondition(indices.count == probabilities.count)
        let k = indices.count
        let c = logits.count
        var m = -Float.infinity
        for v in logits where v > m { m = v }
        var sum = 0.0
        for v in logits { sum += Double(expf(v - m)) }
        let inv = Float(1.0 / sum)
        // Partial selection: keep the k best (value desc, index asc) in a sorted buffer (stack scratch:
        // this runs once per record).
        withUnsafeTemporaryAllocation(of: Float.self, capacity: k) { bestV in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: k) { bestI in
                var filled = 0
                for i in 0..<c {
                    let v = logits[i]
                    if filled == k {
                        let lv = bestV[k - 1], li = bestI[k - 1]
                        if !(v > lv || (v == lv && i < li)) { continue }
                    } else {
                        filled += 1
                    }
                    var j = filled - 1
                    while j > 0 && (v > bestV[j - 1] || (v == bestV[j - 1] && i < bestI[j - 1])) {
                        bestV[j] = bestV[j - 1]
                        bestI[j] = bestI[j - 1]
                        j -= 1
                    }
                    bestV[j] = v
                    bestI[j] = i
                }
                for j in 0..<k {
                    indices[j] = UInt32(bestI[j])
                    probabilities[j] = expf(bestV[j] - m) * inv
                }
            }
        }
    }
}

extension TopK {
    /// The softmax of all of `logits` into `out` (same count), in the operation order of
    /// ``select(logits:indices:probabilities:)`` (max-subtracted float exponentials, sum in Double), so
    /// a class's probability has the same bits in both.
    public static func softmax(logits: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count == logits.count)
        var m = -Float.infinity
        for v in logits where v > m { m = v }
        var sum = 0.0
        for v in logits { sum += Double(expf(v - m)) }
        let inv = Float(1.0 / sum)
        for i in 0..<logits.count { out[i] = expf(logits[i] - m) * inv }
    }

    /// The `indices.count` largest of `probabilities` (a caller's teacher output, already a
    /// distribution) into `indices` / `values`, in descending value (ties: lower class first).
    public static func select(probabilities: UnsafeBufferPointer<Float>, indices: UnsafeMutableBufferPointer<UInt32>,
                              values: UnsafeMutableBufferPointer<Float>) {
        precondition(indices.count == values.count && indices.count <= probabilities.count)
        let k = indices.count
        var filled = 0
        for i in 0..<probabilities.count {
            let v = probabilities[i]
            if filled == k {
                if !(v > values[k - 1]) { continue }  // equal values keep the lower class already held
            } else {
                filled += 1
            }
            var j = filled - 1
            while j > 0 && v > values[j - 1] {
                values[j] = values[j - 1]
                indices[j] = indices[j - 1]
                j -= 1
            }
            values[j] = v
            indices[j] = UInt32(i)
        }
    }
}
