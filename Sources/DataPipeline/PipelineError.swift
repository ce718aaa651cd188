import Store

/// Failures of the jobs, naming the setting or input at fault.
///
/// Settings are named by their field in the job's options (`epochs`, `topK`, `data`, `onlineTeacher`),
/// not by a command-line flag: the library does not know how it was called. The CLI maps fields to its
/// flags (``describe(naming:)``).
public enum PipelineError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A setting that cannot be used: the options field, the value given, and why.
    case invalid(field: String, value: String, why: String)
    /// A store failure.
    case store(StoreError)
    /// The work failed (a teacher error, an I/O problem): what failed and what to do.
    case failed(String)
    /// The job was interrupted by a signal after committing its work so far: what is kept, and how to
    /// resume.
    case interrupted(kept: String, resume: String)

    /// The message with each field named by `name(field)` (the CLI passes its flag names).
    public func describe(naming name: (String) -> String) -> String {
        switch self {
        case .invalid(let f, let v, let w): return "\(name(f)) \(v): \(w)"
        case .store(let e): return e.description
        case .failed(let m): return m
        case .interrupted(let k, let r): return "interrupted; \(k). Resume with: \(r)"
        }
    }

    /// The message, fields named as in the options (`topK 5000: …`).
    public var description: String { describe { $0 } }
}
