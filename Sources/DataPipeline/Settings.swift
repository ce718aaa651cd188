/// The checks every job applies to the settings they share (batch, shard, threads, epochs), with one
/// limit each, so precompute, the loader, stream and train accept the same values and the CLI
/// validates with the same ranges. Errors name the options field.
public enum Settings {
    /// Rows per batch: a teacher batch, a loader batch or a training step.
    public static let batchRange = 1...8192
    /// Decode/augment workers and libtorch threads.
    public static let threadRange = 1...256

    /// `batch` (field `field`) lies in ``batchRange``.
    public static func checkBatch(_ batch: Int, field: String = "batch") throws(PipelineError) {
        guard batchRange.contains(batch) else {
            throw .invalid(field: field, value: "\(batch)", why: "must be in \(batchRange.lowerBound)…\(batchRange.upperBound)")
        }
    }

    /// `count` (field `field`) lies in ``threadRange``.
    public static func checkThreads(_ count: Int, field: String = "threads") throws(PipelineError) {
        guard threadRange.contains(count) else {
            throw .invalid(field: field, value: "\(count)", why: "must be in \(threadRange.lowerBound)…\(threadRange.upperBound)")
        }
    }

    /// `rank` and `world` describe one of `world` shards: world ≥ 1 and 0 ≤ rank < world.
    public static func checkShard(rank: Int, world: Int) throws(PipelineError) {
        guard world >= 1 else { throw .invalid(field: "world", value: "\(world)", why: "must be ≥ 1") }
        guard rank >= 0, rank < world else {
            throw .invalid(field: "rank", value: "\(rank)", why: "need 0 ≤ rank < world (world = \(world))")
        }
    }

    /// `value` (field `field`) is at least 1.
    public static func checkPositive(_ value: Int, field: String) throws(PipelineError) {
        guard value >= 1 else { throw .invalid(field: field, value: "\(value)", why: "must be ≥ 1") }
    }
}
