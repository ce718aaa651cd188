/// How one fuzz input ended.
public enum FuzzOutcome: Equatable {
    /// Parsed or decoded, and every consistency check held.
    case accepted
    /// Rejected with the expected typed error (its message).
    case rejected(String)
    /// A finding: wrong error kind, or a result that breaks a consistency check.
    case misbehaved(String)
}
