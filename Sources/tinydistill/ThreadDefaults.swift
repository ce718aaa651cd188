/// A command with `--threads` (``ThreadOptions``): what the threads run, when more than libtorch.
protocol ThreadDefaults {
    /// The help of `--threads`.
    static var threadsHelp: String { get }
}

extension ThreadDefaults {
    static var threadsHelp: String { "libtorch threads." }
}
