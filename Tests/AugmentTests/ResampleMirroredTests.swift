import DetCore
import Testing
@testable import Augment

/// `Resample.resize(…, mirrored: true)` is exactly a resize followed by a left-right flip, for every
/// path through it: both passes, only one, none, and gray images.
@Suite struct ResampleMirroredTests {
    static func image(_ w: Int, _ h: Int, _ c: Int) -> Image {
        var rng = SplitMix(seed: UInt64(w * 1000 + h * 10 + c))
        return Image(width: w, height: h, channels: c, pixels: (0..<(w * h * c)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
    }

    @Test(arguments: [
        (3, (5, 7, 40, 30), 24, 24),   // both passes
        (3, (0, 0, 61, 47), 61, 20),   // vertical only (same width)
        (3, (3, 2, 50, 33), 20, 33),   // horizontal only
        (3, (4, 4, 32, 32), 32, 32),   // a plain crop
        (3, (0, 0, 61, 47), 61, 47),   // the whole image, untouched
        (1, (2, 9, 37, 30), 16, 16),   // gray
        (1, (0, 0, 61, 47), 61, 47),
    ] as [(Int, (Int, Int, Int, Int), Int, Int)])
    func mirroredIsTheFlipOfTheResize(_ c: Int, _ box: (Int, Int, Int, Int), _ ow: Int, _ oh: Int) {
        let img = Self.image(61, 47, c)
        for kind in [AugmentPolicy.Interpolation.bicubic, .bilinear] {
            let plain = Resample.resize(img.pixels, width: img.width, height: img.height, channels: c, crop: box,
                                        toWidth: ow, height: oh, kind: kind)
            let flipped = Image(width: ow, height: oh, channels: c, pixels: plain).flippedHorizontally().pixels
            let mirrored = Resample.resize(img.pixels, width: img.width, height: img.height, channels: c, crop: box,
                                           toWidth: ow, height: oh, kind: kind, mirrored: true)
            #expect(mirrored == flipped, "\(kind) \(box) → \(ow)x\(oh)")
            #expect(mirrored != plain, "the case must be asymmetric to test anything")
        }
    }
}
