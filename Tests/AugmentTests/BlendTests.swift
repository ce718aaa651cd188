import DetCore
import Testing
@testable import Augment

/// The vectorised blend gives Pillow's ImagingBlend bytes (float32 a + α·(b − a), truncated inside
/// [0, 1], clipped outside), for factors inside, at the ends of and outside [0, 1], and for lengths with
/// and without a tail after the last 16-byte block.
@Suite struct BlendTests {
    @Test(arguments: [0.0, 1.0, 0.37, 0.9999, 1.9, 1.0001, -0.3, 2.7, 0.1])
    func blendEqualsPillowsFormula(_ factor: Double) {
        var rng = SplitMix(seed: UInt64(factor.bitPattern))
        for (w, h, c) in [(7, 5, 3), (16, 1, 1), (33, 9, 3), (224, 3, 3)] {
            let n = w * h * c
            let img = Image(width: w, height: h, channels: c, pixels: (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            let degenerate = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let alpha = Float(factor)
            let want = (0..<n).map { i -> UInt8 in
                let a = Int32(degenerate[i]), b = Int32(img.pixels[i])
                let v = Float(a) + alpha * Float(b - a)
                if alpha >= 0 && alpha <= 1 { return UInt8(truncatingIfNeeded: Int32(v)) }
                return v <= 0 ? 0 : v >= 255 ? 255 : UInt8(v)
            }
            #expect(PixelOps.blend(degenerate, img, factor).pixels == want, "\(w)x\(h)x\(c)")
        }
    }
}
