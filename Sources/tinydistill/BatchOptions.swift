import ArgumentParser
import DataPipeline

/// `--batch`, with the one limit every job accepts (`DataPipeline.Settings.batchRange`) and the default of
/// the command that uses it.
struct BatchOptions<Command: BatchDefaults>: ParsableArguments {
    @Option(help: "Rows per batch (\(Settings.batchRange.lowerBound)…\(Settings.batchRange.upperBound)).")
    var batch: Int = Command.defaultBatch

    func validate() throws {
        let range = Settings.batchRange
        guard range.contains(batch) else {
            throw ValidationError("--batch must be in \(range.lowerBound)…\(range.upperBound)")
        }
    }
}
