/// A command with `--workers` (``WorkerOptions``): its default, the one thing that differs between commands.
protocol WorkerDefaults {
    /// `--workers` when it is not given.
    static var defaultWorkers: Int { get }
}
