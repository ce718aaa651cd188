/// A command with `--batch` (``BatchOptions``): its default, the one thing that differs between commands.
protocol BatchDefaults {
    /// `--batch` when it is not given.
    static var defaultBatch: Int { get }
}
