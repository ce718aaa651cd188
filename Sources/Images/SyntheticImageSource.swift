import DetCore

/// A seeded dataset of generated images for tests and benchmarks: each sample is a smooth gradient
/// plus a few rectangles whose colours and places follow from (seed, id), so augmentations have
/// edges and corners to act on. Keys are `synthetic/00000042`; labels are `id % classes`.
public struct SyntheticImageSource: ImageSource {
    public let count: Int
    /// Image size and channels (1 or 3).
    public let width: Int, height: Int, channels: Int
    /// Seed of the generator.
    public let seed: UInt64
    public let classNames: [String]
    public var source: String { "synthetic-images:\(count):\(width)x\(height)x\(channels):\(seed)" }

    /// A source of `count` images of `width × height × channels` in `classes` classes.
    public init(count: Int, width: Int, height: Int, channels: Int = 3, classes: Int = 10, seed: UInt64 = 0) throws(ImageError) {
        guard count >= 1, width >= 1, height >= 1, channels == 1 || channels == 3, classes >= 1 else {
            throw ImageError.invalidArgument("synthetic images: need count, width, height, classes ≥ 1 and 1 or 3 channels")
        }
        self.count = count
        self.width = width
        self.height = height
        self.channels = channels
        self.seed = seed
        self.classNames = (0..<classes).map { "class\($0)" }
    }

    public func sample(_ id: Int) -> Sample {
        Sample(id: id, key: Sample.numberedKey("synthetic", id, digits: 8), label: id % classNames.count)
    }

    @inline(__always) private static func mix(_ x: UInt64) -> UInt64 { SplitMix64.mix(x) }

    public func image(_ id: Int) throws(ImageError) -> Image {
        var state = Self.mix(seed ^ Self.mix(UInt64(id)))
        func next() -> UInt64 { state = Self.mix(state); return state }
        var px = [UInt8](repeating: 0, count: width * height * channels)
        let base = (0..<channels).map { _ in Int(next() % 160) }
        let gx = (0..<channels).map { _ in Int(next() % 96) }
        let gy = (0..<channels).map { _ in Int(next() % 96) }
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<channels {
                    let v = base[c] + gx[c] * x / max(width - 1, 1) + gy[c] * y / max(height - 1, 1)
                    px[(y * width + x) * channels + c] = UInt8(min(v, 255))
                }
            }
        }
        for _ in 0..<3 {
            let x0 = Int(next() % UInt64(width)), y0 = Int(next() % UInt64(height))
            let x1 = min(width, x0 + 1 + Int(next() % UInt64(max(width / 2, 1))))
            let y1 = min(height, y0 + 1 + Int(next() % UInt64(max(height / 2, 1))))
            let colour = (0..<channels).map { _ in UInt8(truncatingIfNeeded: next()) }
            for y in y0..<y1 { for x in x0..<x1 { for c in 0..<channels { px[(y * width + x) * channels + c] = colour[c] } } }
        }
        return Image(width: width, height: height, channels: channels, pixels: px)
    }
}
