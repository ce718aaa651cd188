import DetCore

/// The counter-based random stream behind ``AugParams/decode(seed:policy:width:height:)``: draw i of
/// seed s is `mix(s ⊕ mix(i))` (SplitMix64's output function). No global state; the draws depend only on
/// the seed and their position, so any thread in any order reproduces them.
public struct AugRNG: Sendable {
    /// The seed.
    public let seed: UInt64
    /// Draws taken so far.
    public private(set) var counter: UInt64 = 0

    /// A stream for `seed`.
    public init(seed: UInt64) { self.seed = seed }

    @inline(__always) static func mix(_ x: UInt64) -> UInt64 { SplitMix64.mix(x) }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        defer { counter &+= 1 }
        return Self.mix(seed ^ Self.mix(counter &+ 0xA076_1D64_78BD_642F))
    }

    /// Uniform in [0, 1), 53 bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in [a, b).
    public mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * uniform() }

    /// Uniform integer in a...b (inclusive), like Python's `random.randint` and torch.randint(a, b + 1).
    public mutating func int(_ a: Int, _ b: Int) -> Int {
        precondition(b >= a)
        return a + Int(next().multipliedFullWidth(by: UInt64(b - a + 1)).high)
    }

    /// True with probability `p`.
    public mutating func bernoulli(_ p: Double) -> Bool { uniform() < p }

    /// Standard normal (Marsaglia's polar method: only log and sqrt).
    public mutating func normal() -> Double {
        while true {
            let u = uniform(-1, 1), v = uniform(-1, 1)
            let s = u * u + v * v
            if s > 0 && s < 1 { return u * (-2 * DetMath.log(s) / s).squareRoot() }
        }
    }

    /// Fills `out` with the next `out.count` values of ``normal()`` as Float, the same values and the
    /// same stream position as calling it that many times: four accepted draws are found one by one,
    /// then their logarithms and square roots computed together (``DetMath/log(_:)-(SIMD4<Double>)``
    /// has the scalar log's bits on every lane); the last one to three are ``normal()`` itself.
    public mutating func fillNormals(_ out: UnsafeMutableBufferPointer<Float>) {
        var i = 0
        while i + 4 <= out.count {
            let a = polarDraw(), b = polarDraw(), c = polarDraw(), d = polarDraw()
            let u = SIMD4(a.u, b.u, c.u, d.u), s = SIMD4(a.s, b.s, c.s, d.s)
            let r = u * (-2 * DetMath.log(s) / s).squareRoot()
            out[i] = Float(r[0]); out[i + 1] = Float(r[1]); out[i + 2] = Float(r[2]); out[i + 3] = Float(r[3])
            i += 4
        }
        while i < out.count {
            out[i] = Float(normal())
            i += 1
        }
    }

    /// The polar method's first accepted pair: u and s = u² + v² in (0, 1), as ``normal()`` draws them.
    @inline(__always) mutating func polarDraw() -> (u: Double, s: Double) {
        while true {
            let u = uniform(-1, 1), v = uniform(-1, 1)
            let s = u * u + v * v
            if s > 0 && s < 1 { return (u, s) }
        }
    }

    /// Gamma(shape, 1) (Marsaglia–Tsang; shape < 1 by boosting).
    public mutating func gamma(_ shape: Double) -> Double {
        if shape < 1 {
            let g = gamma(shape + 1)
            return g * DetMath.exp(DetMath.log(max(uniform(), 0x1p-60)) / shape)
        }
        let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            let x = normal()
            let v0 = 1 + c * x
            if v0 <= 0 { continue }
            let v = v0 * v0 * v0
            let u = max(uniform(), 0x1p-60)
            if DetMath.log(u) < 0.5 * x * x + d - d * v + d * DetMath.log(v) { return d * v }
        }
    }

    /// Beta(a, b).
    public mutating func beta(_ a: Double, _ b: Double) -> Double {
        let x = gamma(a), y = gamma(b)
        return x / (x + y)
    }
}
