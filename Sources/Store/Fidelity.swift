import Foundation

/// Fidelity of lossy value codecs: quantisation and the KL divergence of dense targets.
///
/// The dense target of a record (DESIGN.md §5) puts the stored probability on each of its K classes and
/// `max(0, 1 − Σ stored) / (C − K)` on every other class.
public enum Fidelity {
    /// Quantises `p` to q8 levels into `codes` (same order), rounding to the nearest level and then
    /// lowering the levels that rounded up most until the decoded sum does not exceed the fp16 sum,
    /// so the tail mass (1 − Σ) of the dense target never collapses to zero where fp16's does not.
    /// Also writes the fp16 values of `p` into `half` and the decoded q8 values into `stored`.
    static func quantizeQ8(
        _ p: UnsafeBufferPointer<Float>, codes: UnsafeMutableBufferPointer<UInt16>,
        half: UnsafeMutableBufferPointer<Float>, stored: UnsafeMutableBufferPointer<Float>
    ) {
        let k = p.count
        var sumQ: Float = 0
        var sumH: Float = 0
        ValueCodec.q8Table.withUnsafeBufferPointer { table in
            ValueCodec.halfTable.withUnsafeBufferPointer { halves in
                for j in 0..<k {
                    let x = min(p[j], 1)
                    let c = ValueCodec.q8.code(x)
                    codes[j] = c
                    let q = table[Int(c)]
                    stored[j] = q
                    sumQ += q
                    let h = halves[Int(HalfConversion.bits(x))]
                    half[j] = h
                    sumH += h
                }
                var guardSteps = 0
                while sumQ > sumH, guardSteps < 4 * k {
                    var best = -1
                    var bestExcess = -Float.infinity
                    for j in 0..<k where codes[j] > 0 {
                        let excess = stored[j] - half[j]
                        if excess > bestExcess { bestExcess = excess; best = j }
                    }
                    if best < 0 { break }
                    let lowered = table[Int(codes[best] - 1)]
                    sumQ -= stored[best] - lowered
                    codes[best] -= 1
                    stored[best] = lowered
                    guardSteps += 1
                }
            }
        }
    }

    /// Array form of ``quantizeQ8(_:codes:half:stored:)`` returning the codes (tests, tools).
    static func quantizeQ8(_ p: [Float]) -> [UInt16] {
        let k = p.count
        var codes = [UInt16](repeating: 0, count: k)
        var half = [Float](repeating: 0, count: k)
        var stored = [Float](repeating: 0, count: k)
        p.withUnsafeBufferPointer { pp in
            codes.withUnsafeMutableBufferPointer { c in
                half.withUnsafeMutableBufferPointer { h in
                    stored.withUnsafeMutableBufferPointer { q in quantizeQ8(pp, codes: c, half: h, stored: q) }
                }
            }
        }
        return codes
    }

    /// KL(P ‖ Q) in nats between the dense targets of the same K classes with probabilities `p`
    /// (the reference, e.g. fp16 values) and `q` (the stored ones), over `numClasses` classes.
    public static func denseKL(p: UnsafeBufferPointer<Float>, q: UnsafeBufferPointer<Float>, numClasses: Int) -> Double {
        let k = p.count
        var kl: Double = 0
        var sp: Double = 0
        var sq: Double = 0
        for j in 0..<k {
            let a = Double(p[j])
            let b = Double(q[j])
            sp += a
            sq += b
            if a > 0 { kl += Double(Float(a) * logf(Float(a) / max(Float(b), 1e-30))) }
        }
        let rest = numClasses - k
        if rest > 0 {
            let tp = max(0, 1 - sp)
            let tq = max(1e-12, 1 - sq)
            if tp > 0 { kl += tp * log(tp / tq) }  // (C−K)·r_P·ln(r_P/r_Q) with r = tail/(C−K)
        }
        return max(kl, 0)
    }
}
