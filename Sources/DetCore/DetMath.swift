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
