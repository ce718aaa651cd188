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
        let policy = AugmentPolicy.tinyViT(outputSize: 64)
        let fast = Replay(policy: policy), exact = Replay(policy: policy, dctScaling: false)
        var scaledUsed = 0
        for seed in UInt64(0)..<24 {
            let (a, params) = try fast.render(bytes: jpeg, path: "big.jpg", seed: seed)
            let (b, _) = try fast.render(bytes: jpeg, path: "big.jpg", seed: seed)
            #expect(a == b)
            let (full, _) = try exact.render(bytes: jpeg, path: "big.jpg", seed: seed)
            let d = JPEG.scaleDenominator(cropWidth: params.crop.width, cropHeight: params.crop.height, outWidth: 64, outHeight: 64)
            if d > 1 { scaledUsed += 1 }
            // Photometric ops amplify differences (solarize, equalize); compare only plain views.
            if params.steps.allSatisfy({ !$0.applied }) && params.erase == nil {
                let mean = zip(a.pixels, full.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +) / a.pixels.count
                #expect(mean <= 6, "seed \(seed), 1/\(d)")
            }
        }
        #expect(scaledUsed > 0)
    }
}
