/// A failure creating, resuming or opening an image pack; every case names the file or the setting at
/// fault (the CLI maps fields to flags: `max_side` → `--max-side`).
public enum PackError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A setting out of range.
    case invalid(field: String, value: String, why: String)
    /// The file is missing, unreadable or cannot be written.
    case io(path: String, detail: String)
    /// The file is not a TinyDistill image pack (or of a newer format).
    case notAPack(path: String, detail: String)
    /// Resuming a pack written with other settings or from another source.
    case mismatch(path: String, field: String, pack: String, requested: String)
    /// A pack that `tinydistill pack` has not finished.
    case incomplete(path: String, records: Int, of: Int)

    public var description: String {
        switch self {
        case .invalid(let f, let v, let why): return "\(f) \(v): \(why)"
        case .io(let p, let d): return "\(p): \(d)"
        case .notAPack(let p, let d): return "\(p): not a TinyDistill image pack (\(d))"
        case .mismatch(let p, let f, let have, let want):
            return "\(p) was packed with \(f) \(have), this run asks for \(want); use the same settings to resume, or another --out"
        case .incomplete(let p, let n, let of):
            return "\(p): the pack is incomplete (\(n) of \(of) images); run the same `tinydistill pack` command to finish it"
        }
    }
}
