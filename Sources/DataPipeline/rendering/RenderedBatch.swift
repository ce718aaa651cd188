/// One row of work for a ``BatchRenderer``: which sample of which epoch, under which seed.
public struct RenderItem: Sendable, Equatable {
    /// The epoch the row belongs to (the stored epoch in precompute and verify, the training epoch in
    /// the loader).
    public var epoch: Int
    /// The sample id.
    public var sample: Int
    /// The augmentation seed.
    public var seed: UInt64

    /// An item.
    public init(epoch: Int, sample: Int, seed: UInt64) {
        self.epoch = epoch
        self.sample = sample
        self.seed = seed
    }
}

/// A batch of rendered rows in storage allocated once for `capacity` rows and reused: what a
/// ``BatchRenderer`` fills and a ``Teacher`` reads.
///
/// Row r's normalised planes are `planes[r·planeSize ..< (r+1)·planeSize]` (CHW float32; kept only when
/// the batch was made for planes); `hashes[r]` is the XXH64 of its augmented uint8 pixels under its seed
/// (made for hashes; for a dataset without images, the seed itself); `errors[r]` is non-nil when the
/// sample could not be read or decoded, and then its planes and hash are meaningless.
public final class RenderedBatch: @unchecked Sendable {
    /// Rows the storage holds.
    public let capacity: Int
    /// Channels and side of each rendered image.
    public let channels: Int, side: Int
    /// What the rows carry.
    public let content: TeacherInput
    /// The rows of the current contents, in order.
    public internal(set) var items: [RenderItem] = []
    /// capacity × planeSize floats when `content` is `.planes`, else empty.
    public internal(set) var planes: [Float]
    /// capacity × planeSize uint8 pixels, HWC per row, when `content` is `.pixels`, else empty.
    public internal(set) var pixels: [UInt8]
    /// capacity pixel hashes (`.pixelHash`), else zeros.
    public internal(set) var hashes: [UInt64]
    /// capacity labels: the dataset label of each row.
    public internal(set) var labels: [Int]
    /// capacity errors: why a row could not be rendered, or nil.
    public internal(set) var errors: [String?]

    /// Rows in the current contents.
    public var count: Int { items.count }
    /// Floats per row.
    public var planeSize: Int { channels * side * side }

    /// Empty storage for `capacity` rows of `channels` × `side` × `side`.
    public convenience init(capacity: Int, channels: Int, side: Int, content: TeacherInput) {
        self.init(capacity: capacity, channels: channels, side: side, content: content, planesElsewhere: false)
    }

    /// Storage as above; with `planesElsewhere` no planes are allocated, for a caller that renders the
    /// planes into storage of its own (``BatchRenderer/render(_:into:planes:)``).
    init(capacity: Int, channels: Int, side: Int, content: TeacherInput, planesElsewhere: Bool) {
        self.capacity = capacity
        self.channels = channels
        self.side = side
        self.content = content
        planes = [Float](repeating: 0, count: content == .planes && !planesElsewhere ? capacity * channels * side * side : 0)
        pixels = [UInt8](repeating: 0, count: content == .pixels ? capacity * channels * side * side : 0)
        hashes = [UInt64](repeating: 0, count: capacity)
        labels = [Int](repeating: -1, count: capacity)
        errors = [String?](repeating: nil, count: capacity)
    }

    /// A batch over planes rendered elsewhere (the loader's batches, for an online teacher): `planes`
    /// holds `items.count` rows.
    public init(planes: [Float], items: [RenderItem], labels: [Int], channels: Int, side: Int) {
        precondition(planes.count == items.count * channels * side * side && labels.count == items.count)
        capacity = items.count
        self.channels = channels
        self.side = side
        content = .planes
        self.items = items
        self.planes = planes
        pixels = []
        hashes = [UInt64](repeating: 0, count: items.count)
        self.labels = labels
        errors = [String?](repeating: nil, count: items.count)
    }

    /// The first row that failed, with its error.
    public var firstError: (row: Int, reason: String)? {
        for r in 0..<count { if let e = errors[r] { return (r, e) } }
        return nil
    }
}
