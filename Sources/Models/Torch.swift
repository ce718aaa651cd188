internal import CTorchBridge

/// Process-wide libtorch settings.
public enum Torch {
    /// The number of intra-op threads libtorch uses for every model in the process.
    public static var threads: Int {
        get { Int(td_get_num_threads()) }
        set { td_set_num_threads(Int32(clamping: newValue)) }
    }

    /// Seeds libtorch's global generator (weight initialisation, dropout, drop path).
    public static func manualSeed(_ seed: UInt64) {
        td_manual_seed(seed)
    }

    /// Keeps large tensor buffers in the process heap instead of fresh pages: glibc serves every block
    /// above its mmap threshold (at most 32 MiB) with new zero-filled pages and returns them on free, so
    /// each batch-64 forward at 224 px pays page faults on every large activation again (measured:
    /// TinyViT-5M, batch 64, 2 threads, 8.2 s → 4.2 s per forward with this setting). Freed memory then stays
    /// with the process (peak RSS is unchanged; it is not returned between batches). Call once, early.
    public static func keepFreedMemory() {
        td_keep_freed_memory()
    }

    /// Turns a bridge status into a `ModelError` naming `context`.
    static func check(_ status: Int32, _ context: @autoclosure () -> String) throws(ModelError) {
        guard status != 0 else { return }
        let message = String(cString: td_last_error())
        switch status {
        case Int32(TD_ERR_INVALID_ARGUMENT): throw .invalidArgument("\(context()): \(message)")
        case Int32(TD_ERR_NOT_FOUND): throw .notFound("\(context()): \(message)")
        case Int32(TD_ERR_UNSUPPORTED): throw .unsupported("\(context()): \(message)")
        default: throw .torch("\(context()): \(message)")
        }
    }
}
