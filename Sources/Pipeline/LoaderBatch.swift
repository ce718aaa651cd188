/// One batch from the loader: replayed, normalised images with their sparse soft targets and labels.
public struct LoaderBatch: Sendable {
    /// The training epoch and the stored epoch it reads (they differ when stored epochs are reused).
    public var epoch: Int, storedEpoch: Int
    /// This rank's position in the epoch after this batch (the resume cursor).
    public var position: Int
    /// Rows, channels, height, width.
    public var n: Int, channels: Int, height: Int, width: Int
    /// n × channels × height × width float32, normalised with the policy's mean and std (random erasing
    /// applied): exactly what the teacher saw.
    public var images: [Float]
    /// Entries per row.
    public var k: Int
    /// n × k class indices and probabilities (the stored top-K).
    public var indices: [Int32]
    public var values: [Float]
    /// n labels (−1 where the dataset has none).
    public var labels: [Int64]
    /// n sample ids.
    public var sampleIDs: [Int]
    /// n augmentation seeds.
    public var seeds: [UInt64]
}
