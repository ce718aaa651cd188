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
/// make the same one. Only the crop box is decoded (``Images/JPEGDecoder/decodeRegion(_:path:denominator:x0:y0:x1:y1:)``:
/// rows outside it are skipped and columns cut to the nearest iMCU), which gives exactly the pixels
/// of the full decode inside the box (tested over many boxes, scales, subsamplings and progressive
/// files), so the result is the same bits as a full decode followed by the crop. Other sources decode
/// at full size.
public struct Replay: Sendable {
    /// The policy.
    public let policy: AugmentPolicy
    /// Whether JPEGs may be decoded at reduced scale (on by default; off reproduces torchvision's
    /// full-size decode exactly).
    public let dctScaling: Bool
    /// Whether JPEGs decode only their crop box (on by default; off decodes the whole scaled image: the
    /// same pixels, more work).
    public let regionDecoding: Bool
    /// Channels the output has (1 or 3): decoded images are converted before augmentation
    /// (``Images/Image/converted(toChannels:)``); nil keeps each image's own.
    public let channels: Int?
    private let augmenter: Augmenter

    /// A replayer for `policy`.
    public init(policy: AugmentPolicy, dctScaling: Bool = true, channels: Int? = nil, regionDecoding: Bool = true) {
        self.policy = policy
        self.dctScaling = dctScaling
        self.regionDecoding = regionDecoding
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
            let (sw, sh) = JPEG.scaledSize(width: w, height: h, denominator: d)
            var scaled = params
            if d > 1 {
                let x0 = params.crop.x / d, y0 = params.crop.y / d
                let x1 = min(sw, (params.crop.x + params.crop.width + d - 1) / d)
                let y1 = min(sh, (params.crop.y + params.crop.height + d - 1) / d)
                scaled.crop = .init(x: x0, y: y0, width: max(1, x1 - x0), height: max(1, y1 - y0))
            }
            var img: Image
            let box = scaled.crop
            if regionDecoding, box.x >= 0, box.y >= 0, box.x + box.width <= sw, box.y + box.height <= sh,
               let region = try JPEGDecoder.decodeRegion(bytes, path: path, denominator: d, x0: box.x, y0: box.y,
                                                         x1: box.x + box.width, y1: box.y + box.height) {
                img = region.image
                scaled.crop.x -= region.originX
                scaled.crop.y = 0
            } else {
                img = try decoder.decode(bytes, path: path, denominator: d)
            }
            if let channels { img = img.converted(toChannels: channels) }
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
