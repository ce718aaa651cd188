// libFuzzer target for the augmentation policy parser (`AugmentPolicy.parse(_:source:)`).
//
// Built by scripts/fuzz with `-sanitize=fuzzer,address -DFUZZING`: exports `LLVMFuzzerTestOneInput`
// and libFuzzer supplies `main`. In a plain build it is a replay driver:
// `FuzzPolicy FILE|DIR...` runs every input through the same check and exits 1 when one misbehaves.
import Augment
import Foundation
import FuzzSupport

/// One fuzz input: the bytes of a would-be policy JSON document.
///
/// An input passes when the parser throws ``AugmentError/badPolicy(source:detail:)`` naming the source,
/// or returns a policy that validates, whose canonical JSON parses back to an equal policy with the same
/// hash, and whose parameters can be drawn for a few seeds; anything else (a trap, an inconsistency) is a finding.
enum PolicyFuzz {
    /// Checks one input.
    static func check(_ bytes: [UInt8]) -> FuzzOutcome {
        let policy: AugmentPolicy
        do {
            policy = try AugmentPolicy.parse(bytes, source: "<fuzz>")
        } catch {
            guard case .badPolicy(let source, _) = error, source == "<fuzz>" else { return .misbehaved("unexpected error: \(error)") }
            return .rejected(error.description)
        }
        do {
            try policy.validate(source: "<fuzz>")
        } catch {
            return .misbehaved("parse accepted a policy that does not validate: \(error)")
        }
        let canonical = policy.canonicalJSON()
        do {
            let again = try AugmentPolicy.parse(Array(canonical.utf8), source: "<canonical>")
            guard again == policy else { return .misbehaved("canonical JSON parses to a different policy") }
            guard again.hash == policy.hash else { return .misbehaved("canonical JSON hashes differently") }
        } catch {
            return .misbehaved("canonical JSON of an accepted policy does not parse: \(error)")
        }
        return PolicyDraws.check(policy)
    }
}

#if FUZZING
/// The libFuzzer entry point: a misbehaving parser is reported as a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPolicy(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    if case .misbehaved(let problem) = PolicyFuzz.check(Array(UnsafeBufferPointer(start: data, count: size))) {
        fatalError("FuzzPolicy: \(problem)")
    }
    return 0
}
#else
/// The replay driver of a plain build: `FuzzPolicy FILE|DIR...`.
@main
struct FuzzPolicy {
    static func main() {
        exit(ReplayDriver.run(name: "FuzzPolicy", arguments: Array(CommandLine.arguments.dropFirst()), check: PolicyFuzz.check))
    }
}
#endif
