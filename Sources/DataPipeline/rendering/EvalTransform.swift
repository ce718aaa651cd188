import DetCore
import Augment
import Images

/// The reference's evaluation preprocessing: resize the shorter side to ⌊size / 0.875⌋ (bicubic, Pillow-exact;
/// an image whose shorter side already has that length is left untouched), centre-crop `size`×`size`
/// (torchvision's rounding), scale to [0, 1] and normalise per channel.
public struct EvalTransform: Sendable, Equatable {
    /// Output side in pixels.
    public var size: Int
    /// Channels the model takes (1 or 3); images are converted (RGB → luma as Pillow's "L", gray → RGB by copy).
    public var channels: Int
    /// Per-channel mean and standard deviation (one value per model channel).
    public var mean: [Double]
    public var std: [Double]

    /// ImageNet mean and standard deviation; a 1-channel model uses their first entries, as the augmentation
    /// policy does for gray images, so training and evaluation normalise alike.
    public init(size: Int, channels: Int, mean: [Double]? = nil, std: [Double]? = nil) {
        self.size = size
        self.channels = channels
        let m = mean ?? [0.485, 0.456, 0.406]
        let s = std ?? [0.229, 0.224, 0.225]
        self.mean = channels == 1 ? [m[0]] : Array(m.prefix(3))
        self.std = channels == 1 ? [s[0]] : Array(s.prefix(3))
    }

    /// The length the shorter side is resized to.
    public var resizeLength: Int { Int(Double(size) / 0.875) }

    /// The uint8 pixels (HWC) after channel conversion, resize and crop.
    public func pixels(_ image: Image) -> Image {
        var img = convert(image)
        let short = min(img.width, img.height)
        let target = resizeLength
        if short != target {
            let (ow, oh): (Int, Int) = img.width <= img.height
                ? (target, Int(Double(target) * Double(img.height) / Double(img.width)))
                : (Int(Double(target) * Double(img.width) / Double(img.height)), target)
            let resized = Resample.resize(img.pixels, width: img.width, height: img.height, channels: img.channels,
                                          toWidth: ow, height: oh, kind: .bicubic)
            img = Image(width: ow, height: oh, channels: img.channels, pixels: resized)
        }
        return centerCrop(img)
    }

    /// The normalised CHW float tensor for one image.
    public func tensor(_ image: Image) -> [Float] {
        let img = pixels(image)
        let plane = size * size
        var out = [Float](repeating: 0, count: channels * plane)
        for c in 0..<channels {
            let scale = 1.0 / (255.0 * std[c])
            let shift = mean[c] / std[c]
            for i in 0..<plane {
                out[c * plane + i] = Float(Double(img.pixels[i * channels + c]) * scale - shift)
            }
        }
        return out
    }

    func convert(_ image: Image) -> Image { image.converted(toChannels: channels) }

    /// torchvision's centre crop: offsets round half to even; missing border (image smaller than the crop) is 0.
    func centerCrop(_ image: Image) -> Image {
        let top = Int((Double(image.height - size) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(image.width - size) / 2).rounded(.toNearestOrEven))
        var out = [UInt8](repeating: 0, count: size * size * image.channels)
        for y in 0..<size {
            let sy = y + top
            guard sy >= 0, sy < image.height else { continue }
            for x in 0..<size {
                let sx = x + left
                guard sx >= 0, sx < image.width else { continue }
                for c in 0..<image.channels {
                    out[(y * size + x) * image.channels + c] = image.pixels[(sy * image.width + sx) * image.channels + c]
                }
            }
        }
        return Image(width: size, height: size, channels: image.channels, pixels: out)
    }
}
