import Foundation

/// Set by SIGINT/SIGTERM; long jobs poll it, finish the current chunk and exit cleanly.
enum SignalFlag {
    nonisolated(unsafe) static var raised: sig_atomic_t = 0

    /// Installs the handlers.
    static func install() {
        signal(SIGINT) { _ in SignalFlag.raised = 1 }
        signal(SIGTERM) { _ in SignalFlag.raised = 1 }
    }
}
