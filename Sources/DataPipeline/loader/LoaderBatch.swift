/// One batch from the loader: replayed, normalised images with their sparse soft targets and labels.
public struct LoaderBatch: Sendable {
    /// The training epoch and the stored epoch it reads (they differ when stored epochs are reused).
    public var epoch: Int, storedEpoch: Int
    /// This rank's position in the epoch after this batch (the resume cursor).
    public var position: Int
    /// Rows, channels, height, width.
    public var n: Int, channels: Int, height: Int, width: Int
    /// The storage whose first n × channels × height × width floats are the images. The loader reuses
    /// it for a later batch only after every copy of this batch is gone, so holding the batch keeps the
    /// images valid.
    public let imageStorage: FloatStorage
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

    /// Floats in the images: n × channels × height × width.
    public var imageCount: Int { n * channels * height * width }

    /// Calls `body` with the images in place: n × channels × height × width float32, normalised with the
    /// policy's mean and std (random erasing applied), exactly what the teacher saw.
    public func withImages<R, E: Error>(_ body: (UnsafeBufferPointer<Float>) throws(E) -> R) throws(E) -> R {
        try withExtendedLifetime(imageStorage) { () throws(E) -> R in
            try body(UnsafeBufferPointer(rebasing: imageStorage.buffer[0..<imageCount]))
        }
    }

    /// A copy of the images (``withImages(_:)`` reads them without copying).
    public var images: [Float] { withImages { Array($0) } }
}
