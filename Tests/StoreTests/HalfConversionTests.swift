import Testing
@testable import Store

@Suite struct HalfConversionTests {
    /// Every exponent and top-10 mantissa combination of non-negative floats below 2¹⁶, with the
    /// 13 dropped bits at the rounding edges (0, just below, at and just above the tie, all ones)
    /// and a pseudo-random value.
    @Test func matchesFloat16RoundingOnEveryEdge() {
        var mismatches = 0
        var rng: UInt64 = 0x1234
        for top in UInt32(0)..<(0x4780_0000 >> 13) {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            for low: UInt32 in [0, 0xFFF, 0x1000, 0x1001, 0x1FFF, UInt32(truncatingIfNeeded: rng >> 51)] {
                let x = Float(bitPattern: (top << 13) | low)
                if HalfConversion.bits(x) != Float16(x).bitPattern { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
        for x: Float in [0, 1, 0.5, 1e-8, 5.9604645e-8, 2.9802322e-8, 2.9802326e-8, 6.1035156e-5, 65504, 65519.99, 65520, 1e30] {
            #expect(HalfConversion.bits(x) == Float16(x).bitPattern, "\(x)")
        }
    }
}
