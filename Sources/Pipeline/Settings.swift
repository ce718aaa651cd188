/// The checks every job applies to the settings they share (batch, shard, threads, epochs), with one
/// limit each, so precompute, the loader, stream and train accept the same values and the CLI
/// validates with the same ranges. Errors name the options field.
public enum Settings {
    /// Rows per batch: a teacher batch, a loader batch or a training step.
    public static let batchRange = 1...8192
    /// Decode/augment workers and libtorch threads.
    public static let threadRange = 1...256
}
