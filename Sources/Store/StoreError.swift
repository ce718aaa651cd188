/// Everything that can go wrong opening, writing or reading a store.
///
/// Every case names what is at fault (file, epoch and chunk, record or option) and the message says
/// what to do about it.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The store file does not exist.
    case missingFile(path: String)
    /// The file exists but is not an SQLite database (or its header is destroyed).
    case notAStore(path: String, detail: String)
    /// The SQLite file is not a TinyDistill store (no metadata table or document).
    case notTinyDistill(path: String, detail: String)
    /// The store was written with a format version this build does not know.
    case unsupportedFormatVersion(path: String, found: Int, supported: Int)
    /// SQLite reports a damaged file (truncation, overwritten pages).
    case corrupt(path: String, detail: String)
    /// A chunk failed to decode or its checksum does not hold.
    case corruptChunk(epoch: Int, chunk: Int, detail: String)
    /// A record offered to the writer breaks the store's contract (K, C, values).
    case invalidRecord(epoch: Int, sample: Int, detail: String)
    /// A record for this (epoch, sample) is already stored.
    case duplicateRecord(epoch: Int, sample: Int)
    /// The metadata document is invalid, or differs from what the caller expects.
    case metadataMismatch(path: String, field: String, stored: String, requested: String)
    /// An invalid argument (option value) given to the store API.
    case invalidArgument(String)
    /// The disk is full or the store hit its size limit; what was committed before stays valid.
    case diskFull(path: String)
    /// The store or its folder is read-only.
    case readOnly(path: String)
    /// Another process holds the store's write lock.
    case busy(path: String)
    /// Any other SQLite failure.
    case sqlite(path: String, detail: String)
    /// A zstd or transform failure inside the chunk codec (wrapped into `corruptChunk` by readers).
    case codec(String)

    public var description: String {
        switch self {
        case .missingFile(let p):
            return "\(p): no such store file; check the path, or create it with `tinydistill precompute --out \(p)`"
        case .notAStore(let p, let d):
            return "\(p): not a TinyDistill store (not an SQLite database: \(d))"
        case .notTinyDistill(let p, let d):
            return "\(p): an SQLite database but not a TinyDistill store (\(d))"
        case .unsupportedFormatVersion(let p, let f, let s):
            return "\(p): store format version \(f) is newer than this build supports (\(s)); upgrade tinydistill"
        case .corrupt(let p, let d):
            return "\(p): the store file is damaged (\(d)); chunks that still decode can be listed with `tinydistill inspect`, otherwise re-create the store"
        case .corruptChunk(let e, let c, let d):
            return "epoch \(e) chunk \(c): corrupt chunk (\(d)); re-run precompute for this epoch after deleting the chunk, or re-create the store"
        case .invalidRecord(let e, let s, let d):
            return "record (epoch \(e), sample \(s)): \(d)"
        case .duplicateRecord(let e, let s):
            return "record (epoch \(e), sample \(s)) is already in the store; each (epoch, sample) is written once"
        case .metadataMismatch(let p, let f, let s, let r):
            return "\(p): \(f) differs: the store has \(s), this run asks for \(r); use another --out path or the store's settings"
        case .invalidArgument(let m):
            return m
        case .diskFull(let p):
            return "\(p): disk full (or size limit reached); the chunks committed so far are intact: free space and re-run the same command to resume"
        case .readOnly(let p):
            return "\(p): the store or its folder is read-only; choose a writable --out path"
        case .busy(let p):
            return "\(p): another process is writing this store; wait for it to finish or use another --out path"
        case .sqlite(let p, let d):
            return "\(p): SQLite error: \(d)"
        case .codec(let m):
            return "chunk codec: \(m)"
        }
    }
}
