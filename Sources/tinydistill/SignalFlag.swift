import Foundation

/// Set by SIGINT/SIGTERM; long jobs poll it, finish the current chunk and exit cleanly.
enum SignalFlag {
    nonisolated(unsafe) static var raised: sig_atomic_t = 0

    /// Installs the handlers.
    static func install() {
        signal(SIGINT) { _ in SignalFlag.raised = 1 }
        signal(SIGTERM) { _ in SignalFlag.raised = 1 }
        // A parent may have left these blocked (the mask is inherited across exec): unblock them.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }
}
