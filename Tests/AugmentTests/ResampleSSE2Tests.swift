import DetCore
import Testing
@testable import Augment

/// The vectorised resize gives the bytes of Pillow's loops written plainly (the scalar reference below:
/// per channel, per tap, 32-bit wrapping sums, clip), for random sizes, crops that end at the last byte of
/// the buffer (where the 4-byte loads must fall back), up- and downscaling, both filters, 1 and 3 channels.
@Suite struct ResampleSSE2Tests {
    /// Pillow's two passes, one channel value at a time.
    static func reference(_ src: [UInt8], width w: Int, channels c: Int, crop: (x: Int, y: Int, width: Int, height: Int),
                          toWidth ow: Int, height oh: Int, kind: AugmentPolicy.Interpolation) -> [UInt8] {
        let half: Int32 = 1 << (Resample.precisionBits - 1)
        var cur = [UInt8](repeating: 0, count: ow * crop.height * c)
        let (hb, hk, hw) = Resample.coefficients(inSize: crop.width, outSize: ow, kind: kind)
        for y in 0..<crop.height {
            for xx in 0..<ow {
                for ch in 0..<c {
                    var ss = half
                    for t in 0..<hb[xx * 2 + 1] {
                        let px = src[((crop.y + y) * w + crop.x + hb[xx * 2] + t) * c + ch]
                        ss &+= Int32(px) &* hw[xx * hk + t]
                    }
                    cur[(y * ow + xx) * c + ch] = Resample.clip8(ss)
                }
            }
        }
        var out = [UInt8](repeating: 0, count: ow * oh * c)
        let (vb, vk, vw) = Resample.coefficients(inSize: crop.height, outSize: oh, kind: kind)
        for yy in 0..<oh {
            for x in 0..<(ow * c) {
                var ss = half
                for t in 0..<vb[yy * 2 + 1] { ss &+= Int32(cur[(vb[yy * 2] + t) * ow * c + x]) &* vw[yy * vk + t] }
                out[yy * ow * c + x] = Resample.clip8(ss)
            }
        }
        return out
    }

    @Test(arguments: 0..<40)
    func vectorisedResizeEqualsTheScalarReference(_ trial: Int) {
        var rng = SplitMix(seed: UInt64(9_000 + trial))
        func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(rng.next() % UInt64(r.count)) }
        let c = trial % 4 == 0 ? 1 : 3
        let w = int(8...120), h = int(8...90)
        // Every fourth crop reaches the image's last row and column, so the last taps sit at the buffer's end.
        let cw = int(1...w), chh = int(1...h)
        let cx = trial % 4 == 1 ? w - cw : int(0...(w - cw)), cy = trial % 4 == 1 ? h - chh : int(0...(h - chh))
        let ow = trial % 3 == 0 ? cw : int(1...160), oh = trial % 5 == 0 ? chh : int(1...130)
        let kind: AugmentPolicy.Interpolation = trial % 2 == 0 ? .bicubic : .bilinear
        // Extremes (0 and 255) more often than uniform bytes would give, to reach the clipping on both sides.
        let pixels = (0..<(w * h * c)).map { _ -> UInt8 in
            let r = rng.next()
            return r % 4 == 0 ? 0 : r % 4 == 1 ? 255 : UInt8(truncatingIfNeeded: r >> 8)
        }
        let got = Resample.resize(pixels, width: w, height: h, channels: c, crop: (cx, cy, cw, chh), toWidth: ow, height: oh, kind: kind)
        let want = Self.reference(pixels, width: w, channels: c, crop: (cx, cy, cw, chh), toWidth: ow, height: oh, kind: kind)
        #expect(got == want, "\(w)x\(h)x\(c) crop \((cx, cy, cw, chh)) → \(ow)x\(oh) \(kind)")
    }
}
