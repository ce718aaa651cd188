import DetCore

/// How a record's augmentation seed follows from the run seed, epoch and sample (`splitmix64-v1`).
///
/// Seeds derived this way cost no bytes in the store: a chunk whose seeds all equal the derived ones
/// omits its seed column. Changing this function is a format change.
public enum SeedScheme {
    /// The scheme's name, recorded in the metadata.
    public static let name = "splitmix64-v1"

    /// One step of the SplitMix64 output function.
    @inline(__always) public static func mix(_ x: UInt64) -> UInt64 { SplitMix64.mix(x) }

    /// The seed of (epoch, sample) in a run.
    @inline(__always) public static func derive(runSeed: UInt64, epoch: Int, sample: Int) -> UInt64 {
        mix(mix(mix(runSeed) ^ UInt64(truncatingIfNeeded: epoch)) ^ UInt64(truncatingIfNeeded: sample))
    }
}
