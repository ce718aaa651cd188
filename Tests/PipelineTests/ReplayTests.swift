import Augment
import Images
import Testing
@testable import Pipeline

@Suite struct ReplayTests {
    /// DCT-scaled decoding is deterministic, differs from full-size decoding only by resampling
    /// detail, and is used only when the crop is at least twice the output.
    @Test func scaledJPEGReplayIsDeterministicAndClose() throws {
        let big = try SyntheticImageSource(count: 1, width: 1200, height: 900, seed: 5).image(0)
        let jpeg = try JPEG.encode(big, quality: 90)
        // Geometry only (crop, resize, flip): photometric ops amplify resampling differences (solarize,
        // equalize), so closeness is measured on every seed's plain view.
        var policy = AugmentPolicy.tinyViT(outputSize: 64)
        policy.randAugment = nil
        policy.erasing = nil
        let fast = Replay(policy: policy), exact = Replay(policy: policy, dctScaling: false)
        var scaledCompared = 0
        for seed in UInt64(0)..<24 {
            let (a, params) = try fast.render(bytes: jpeg, path: "big.jpg", seed: seed)
            let (b, _) = try fast.render(bytes: jpeg, path: "big.jpg", seed: seed)
            #expect(a == b)
            let (full, _) = try exact.render(bytes: jpeg, path: "big.jpg", seed: seed)
            let d = JPEG.scaleDenominator(cropWidth: params.crop.width, cropHeight: params.crop.height, outWidth: 64, outHeight: 64)
            let mean = zip(a.pixels, full.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +) / a.pixels.count
            #expect(mean <= 6, "seed \(seed), 1/\(d)")
            if d > 1 {
                scaledCompared += 1
                #expect(a != full, "seed \(seed): a 1/\(d) decode cannot equal the full decode bit for bit")
            } else {
                #expect(a == full, "seed \(seed): without scaling both paths decode the same pixels")
            }
        }
        // Most crops of a 1200×900 image are at least twice 64 px: the scaled path was really compared.
        #expect(scaledCompared >= 12)
    }
}
