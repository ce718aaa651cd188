import DetCore
import Foundation
import Testing
@testable import Augment

/// Fixed outputs: any change of these bytes is a deliberate policy version bump (update the hashes
/// and say why in the commit).
@Suite struct GoldenTests {
    static func source(_ channels: Int) throws -> Image {
        let data = try PixelOpsParityTests.load(channels == 3 ? "src-rgb.raw" : "src-gray.raw")
        return Image(width: 61, height: 47, channels: channels, pixels: [UInt8](data))
    }

    static func render(_ src: Image, seeds: Range<UInt64>, policy: AugmentPolicy) -> (pixels: [UInt8], floats: [UInt8]) {
        let augmenter = Augmenter(policy: policy)
        var pixels: [UInt8] = []
        var floats: [UInt8] = []
        for seed in seeds {
            let params = AugParams.decode(seed: seed, policy: policy, width: src.width, height: src.height)
            let img = augmenter.pixels(src, params)
            pixels += img.pixels
            for f in augmenter.normalized(img, params) { withUnsafeBytes(of: f.bitPattern.littleEndian) { floats += $0 } }
        }
        return (pixels, floats)
    }

    static let expected: [Int: (String, String)] = [
        3: ("3ef0cc7d69f4c1b6582d096d4391ed5d6a8d2ede8d7b720a169e962a2ffee23b", "4e6f2bb1161bdf340efd91c5d7c7c683a8b3102ee13e6b80b04b66ea3e26ecb6"),
        1: ("22c51d5883f6da08cad6da05ee1b366c171d30dbbf47f0e88d500fa54b7eb50c", "f601876c0c25a066e8dd17788fd4257267357d9764c222c02da86acb58bca554"),
    ]

    @Test(arguments: [3, 1])
    func outputsOfFixedSeedsAreFixed(channels: Int) throws {
        let out = Self.render(try Self.source(channels), seeds: 0..<24, policy: .tinyViT(outputSize: 32))
        let (pixels, floats) = Self.expected[channels]!
        #expect(SHA256.hex(out.pixels) == pixels)
        #expect(SHA256.hex(out.floats) == floats)
    }

    @Test func sameBytesFromOneAndManyThreads() async throws {
        let src = try Self.source(3)
        let policy = AugmentPolicy.tinyViT(outputSize: 48)
        let serial = (0..<48).map { Self.render(src, seeds: UInt64($0)..<UInt64($0 + 1), policy: policy).pixels }
        let parallel = await withTaskGroup(of: (Int, [UInt8]).self) { group in
            for i in (0..<48).reversed() {
                group.addTask { (i, Self.render(src, seeds: UInt64(i)..<UInt64(i + 1), policy: policy).pixels) }
            }
            var out = [[UInt8]](repeating: [], count: 48)
            for await (i, p) in group { out[i] = p }
            return out
        }
        #expect(serial == parallel)
        #expect(Set(serial).count == 48)
    }
}

@Suite struct MixTests {
    @Test func mixupBlendsAndCutmixPastesTheBox() {
        var policy = AugmentPolicy.tinyViT(outputSize: 8)
        policy.mix = .init(mixupAlpha: 0.8, cutmixAlpha: 1.0, probability: 1, switchProbability: 0.5)
        let augmenter = Augmenter(policy: policy)
        let a = [Float](repeating: 1, count: 3 * 64), b = [Float](repeating: -1, count: 3 * 64)
        var sawMixup = false, sawCutmix = false
        for seed in UInt64(0)..<64 {
            let params = AugParams.decode(seed: seed, policy: policy, width: 20, height: 20)
            let m = params.mix!
            let out = augmenter.mixed(a, with: b, params: params, channels: 3)
            if m.cutmix {
                sawCutmix = true
                let pasted = out.filter { $0 == -1 }.count
                #expect(pasted == 3 * (m.box!.width * m.box!.height))
                // λ is this sample's share of the area.
                #expect(abs(Double(out.filter { $0 == 1 }.count) / Double(out.count) - m.lambda) < 1e-9)
            } else {
                sawMixup = true
                #expect(out.allSatisfy { abs(Double($0) - (2 * m.lambda - 1)) < 1e-5 })
            }
        }
        #expect(sawMixup && sawCutmix)
    }
}
