import Foundation
import DataPipeline
import Models
import Testing

/// The C ABI's loss is plain Swift (``SparseKDReference``), so that the library the Python package loads
/// needs no libtorch; these tests hold it to the trainer's libtorch loss (`Models.SparseKDLoss`).
@Suite struct SparseKDReferenceTests {
    /// Rows of random logits and top-K targets (descending, summing to at most 1), from a fixed seed.
    static func case_(rows n: Int, classes c: Int, k: Int, seed: UInt64) -> (logits: [Float], indices: [Int64], values: [Float]) {
        var state = seed
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        let logits = (0..<(n * c)).map { _ in Float(next() * 8 - 4) }
        var indices: [Int64] = [], values: [Float] = []
        for _ in 0..<n {
            var classes = Array(0..<c)
            for i in 0..<k { classes.swapAt(i, i + Int(next() * Double(c - i))) }
            var mass = 0.9 + 0.1 * next()
            for i in 0..<k {
                let v = i == k - 1 && k == c ? mass : mass * (0.4 + 0.5 * next())
                indices.append(Int64(classes[i]))
                values.append(Float(v))
                mass -= v
            }
        }
        return (logits, indices, values)
    }

    static func reference(_ t: (logits: [Float], indices: [Int64], values: [Float]), n: Int, c: Int, k: Int,
                          temperature: Double) -> (Double, [Float]) {
        var grad = [Float](repeating: 0, count: n * c)
        let loss = t.logits.withUnsafeBufferPointer { l in
            t.indices.withUnsafeBufferPointer { i in
                t.values.withUnsafeBufferPointer { v in
                    grad.withUnsafeMutableBufferPointer { g in
                        SparseKDReference.evaluate(logits: l, rows: n, classes: c, indices: i, values: v, k: k,
                                                   temperature: temperature, gradient: g)
                    }
                }
            }
        }
        return (loss, grad)
    }

    @Test(arguments: [(1.0, 3), (1.0, 10), (2.0, 3), (4.0, 10), (0.5, 1)])
    func theSwiftLossAndGradientEqualTheLibtorchOnes(temperature: Double, k: Int) throws {
        let n = 7, c = 10
        let t = Self.case_(rows: n, classes: c, k: k, seed: UInt64(k) &* 977 &+ UInt64(temperature * 10))
        let (loss, grad) = Self.reference(t, n: n, c: c, k: k, temperature: temperature)
        let (torchLoss, torchGrad) = try SparseKDLoss.evaluate(
            logits: t.logits, n: n, classes: c, indices: t.indices.map { Int32($0) }, values: t.values, k: k,
            config: LossConfig(temperature: temperature))
        #expect(abs(loss - torchLoss) <= 1e-5 * max(1, abs(torchLoss)), "loss \(loss) against libtorch's \(torchLoss)")
        let worst = zip(grad, torchGrad).map { abs($0 - $1) }.max()!
        #expect(worst <= 1e-6, "largest gradient difference \(worst)")
        #expect(grad.contains { $0 != 0 })
    }

    @Test func aTargetThatMatchesTheStudentHasZeroGradient() {
        // Logits log(p) with p the dense target: softmax(logits) = target, so every gradient entry is 0.
        let c = 4, k = 2
        let p: [Double] = [0.5, 0.3, 0.1, 0.1]
        let logits = p.map { Float(log($0)) }
        let t = (logits: logits, indices: [Int64(0), 1], values: [Float(0.5), 0.3])
        let (_, grad) = Self.reference(t, n: 1, c: c, k: k, temperature: 1)
        #expect(grad.allSatisfy { abs($0) < 1e-6 }, "\(grad)")
    }
}
