import DetCore

extension Image {
    /// The rectangle `box` (which must lie inside) as a new buffer.
    public func cropped(_ box: AugParams.Box) -> Image {
        var out = [UInt8](repeating: 0, count: box.width * box.height * channels)
        let rowBytes = box.width * channels
        for y in 0..<box.height {
            let src = ((box.y + y) * width + box.x) * channels
            out.replaceSubrange((y * rowBytes)..<((y + 1) * rowBytes), with: pixels[src..<(src + rowBytes)])
        }
        return Image(width: box.width, height: box.height, channels: channels, pixels: out)
    }

    /// Mirrored left to right.
    public func flippedHorizontally() -> Image {
        var out = pixels
        let c = channels, w = width
        pixels.withUnsafeBufferPointer { s in
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
        return Image(width: width, height: height, channels: channels, pixels: out)
    }
}
