import ArgumentParser
import DataPipeline

/// `--workers`: the threads that decode and augment images for the loader, with the one limit every job
/// accepts (`DataPipeline.Settings.threadRange`) and the default of the command that uses it.
struct WorkerOptions<Command: WorkerDefaults>: ParsableArguments {
    @Option(help: "Decode/augment threads.")
    var workers: Int = Command.defaultWorkers

    func validate() throws {
        let range = Settings.threadRange
        guard range.contains(workers) else {
            throw ValidationError("--workers must be in \(range.lowerBound)…\(range.upperBound)")
        }
    }
}
