/// One image of a pack as written: the sample's key and label, and the blob that holds its image.
public struct PackRecord: Sendable, Equatable {
    /// What a blob holds.
    public enum Kind: String, Sendable, Codable {
        /// A JPEG file.
        case jpeg
        /// A PNG file (kept as it was).
        case png
        /// uint8 pixels, `height × width × channels`.
        case raw
        /// The source image could not be read; the blob is the error's message (UTF-8), given back
        /// as the sample's error, so precompute records it as it would from the source.
        case bad
    }

    /// Sample id (0..<count), also the order of writing.
    public var id: Int
    /// The source's key for the sample.
    public var key: String
    /// The source's label (−1 when unknown).
    public var label: Int
    /// Stored size and channels (0 for a bad sample).
    public var width: Int, height: Int, channels: Int
    /// What `data` holds.
    public var kind: Kind
    /// Whether rendering this blob gives exactly the source's pixels for the sample: the source's own
    /// file, or the decoded pixels of a source without files, neither resized.
    public var verbatim: Bool
    /// The blob.
    public var data: [UInt8]

    /// A record; see each field.
    public init(id: Int, key: String, label: Int, width: Int, height: Int, channels: Int, kind: Kind, verbatim: Bool,
                data: [UInt8]) {
        self.id = id
        self.key = key
        self.label = label
        self.width = width
        self.height = height
        self.channels = channels
        self.kind = kind
        self.verbatim = verbatim
        self.data = data
    }
}
