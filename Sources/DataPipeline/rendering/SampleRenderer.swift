import DetCore
import Augment
import Images

/// Sample id + seed → augmented pixels, for precompute (what the teacher sees) and the loader (what the
/// student sees): encoded files (an ImageFolder's, a JPEG pack's) go through ``Replay``'s DCT-scaled JPEG path, other sources
/// decode in memory. Safe to use from several threads.
public struct SampleRenderer: Sendable {
    /// The dataset.
    public let source: any ImageSource
    /// The augmentation replayer.
    public let replay: Replay

    /// A renderer of `source` under `replay`.
    public init(source: any ImageSource, replay: Replay) {
        self.source = source
        self.replay = replay
    }

    /// The augmented uint8 pixels of sample `id` under `seed`, and the decoded parameters.
    public func render(_ id: Int, seed: UInt64) throws(ImageError) -> (Image, AugParams) {
        if let files = source as? any EncodedImageSource, let (bytes, path) = try files.encoded(id) {
            return try replay.render(bytes: bytes, path: path, seed: seed)
        }
        return replay.render(image: try source.image(id), seed: seed)
    }
}
