import DetCore
import Augment
import Images

/// Seed → augmented pixels for one sample: what precompute shows the teacher and the loader shows the
/// student, bit for bit.
///
/// JPEGs are decoded with DCT-domain downscaling when the crop allows it: the scale 1/d (d = 1, 2, 4,
/// 8) is the largest that keeps the crop at least as large as the output (``JPEG/scaleDenominator``),
/// and the crop box is mapped to the scaled image (left/top floored, right/bottom rounded up, clipped).
/// The choice depends only on the image size, the seed and the policy, so precompute and training
/// make the same one. Other sources decode at full size.
public struct Replay: Sendable {
    /// The policy.
    public let policy: AugmentPolicy
    /// Whether JPEGs may be decoded at reduced scale (on by default; off reproduces torchvision's
    /// full-size decode exactly).
    public let dctScaling: Bool
    /// Channels the output has (1 or 3): decoded images are converted before augmentation
    /// (``Images/Image/converted(toChannels:)``); nil keeps each image's own.
    public let channels: Int?
    private let augmenter: Augmenter

    /// A replayer for `policy`.
    public init(policy: AugmentPolicy, dctScaling: Bool = true, channels: Int? = nil) {
        self.policy = policy
        self.dctScaling = dctScaling
        self.channels = channels
        augmenter = Augmenter(policy: policy)
    }

    /// Decodes `bytes` (from `path`), decodes `seed` and applies the augmentation; returns the uint8
    /// output image and the parameters.
    public func render(bytes: [UInt8], path: String, seed: UInt64) throws(ImageError) -> (Image, AugParams) {
        let format = bytes.withUnsafeBytes { ImageFormat.detect($0) }
        if format == .jpeg && dctScaling {
            let decoder = try JPEGDecoder()
            let (w, h, _) = try decoder.header(bytes, path: path)
            let params = AugParams.decode(seed: seed, policy: policy, width: w, height: h)
            let d = JPEG.scaleDenominator(cropWidth: params.crop.width, cropHeight: params.crop.height,
                                          outWidth: policy.outputSize, outHeight: policy.outputSize)
            var img = try decoder.decode(bytes, path: path, denominator: d)
            if let channels { img = img.converted(toChannels: channels) }
            var scaled = params
            if d > 1 {
                let x0 = params.crop.x / d, y0 = params.crop.y / d
                let x1 = min(img.width, (params.crop.x + params.crop.width + d - 1) / d)
                let y1 = min(img.height, (params.crop.y + params.crop.height + d - 1) / d)
                scaled.crop = .init(x: x0, y: y0, width: max(1, x1 - x0), height: max(1, y1 - y0))
            }
            return (augmenter.pixels(img, scaled), params)
        }
        let img = try ImageFormat.decode(bytes, path: path)
        return render(image: img, seed: seed)
    }

    /// Augments an already decoded image.
    public func render(image original: Image, seed: UInt64) -> (Image, AugParams) {
        let image = channels.map { original.converted(toChannels: $0) } ?? original
        let params = AugParams.decode(seed: seed, policy: policy, width: image.width, height: image.height)
        return (augmenter.pixels(image, params), params)
    }
}
