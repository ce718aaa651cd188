import DetCore
import Images
import Store

/// A dataset of `count` samples without images: keys `synthetic/00000042`, labels from a hash. As an
/// ``ImageSource`` it has no images (``hasImages`` is false): the synthetic teacher reads the record
/// seeds instead of pixel hashes.
///
/// Spec: `synthetic:N` or `synthetic:N:C` (labels in 0..<C; without C, the teacher's class count).
public struct SyntheticDataset: ImageSource, Sendable, Equatable {
    /// Number of samples.
    public let count: Int
    /// Number of label classes.
    public let numClasses: Int
    /// The spec as written.
    public let spec: String

    /// Parses a `synthetic:N[:C]` spec; `defaultClasses` applies when C is omitted.
    public init(spec: String, defaultClasses: Int) throws(PipelineError) {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.first == "synthetic", parts.count == 2 || parts.count == 3,
              let n = Int(parts[1]), n >= 1, n <= Int(UInt32.max)
        else {
            throw PipelineError.invalid(field: "data", value: spec, why: "expected synthetic:N or synthetic:N:C with 1 ≤ N < 2³²")
        }
        var c = defaultClasses
        if parts.count == 3 {
            guard let cc = Int(parts[2]), cc >= 2 else {
                throw PipelineError.invalid(field: "data", value: spec, why: "the class count C must be an integer ≥ 2")
            }
            c = cc
        }
        count = n
        numClasses = c
        self.spec = spec
    }

    /// The label of sample `i`.
    public func label(_ i: Int) -> Int {
        Int(SeedScheme.mix(0x1AB3_15 ^ UInt64(i)) % UInt64(numClasses))
    }

    /// The key of sample `i`.
    public func key(_ i: Int) -> String { Sample.numberedKey("synthetic", i, digits: 8) }

    // MARK: - ImageSource

    public var classNames: [String] { (0..<numClasses).map(String.init) }
    public var source: String { spec }
    public var hasImages: Bool { false }

    public func sample(_ id: Int) -> Sample { Sample(id: id, key: key(id), label: label(id)) }

    public func image(_ id: Int) throws(ImageError) -> Image {
        throw .badDataset(path: spec, detail: "synthetic:N has no images; use synthetic-images:N:WxHxC, an ImageFolder or fashion-mnist")
    }
}
