import ArgumentParser
import Foundation
import DataPipeline

/// `--threads` (default: one per core), with the one limit every job accepts
/// (`DataPipeline.Settings.threadRange`).
struct ThreadOptions<Command: ThreadDefaults>: ParsableArguments {
    @Option(help: ArgumentHelp(Command.threadsHelp))
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        let range = Settings.threadRange
        guard range.contains(threads) else {
            throw ValidationError("--threads must be in \(range.lowerBound)…\(range.upperBound)")
        }
    }
}
