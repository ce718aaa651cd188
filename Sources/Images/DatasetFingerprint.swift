import DetCore

/// Identifies a dataset: its sample count and an XXH64 over every sample's key and label, in id order.
///
/// Written `N-<16 hex digits>`. The same files with the same labels give the same fingerprint on any
/// machine; renaming, adding, removing or relabelling a sample changes it. Hashed incrementally:
/// memory does not grow with the dataset.
public struct DatasetFingerprint: Sendable {
    private var hasher = XXH64.Streaming()
    private var count = 0

    /// An empty fingerprint.
    public init() {}

    /// An empty fingerprint whose hash starts with `salt` and a newline: the same samples under another
    /// salt (a pack's resize settings) give another fingerprint, with the same `N-` count.
    public init(salt: String) {
        var salt = salt + "\n"
        salt.withUTF8 { hasher.update(UnsafeRawBufferPointer($0)) }
    }

    /// Adds the next sample (in id order): its key, a 0 byte, its label in decimal (-1 when
    /// unknown), a newline.
    public mutating func add(key: String, label: Int?) {
        var key = key, label = String(label ?? -1)
        key.withUTF8 { hasher.update(UnsafeRawBufferPointer($0)) }
        withUnsafeBytes(of: UInt8(0)) { hasher.update($0) }
        label.withUTF8 { hasher.update(UnsafeRawBufferPointer($0)) }
        withUnsafeBytes(of: UInt8(0x0A)) { hasher.update($0) }
        count += 1
    }

    /// The fingerprint of the samples added so far.
    public var value: String { "\(count)-" + XXH64.hex(hasher.finalize()) }

    /// The fingerprint of `samples`.
    public static func of<S: Sequence>(_ samples: S) -> String where S.Element == (key: String, label: Int?) {
        var f = DatasetFingerprint()
        for s in samples { f.add(key: s.key, label: s.label) }
        return f.value
    }
}
