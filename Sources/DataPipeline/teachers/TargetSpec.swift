import Foundation
import Store

/// What a store keeps of each record's teacher distribution, as `precompute --targets` and the stage's
/// `targets` option spell it: `topk` or `topk:K` (the top K classes; K from `--topk` when not given), or
/// `sample:N` / `sample:N:T` (``SampledTargets``).
public enum TargetSpec: Sendable, Equatable {
    /// The top K classes; nil: K as given elsewhere (`--topk`).
    case topK(Int?)
    /// Sampled targets.
    case sample(SampledTargets)

    /// Parses `spec`; a refusal names the field `targets`.
    public init(parsing spec: String) throws(PipelineError) {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func bad(_ why: String) -> PipelineError { .invalid(field: "targets", value: spec, why: why) }
        switch parts[0] {
        case "topk":
            guard parts.count <= 2 else { throw bad("give topk or topk:K") }
            guard parts.count == 2 else { self = .topK(nil); return }
            guard let k = Int(parts[1]), k >= 1 else { throw bad("K must be a positive integer") }
            self = .topK(k)
        case "sample":
            guard parts.count == 2 || parts.count == 3 else { throw bad("give sample:N or sample:N:T (N draws, temperature T)") }
            guard let n = Int(parts[1]) else { throw bad("N (draws per record) must be an integer") }
            var t = 1.0
            if parts.count == 3 {
                guard let v = Double(parts[2]) else { throw bad("T (the temperature) must be a number") }
                t = v
            }
            let sampled = SampledTargets(draws: n, temperature: t)
            do { try sampled.validate() } catch { throw bad("\(error)") }
            self = .sample(sampled)
        default:
            throw bad("the kinds are topk[:K] (the K most probable classes) and sample:N[:T] (N draws from the teacher's distribution)")
        }
    }

    /// The sampled targets' settings, nil for top-K.
    public var sampled: SampledTargets? {
        if case .sample(let s) = self { return s }
        return nil
    }
}
