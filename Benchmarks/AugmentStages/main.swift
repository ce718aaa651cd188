// Per-stage timings of decode + augmentation on one 500×375 q90 JPEG (release build), for finding
// what to optimise: Benchmarks/scripts/augment-stages.sh. Times are means over repeated runs of each stage.
import DetCore
import Augment
import Foundation
import Images
import DataPipeline

let src = try! SyntheticImageSource(count: 1, width: 500, height: 375, channels: 3, seed: 11)
var img = try! src.image(0)
var state: UInt64 = 7
for p in 0..<img.pixels.count {
    state = state &* 6364136223846793005 &+ 1442695040888963407
    img.pixels[p] = UInt8(min(max(Int(img.pixels[p]) + Int(state >> 59) * 3 - 24, 0), 255))
}
let jpeg = try! JPEG.encode(img, quality: 90)
func time(_ name: String, _ n: Int, _ body: () -> Void) {
    let t = Date()
    for _ in 0..<n { body() }
    print(name.padding(toLength: 30, withPad: " ", startingAt: 0) + String(format: "%8.3f ms", Date().timeIntervalSince(t) * 1000 / Double(n)))
}
time("jpeg decode", 200) { _ = try! JPEG.decode(jpeg, path: "x") }
time("jpeg decode, 300x280 region", 200) {
    _ = try! JPEGDecoder.decodeRegion(jpeg, path: "x", denominator: 1, x0: 50, y0: 30, x1: 350, y1: 310)
}
// The whole replay (decode + full default policy at 224) over 200 seeds, with and without region decoding.
for regionDecoding in [false, true] {
    let replay = Replay(policy: .tinyViT(), regionDecoding: regionDecoding)
    var seed: UInt64 = 0
    time(regionDecoding ? "replay, region decoding" : "replay, whole decode", 200) {
        seed += 1
        _ = try! replay.render(bytes: jpeg, path: "x", seed: seed)
    }
}
let policy = AugmentPolicy.tinyViT()
time("params", 2000) { _ = AugParams.decode(seed: 5, policy: policy, width: 500, height: 375) }
let pb = Image(width: 500, height: 375, channels: 3, pixels: img.pixels)
let crop = pb.cropped(.init(x: 50, y: 30, width: 300, height: 280))
time("crop", 200) { _ = pb.cropped(.init(x: 50, y: 30, width: 300, height: 280)) }
time("resize 300x280->224", 200) { _ = Resample.resize(crop.pixels, width: 300, height: 280, channels: 3, toWidth: 224, height: 224, kind: .bicubic) }
time("  horizontal only 300->224", 200) { _ = Resample.resize(crop.pixels, width: 300, height: 280, channels: 3, toWidth: 224, height: 280, kind: .bicubic) }
time("  vertical only 280->224", 200) { _ = Resample.resize(crop.pixels, width: 300, height: 280, channels: 3, toWidth: 300, height: 224, kind: .bicubic) }
let out = Image(width: 224, height: 224, channels: 3, pixels: Resample.resize(crop.pixels, width: 300, height: 280, channels: 3, toWidth: 224, height: 224, kind: .bicubic))
time("flip", 200) { _ = out.flippedHorizontally() }
for op in RandAugmentOp.allCases {
    let step = AugParams.Step(op: op, applied: true, magnitude: 9, negative: false, argument: op.argument(magnitude: 9, negative: false))
    time(op.rawValue, 50) { _ = Augmenter.apply(step, to: out, kind: .bicubic, fill: [124, 116, 104]) }
}
let aug = Augmenter(policy: policy)
let params = AugParams.decode(seed: 5, policy: policy, width: 224, height: 224)
time("normalize", 200) { _ = aug.normalized(out, params) }
var rng = AugRNG(seed: 3)
var sink = 0.0
time("erase noise, 10,000 normals", 50) { for _ in 0..<10_000 { sink += rng.normal() } }
if sink.isNaN { print(sink) }
// Normalisation of a sample whose params erase a box, as the renderer runs it (the noise included): the
// largest box among the first 400 seeds.
func erasedArea(_ p: AugParams) -> Int { p.erase.map { $0.width * $0.height } ?? 0 }
var erasing = AugParams.decode(seed: 1, policy: policy, width: 224, height: 224)
for seed in 2...400 {
    let p = AugParams.decode(seed: UInt64(seed), policy: policy, width: 224, height: 224)
    if erasedArea(p) > erasedArea(erasing) { erasing = p }
}
time("normalize + erase \(erasing.erase!.width)x\(erasing.erase!.height)", 200) { _ = aug.normalized(out, erasing) }
var rrc = AugmentPolicy.tinyViT()
rrc.randAugment = nil
rrc.erasing = nil
let rrcReplay = Replay(policy: rrc)
var rseed: UInt64 = 0
time("replay, RRC + flip only", 200) {
    rseed += 1
    _ = try! rrcReplay.render(bytes: jpeg, path: "x", seed: rseed)
}
