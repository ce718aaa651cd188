import Foundation

/// Set by SIGINT/SIGTERM; long jobs poll it, finish the current chunk or step, save and exit cleanly.
enum SignalFlag {
    nonisolated(unsafe) static var raised: sig_atomic_t = 0

    /// Installs the handlers. With `grace`, a watchdog also ends the process (status 130) that many
    /// seconds after the first signal if the job has not exited by then: a job blocked in a rendezvous or
    /// a collective that waits for a lost peer still honours the signal within seconds. Whatever it had
    /// written stays intact (checkpoints and chunks are replaced atomically).
    static func install(grace: TimeInterval? = nil) {
        signal(SIGINT) { _ in SignalFlag.raised = 1 }
        signal(SIGTERM) { _ in SignalFlag.raised = 1 }
        // A parent may have left these blocked (the mask is inherited across exec): unblock them.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        guard let grace else { return }
        let watchdog = Thread {
            while SignalFlag.raised == 0 { Thread.sleep(forTimeInterval: 0.05) }
            Thread.sleep(forTimeInterval: grace)
            let message = "interrupted: still blocked \(Int(grace)) s after the signal (waiting for another rank?); exiting. The last checkpoint is intact: re-run the same command to resume.\n"
            FileHandle.standardError.write(Data(message.utf8))
            _exit(130)
        }
        watchdog.start()
    }
}
