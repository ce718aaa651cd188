/// 8-bit pixels, rows packed, channels interleaved (1 = gray, 3 = RGB): what the pixel stage works on.
public struct PixelBuffer: Sendable, Equatable {
    /// Width and height in pixels; channels 1 or 3.
    public var width: Int, height: Int, channels: Int
    /// `height × width × channels` bytes.
    public var bytes: [UInt8]

    /// Creates a buffer; `bytes.count` must be `width × height × channels`.
    public init(width: Int, height: Int, channels: Int, bytes: [UInt8]) {
        precondition(bytes.count == width * height * channels && (channels == 1 || channels == 3))
        self.width = width
        self.height = height
        self.channels = channels
        self.bytes = bytes
    }

    /// The rectangle `box` (which must lie inside) as a new buffer.
    public func cropped(_ box: AugParams.Box) -> PixelBuffer {
        var out = [UInt8](repeating: 0, count: box.width * box.height * channels)
        let rowBytes = box.width * channels
        for y in 0..<box.height {
            let src = ((box.y + y) * width + box.x) * channels
            out.replaceSubrange((y * rowBytes)..<((y + 1) * rowBytes), with: bytes[src..<(src + rowBytes)])
        }
        return PixelBuffer(width: box.width, height: box.height, channels: channels, bytes: out)
    }

    /// Mirrored left to right.
    public func flippedHorizontally() -> PixelBuffer {
        var out = bytes
        let c = channels, w = width
        bytes.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<height {
                    let row = y * w * c
                    for x in 0..<w {
                        let d = row + x * c, from = row + (w - 1 - x) * c
                        for ch in 0..<c { o[d + ch] = s[from + ch] }
                    }
                }
            }
        }
        return PixelBuffer(width: width, height: height, channels: channels, bytes: out)
    }
}
