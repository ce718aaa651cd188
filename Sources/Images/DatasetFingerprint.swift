import Checksum

/// Identifies a dataset: its sample count and an XXH64 over every sample's key and label, in id order.
///
/// Written `N-<16 hex digits>`. The same files with the same labels give the same fingerprint on any
/// machine; renaming, adding, removing or relabelling a sample changes it.
public struct DatasetFingerprint: Sendable {
    private var bytes: [UInt8] = []
    private var count = 0

    /// An empty fingerprint.
    public init() {}

    /// Adds the next sample (in id order).
    public mutating func add(key: String, label: Int?) {
        bytes.append(contentsOf: Array(key.utf8))
        bytes.append(0)
        bytes.append(contentsOf: Array(String(label ?? -1).utf8))
        bytes.append(0x0A)
        count += 1
    }

    /// The fingerprint of the samples added so far.
    public var value: String {
        let hex = String(XXH64.hash(bytes), radix: 16)
        return "\(count)-" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The fingerprint of `samples`.
    public static func of<S: Sequence>(_ samples: S) -> String where S.Element == (key: String, label: Int?) {
        var f = DatasetFingerprint()
        for s in samples { f.add(key: s.key, label: s.label) }
        return f.value
    }
}
