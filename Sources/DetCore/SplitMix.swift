/// A small counter-based random stream (SplitMix64): deterministic, no global state.
public struct SplitMix: Sendable {
    private var state: UInt64

    /// A stream starting from `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        defer { state = state &+ 0x9E37_79B9_7F4A_7C15 }
        return SplitMix64.mix(state)
    }

    /// A uniform double in [0, 1).
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A uniform integer in 0..<n (n > 0), without modulo bias worth noting for n ≪ 2⁶⁴.
    public mutating func below(_ n: Int) -> Int { Int(next().multipliedFullWidth(by: UInt64(n)).high) }

    /// A standard normal deviate (Marsaglia's polar method: IEEE basic operations and ``DetMath/log(_:)``
    /// only, so the same bits on every machine and libm).
    public mutating func normal() -> Double {
        while true {
            let u = 2 * uniform() - 1, v = 2 * uniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 { return u * (-2 * DetMath.log(s) / s).squareRoot() }
        }
    }
}

