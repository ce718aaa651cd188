import DetCore

/// Sampled sparse targets (`precompute --targets sample:N[:T]`): each record keeps the distinct classes of
/// N draws from its teacher distribution and how often each was drawn, instead of the top K classes.
///
/// The draw (``draw(probabilities:seed:into:)``) is a function of the teacher's probabilities and the
/// record's augmentation seed only, so `verify` replays it. With temperature T = 1 the classes are drawn
/// from p itself and the target is counts/N, an unbiased estimate of p ("Sparse Logit Sampling",
/// Anshumann et al., ACL 2025). With T ≠ 1 they are drawn from the proposal q ∝ p^(1/T) and the target
/// is the importance-weighted form count·p/q, normalised over the drawn classes (stored as values in
/// the store's codec). Every other class gets 0: a sampled target carries no even remainder.
public struct SampledTargets: Codable, Sendable, Equatable, CustomStringConvertible {
    /// Draws per record N (1…1024).
    public var draws: Int
    /// Proposal temperature T (0.05…20): 1 draws from the teacher's distribution itself.
    public var temperature: Double

    /// The kind's name in the metadata document.
    public static let kindName = "sample"

    /// Creates the settings.
    public init(draws: Int, temperature: Double = 1) {
        self.draws = draws
        self.temperature = temperature
    }

    enum CodingKeys: String, CodingKey { case kind, draws, temperature }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        guard kind == Self.kindName else {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown target kind \(kind)")
        }
        draws = try c.decode(Int.self, forKey: .draws)
        temperature = try c.decode(Double.self, forKey: .temperature)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.kindName, forKey: .kind)
        try c.encode(draws, forKey: .draws)
        try c.encode(temperature, forKey: .temperature)
    }

    /// `sample:N` or `sample:N:T`.
    public var description: String { temperature == 1 ? "sample:\(draws)" : "sample:\(draws):\(temperature)" }

    /// Whether the store keeps a value per entry (T ≠ 1: the importance weights); at T = 1 the counts say
    /// everything.
    public var storesValues: Bool { temperature != 1 }

    /// Entry slots per decoded record for C classes: min(N, C). Readers hand out this many entries per
    /// record, the drawn classes and, after them in class order, zero-valued classes that were not drawn.
    public func slots(numClasses: Int) -> Int { min(draws, numClasses) }

    /// Checks the ranges the format relies on.
    public func validate() throws(StoreError) {
        guard draws >= 1, draws <= 1024 else { throw .invalidArgument("sampled targets: draws N = \(draws) out of range 1…1024") }
        guard temperature.isFinite, temperature >= 0.05, temperature <= 20 else {
            throw .invalidArgument("sampled targets: temperature T = \(temperature) out of range 0.05…20")
        }
    }

    /// Salt of the draw stream: the record's seed XOR this, so the draws are independent of the
    /// augmentation's stream from the same seed.
    static let streamSalt: UInt64 = 0x5341_4D50_4C45_4431  // "SAMPLED1"

    /// Draws N classes from `probabilities` (C values in class order, summing to about 1) under the
    /// record's `seed`, and writes the distinct classes in ascending order with their counts into
    /// `scratch`. Returns the number of distinct classes.
    ///
    /// The N uniforms come from `SplitMix(seed ^ streamSalt)`, are scaled by Z = Σ q and sorted; one walk
    /// over the cumulative sums of q in class order (Double, left to right) assigns them, so a draw depends
    /// on the ordering of its uniform against those sums only. q = p at T = 1, else exp(log(p) / T) with
    /// ``DetMath`` (the same bits on every machine). Classes with p = 0 are never drawn.
    @discardableResult
    public func draw(probabilities p: UnsafeBufferPointer<Float>, seed: UInt64, into scratch: inout Scratch) -> Int {
        let n = draws
        let c = p.count
        scratch.prepare(draws: n, classes: c)
        let t = temperature
        var z = 0.0
        for j in 0..<c {
            let v = Double(max(p[j], 0))
            let q = t == 1 || v == 0 ? v : DetMath.exp(DetMath.log(v) / t)
            scratch.q[j] = q
            z += q
        }
        if !(z > 0) {
            // No mass anywhere (a degenerate teacher row): every draw goes to class 0.
            scratch.classes[0] = 0
            scratch.counts[0] = UInt16(n)
            scratch.values[0] = 1
            scratch.length = 1
            return 1
        }
        var rng = SplitMix(seed: seed ^ Self.streamSalt)
        for i in 0..<n { scratch.uniforms[i] = rng.uniform() * z }
        scratch.uniforms.withUnsafeMutableBufferPointer { u in
            var part = UnsafeMutableBufferPointer(rebasing: u[0..<n])
            part.sortSmall()
        }
        var length = 0
        var next = 0
        var cum = 0.0
        var lastPositive = 0
        for j in 0..<c where next < n {
            let q = scratch.q[j]
            guard q > 0 else { continue }
            lastPositive = j
            cum += q
            var count = 0
            while next < n && scratch.uniforms[next] < cum { count += 1; next += 1 }
            if count > 0 {
                scratch.classes[length] = UInt32(j)
                scratch.counts[length] = UInt16(count)
                length += 1
            }
        }
        if next < n {
            // Uniforms at Z itself after rounding (the walk reached the end): the last class with mass takes them.
            if length > 0 && scratch.classes[length - 1] == UInt32(lastPositive) {
                scratch.counts[length - 1] += UInt16(n - next)
            } else {
                scratch.classes[length] = UInt32(lastPositive)
                scratch.counts[length] = UInt16(n - next)
                length += 1
            }
        }
        scratch.length = length
        weigh(probabilities: p, scratch: &scratch)
        return length
    }

    /// Compares a stored record's draws with a rerun of the teacher: redraws from `probabilities` (the
    /// rerun's distribution) under `seed` and returns how many of the N draws land on another class than
    /// the stored ones (`storedClasses` ascending with `storedCounts`) and, over those, the largest
    /// distance of the draw's uniform from its stored class's interval of the rerun's cumulative sums, as
    /// a probability (0 when none differ). A rerun whose probabilities differ in their last bits moves a
    /// draw only when its uniform lies that close to a boundary; `verify` reports the distance so that
    /// a real difference (a draw far inside another class) shows.
    public func replay(probabilities p: UnsafeBufferPointer<Float>, seed: UInt64, storedClasses: [UInt32], storedCounts: [UInt16],
                       scratch: inout Scratch) -> (differing: Int, maxDistance: Double) {
        let length = draw(probabilities: p, seed: seed, into: &scratch)
        let n = draws
        let c = p.count
        // Prefix sums of q in class order (the walk's), and Z.
        var z = 0.0
        for j in 0..<c { z += scratch.q[j]; scratch.q[j] = z }
        guard z > 0 else { return (storedClasses == [0] ? 0 : n, 1) }
        var differing = 0
        var maxDistance = 0.0
        var si = 0, sLeft = storedCounts.first.map(Int.init) ?? 0
        var ri = 0, rLeft = length > 0 ? Int(scratch.counts[0]) : 0
        for i in 0..<n {
            while sLeft == 0 && si + 1 < storedClasses.count { si += 1; sLeft = Int(storedCounts[si]) }
            while rLeft == 0 && ri + 1 < length { ri += 1; rLeft = Int(scratch.counts[ri]) }
            let stored = si < storedClasses.count ? Int(storedClasses[si]) : -1
            let fresh = Int(scratch.classes[ri])
            if stored != fresh {
                differing += 1
                let x = scratch.uniforms[i]
                var distance = 1.0
                if stored >= 0 && stored < c {
                    let end = scratch.q[stored], start = stored == 0 ? 0 : scratch.q[stored - 1]
                    distance = (x < start ? start - x : max(0, x - end)) / z
                }
                maxDistance = max(maxDistance, distance)
            }
            sLeft -= 1
            rLeft -= 1
        }
        return (differing, maxDistance)
    }

    /// Fills `scratch.values` for its drawn entries: counts/N at T = 1, else count·p^(1 − 1/T) normalised
    /// (count·p/q with q ∝ p^(1/T); the normaliser of q cancels).
    func weigh(probabilities p: UnsafeBufferPointer<Float>, scratch: inout Scratch) {
        let n = Float(draws)
        if temperature == 1 {
            for e in 0..<scratch.length { scratch.values[e] = Float(scratch.counts[e]) / n }
            return
        }
        var total = 0.0
        for e in 0..<scratch.length {
            let v = Double(p[Int(scratch.classes[e])])
            let w = Double(scratch.counts[e]) * (v > 0 ? DetMath.exp((1 - 1 / temperature) * DetMath.log(v)) : 0)
            scratch.weights[e] = w
            total += w
        }
        for e in 0..<scratch.length {
            scratch.values[e] = total > 0 ? Float(scratch.weights[e] / total) : Float(scratch.counts[e]) / n
        }
    }

    /// Buffers for ``draw(probabilities:seed:into:)``, allocated once and reused per record.
    public struct Scratch: Sendable {
        /// The drawn classes, ascending: `classes[0..<length]`.
        public internal(set) var classes: [UInt32] = []
        /// How often each was drawn (≥ 1; they sum to N).
        public internal(set) var counts: [UInt16] = []
        /// The target value of each: counts/N, or the normalised importance weights at T ≠ 1.
        public internal(set) var values: [Float] = []
        /// Distinct classes drawn.
        public internal(set) var length = 0
        var q: [Double] = []
        var uniforms: [Double] = []
        var weights: [Double] = []

        /// Empty buffers; they grow to the first record's size.
        public init() {}

        mutating func prepare(draws: Int, classes c: Int) {
            if uniforms.count < draws { uniforms = [Double](repeating: 0, count: draws) }
            if q.count < c { q = [Double](repeating: 0, count: c) }
            let slots = min(draws, c)
            if classes.count < slots {
                classes = [UInt32](repeating: 0, count: slots)
                counts = [UInt16](repeating: 0, count: slots)
                values = [Float](repeating: 0, count: slots)
                weights = [Double](repeating: 0, count: slots)
            }
            length = 0
        }
    }
}
