import CTorchBridge

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
