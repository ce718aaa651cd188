/// Logarithm and exponential from IEEE basic operations only (+, −, ×, ÷, sqrt are correctly
/// rounded everywhere), so augmentation parameters decode to the same bits on every machine and
/// libm. Accurate to a few ulp over the ranges augmentation uses.
public enum DetMath {
    static let ln2Hi = 0.693_147_180_369_123_816_49
    static let ln2Lo = 1.908_214_929_270_587_700_02e-10

    /// Natural logarithm of a positive finite `x`.
    public static func log(_ x: Double) -> Double {
        precondition(x > 0 && x.isFinite, "DetMath.log needs a positive finite argument")
        var m = x.significand  // [1, 2)
        var e = Double(x.exponent)
        if m > 1.414_213_562_373_095 {
            m *= 0.5
            e += 1
        }
        // log(m) = 2·atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.172.
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        var term = s
        var sum = 0.0
        var k = 1.0
        for _ in 0..<12 {
            sum += term / k
            term *= s2
            k += 2
        }
        return 2 * sum + e * ln2Lo + e * ln2Hi
    }

    /// ``log(_:)-(Double)`` of each lane: on every lane exactly the scalar function's operations, in its
    /// order, so each result has the same bits; four lanes share the divisions (SIMD divides two doubles
    /// in about the time of one). Every lane must be positive and finite.
    public static func log(_ x: SIMD4<Double>) -> SIMD4<Double> {
        let bits = unsafeBitCast(x, to: SIMD4<UInt64>.self)
        let biased = (bits &>> 52) & 0x7FF
        // A zero, negative, subnormal, infinite or NaN lane: the scalar path (and its precondition).
        if any(biased .== 0) || any(biased .== 0x7FF) || any(bits .>= 0x8000_0000_0000_0000) {
            return SIMD4(log(x[0]), log(x[1]), log(x[2]), log(x[3]))
        }
        // significand in [1, 2) and exponent, as `Double.significand` and `Double.exponent` give them.
        var m = unsafeBitCast((bits & 0x000F_FFFF_FFFF_FFFF) | (0x3FF &<< 52), to: SIMD4<Double>.self)
        var e = SIMD4<Double>(SIMD4<Int64>(truncatingIfNeeded: biased) &- 1023)
        let big = m .> 1.414_213_562_373_095
        m.replace(with: m * 0.5, where: big)
        e.replace(with: e + 1, where: big)
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        var term = s
        var sum = SIMD4<Double>(repeating: 0)
        var k = 1.0
        for _ in 0..<12 {
            sum += term / k
            term *= s2
            k += 2
        }
        return 2 * sum + e * ln2Lo + e * ln2Hi
    }

    /// e raised to `x` (|x| < 700).
    public static func exp(_ x: Double) -> Double {
        precondition(abs(x) < 700, "DetMath.exp argument out of range")
        let k = (x / (ln2Hi + ln2Lo)).rounded(.toNearestOrEven)
        let r = (x - k * ln2Hi) - k * ln2Lo  // |r| ≤ 0.35
        var term = 1.0
        var sum = 1.0
        for i in 1...16 {
            term *= r / Double(i)
            sum += term
        }
        return sum * Double(sign: .plus, exponent: Int(k), significand: 1)
    }
}
