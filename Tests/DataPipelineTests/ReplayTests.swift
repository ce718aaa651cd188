import Augment
import Images
import Testing
@testable import DataPipeline
import ModelJobs

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

    /// Decoding only the crop box gives the same bits as decoding the whole (scaled) image and then
    /// cropping, for every scale the crops pick, the full policy included, 4:2:0 and 4:4:4 and gray.
    @Test(arguments: [(90, 3, 0), (75, 1, 0)])
    func regionDecodingGivesTheFullDecodesOutput(quality: Int, channels: Int, _: Int) throws {
        let big = try SyntheticImageSource(count: 1, width: 901, height: 677, channels: channels, seed: 8).image(0)
        let jpeg = try JPEG.encode(big, quality: quality)
        for size in [64, 224] {
            let policy = AugmentPolicy.tinyViT(outputSize: size)
            let region = Replay(policy: policy), whole = Replay(policy: policy, regionDecoding: false)
            var scales = Set<Int>()
            for seed in UInt64(0)..<40 {
                let (a, params) = try region.render(bytes: jpeg, path: "big.jpg", seed: seed)
                let (b, _) = try whole.render(bytes: jpeg, path: "big.jpg", seed: seed)
                #expect(a == b, "seed \(seed) at \(size): region decoding changed the pixels")
                scales.insert(JPEG.scaleDenominator(cropWidth: params.crop.width, cropHeight: params.crop.height,
                                                    outWidth: size, outHeight: size))
            }
            #expect(scales.count >= 2, "at \(size) the crops used scales \(scales)")
        }
    }
}
