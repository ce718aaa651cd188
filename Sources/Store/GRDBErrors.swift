import GRDB

extension StoreError {
    /// Maps an SQLite/GRDB failure on `path` to a store error that says what to do.
    static func from(_ error: any Error, path: String) -> StoreError {
        if let e = error as? StoreError { return e }
        guard let db = error as? DatabaseError else { return .sqlite(path: path, detail: "\(error)") }
        let detail = db.message ?? "\(db.resultCode)"
        switch db.resultCode.primaryResultCode {
        case .SQLITE_NOTADB: return .notAStore(path: path, detail: detail)
        case .SQLITE_CORRUPT: return .corrupt(path: path, detail: detail)
        case .SQLITE_FULL: return .diskFull(path: path)
        case .SQLITE_READONLY:
            switch db.extendedResultCode {
            case .SQLITE_READONLY_ROLLBACK, .SQLITE_READONLY_RECOVERY, .SQLITE_READONLY_CANTINIT:
                // A writer stopped inside a transaction (killed, or the disk filled): its journal or WAL
                // must be rolled back, which needs write access (the reader tries that first).
                return .sqlite(path: path, detail: "a writer stopped in the middle of a write and left \(path)-journal or "
                               + "\(path)-wal behind, and rolling it back needs write access to the file and its folder, "
                               + "which this process lacks: re-run the same precompute command as the store's owner "
                               + "(it rolls the unfinished write back and resumes), then read again")
            default: return .readOnly(path: path)
            }
        case .SQLITE_BUSY, .SQLITE_LOCKED: return .busy(path: path)
        case .SQLITE_CANTOPEN: return .sqlite(path: path, detail: "cannot open: \(detail)")
        default: return .sqlite(path: path, detail: detail)
        }
    }
}
