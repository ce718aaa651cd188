import DetCore

extension Sample {
    /// A key for a numbered sample: `prefix/` and `index` zero-padded to `digits` (`synthetic/00000042`).
    public static func numberedKey(_ prefix: String, _ index: Int, digits: Int) -> String {
        let s = String(index)
        return prefix + "/" + String(repeating: "0", count: max(0, digits - s.count)) + s
    }
}

/// A dataset of labelled images, addressed by sample id. Implementations are safe to read from
/// several threads at once.
public protocol ImageSource: Sendable {
    /// Number of samples.
    var count: Int { get }
    /// Class names, in label order.
    var classNames: [String] { get }
    /// A short description of where the samples come from (a path, `fashion-mnist:train`, …).
    var source: String { get }
    /// The sample with id `id` (0..<count).
    func sample(_ id: Int) -> Sample
    /// The decoded image of sample `id`; a failure names the file.
    func image(_ id: Int) throws(ImageError) -> Image
    /// Whether the samples have images (false for a dataset of labels only, such as `synthetic:N`).
    var hasImages: Bool { get }
    /// What ties a store to this dataset (``DatasetFingerprint``): by default the count and a hash of
    /// keys and labels; a source whose pixels differ from its keys' originals (a resized pack) mixes in
    /// what changed them.
    var fingerprint: String { get }
}

/// A source that can hand out a sample's encoded file (JPEG or PNG bytes) instead of its pixels, so
/// the renderer can decode it at reduced scale and only inside the crop (``Images/JPEGDecoder``).
public protocol EncodedImageSource: ImageSource {
    /// The encoded bytes of sample `id` and the path that names it in errors; nil when the sample is
    /// held decoded (then ``ImageSource/image(_:)`` gives its pixels).
    func encoded(_ id: Int) throws(ImageError) -> (bytes: [UInt8], path: String)?
}

extension ImageSource {
    /// Sources have images unless they say otherwise.
    public var hasImages: Bool { true }

    /// Count and hash of keys and labels (``DatasetFingerprint``).
    public var fingerprint: String {
        var f = DatasetFingerprint()
        for i in 0..<count {
            let s = sample(i)
            f.add(key: s.key, label: s.label)
        }
        return f.value
    }

    /// Decodes every sample's image and returns the ones that fail, with their errors: what
    /// precompute records as bad samples when it runs without `--strict`.
    public func scanForBadSamples(_ ids: Range<Int>? = nil) -> [(Sample, ImageError)] {
        var bad: [(Sample, ImageError)] = []
        for i in ids ?? 0..<count {
            do {
                _ = try image(i)
            } catch {
                bad.append((sample(i), error))
            }
        }
        return bad
    }
}
