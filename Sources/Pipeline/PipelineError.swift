import Store

/// Failures of the jobs, with the option or input at fault.
public enum PipelineError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A command-line value that cannot be used (the option's name, the value, why).
    case badOption(option: String, value: String, why: String)
    /// A store failure.
    case store(StoreError)
    /// The work failed (a teacher error, an I/O problem): what failed and what to do.
    case failed(String)
    /// The job was interrupted by a signal after committing its work so far.
    case interrupted(resume: String)

    public var description: String {
        switch self {
        case .badOption(let o, let v, let w): return "\(o) \(v): \(w)"
        case .store(let e): return e.description
        case .failed(let m): return m
        case .interrupted(let r): return "interrupted; the store holds every chunk committed so far. Resume with: \(r)"
        }
    }
}
