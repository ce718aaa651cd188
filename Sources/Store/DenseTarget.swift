/// The dense target a sparse record stands for, as the trainer's loss reads it: the stored values at
/// their classes and the uniform remainder (1 − Σ values) / (C − K), clamped at 0, at every other class.
public enum DenseTarget {
    /// Writes the `numClasses` dense probabilities of one record (`indices`/`values` of K entries,
    /// classes below `numClasses`) into `out`.
    public static func fill(indices: UnsafeBufferPointer<Int64>, values: UnsafeBufferPointer<Float>, numClasses: Int,
                            into out: UnsafeMutableBufferPointer<Float>) {
        precondition(indices.count == values.count && out.count == numClasses)
        let k = indices.count
        var sum = Float(0)
        for v in values { sum += v }
        let rest = k < numClasses ? max(0, (1 - sum) / Float(numClasses - k)) : 0
        for c in 0..<numClasses { out[c] = rest }
        for j in 0..<k { out[Int(indices[j])] = values[j] }
    }

    /// The uniform remainder of a record whose K values sum to `sum`.
    public static func remainder(sum: Float, k: Int, numClasses: Int) -> Float {
        k < numClasses ? max(0, (1 - sum) / Float(numClasses - k)) : 0
    }
}
