/// An 8-bit image, rows packed, channels interleaved (HWC): 1 channel (gray) or 3 (RGB). The one pixel
/// type of the project: what the image sources decode, what augmentation transforms and what the loader
/// normalises. It lives in the shared core because `Images` and `Augment` are leaf modules that must not
/// import each other.
public struct Image: Sendable, Equatable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// 1 (gray) or 3 (RGB).
    public var channels: Int
    /// `height × width × channels` bytes.
    public var pixels: [UInt8]

    /// Creates an image; `pixels.count` must be `width × height × channels`.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * channels, "pixel buffer does not match \(width)×\(height)×\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// The value of channel `c` at (x, y).
    @inline(__always) public func pixel(_ x: Int, _ y: Int, _ c: Int = 0) -> UInt8 {
        pixels[(y * width + x) * channels + c]
    }
}
