import Foundation

/// An exclusive advisory lock (flock) on `<store>.lock`, held by the one writer of a store.
///
/// Two writers on one store would each compute their own "already done" set and store some
/// records twice; the second one is refused instead. A sidecar file is used rather than the store
/// itself because closing any descriptor of the database file would drop SQLite's own POSIX locks.
/// The kernel releases the lock when the process dies, so a SIGKILLed writer never blocks a resume.
final class WriterLock {
    private var fd: Int32
    let path: String

    init(storePath: String) throws(StoreError) {
        path = storePath + ".lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 {
            let code = errno
            if code == EROFS || code == EACCES || code == EPERM { throw StoreError.readOnly(path: storePath) }
            if code == ENOSPC { throw StoreError.diskFull(path: storePath) }
            if code == ENOENT || code == ENOTDIR {
                throw StoreError.invalidArgument("\(storePath): the folder for this store does not exist; create it first")
            }
            throw StoreError.sqlite(path: storePath, detail: "cannot create the lock file \(path): \(String(cString: strerror(code)))")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            Foundation.close(fd)
            fd = -1
            throw StoreError.busy(path: storePath)
        }
    }

    /// Releases the lock and removes the lock file.
    func release() {
        guard fd >= 0 else { return }
        unlink(path)
        Foundation.close(fd)
        fd = -1
    }

    deinit { release() }
}
