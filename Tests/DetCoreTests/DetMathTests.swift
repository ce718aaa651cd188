import DetCore
import Foundation
import Testing

@Suite struct DetMathTests {
    @Test func logAndExpAgreeWithLibm() {
        var worst = 0.0
        var x = 1e-6
        while x < 1e6 {
            worst = max(worst, abs(DetMath.log(x) - Foundation.log(x)) / max(1, abs(Foundation.log(x))))
            x *= 1.0137
        }
        #expect(worst < 1e-15)
        var y = -30.0
        while y < 30 {
            #expect(abs(DetMath.exp(y) - Foundation.exp(y)) / Foundation.exp(y) < 1e-14)
            y += 0.0731
        }
    }

    /// Four lanes at once give each lane the scalar log's bits, over magnitudes from subnormal to huge,
    /// both sides of the √2 split, and lanes that force the scalar fallback.
    @Test func laneLogHasTheScalarBits() {
        var rng = SplitMix(seed: 3)
        var values: [Double] = [1, 2, 0.5, 1.414_213_562_373_095, 1.414_213_562_373_095.nextUp, 1e-310, 5e-324, .greatestFiniteMagnitude]
        for _ in 0..<4000 {
            let r = Double(rng.next() >> 11) * 0x1p-53
            values.append(r == 0 ? 0.25 : r)
            values.append(Double(sign: .plus, exponent: Int(rng.next() % 200) - 100, significand: 1 + r))
        }
        var mismatches = 0
        for i in Swift.stride(from: 0, to: values.count - 3, by: 4) {
            let v = SIMD4(values[i], values[i + 1], values[i + 2], values[i + 3])
            let lanes = DetMath.log(v)
            for j in 0..<4 where lanes[j].bitPattern != DetMath.log(v[j]).bitPattern { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }
}
