/// One sample of a dataset: a stable id (its position), a stable key and its label. What the image
/// sources list and what a store's samples table holds; it lives in the shared core because `Images`
/// and `Store` are leaf modules that must not import each other.
public struct Sample: Sendable, Equatable {
    /// Position in the dataset (0-based), stable for the same files.
    public var id: Int
    /// Stable key: the path relative to the dataset root, `split/index` for IDX files, or a synthetic name.
    public var key: String
    /// Class label (−1 when unknown).
    public var label: Int

    /// Creates a sample.
    public init(id: Int, key: String, label: Int) {
        self.id = id
        self.key = key
        self.label = label
    }
}
