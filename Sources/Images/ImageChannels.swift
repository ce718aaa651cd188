import DetCore

extension Image {
    /// This image with `channels` channels (1 or 3): gray → RGB copies the plane; RGB → gray is Pillow's
    /// "L" conversion, (19595·R + 38470·G + 7471·B + 2¹⁵) >> 16. Returns self when it already matches.
    public func converted(toChannels target: Int) -> Image {
        precondition(target == 1 || target == 3, "images have 1 or 3 channels")
        if target == channels { return self }
        let n = width * height
        if target == 3 {
            var rgb = [UInt8](repeating: 0, count: n * 3)
            for i in 0..<n {
                let v = pixels[i]
                rgb[3 * i] = v
                rgb[3 * i + 1] = v
                rgb[3 * i + 2] = v
            }
            return Image(width: width, height: height, channels: 3, pixels: rgb)
        }
        var gray = [UInt8](repeating: 0, count: n)
        for i in 0..<n {
            let r = UInt32(pixels[3 * i]), g = UInt32(pixels[3 * i + 1]), b = UInt32(pixels[3 * i + 2])
            gray[i] = UInt8((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)
        }
        return Image(width: width, height: height, channels: 1, pixels: gray)
    }
}
