import Augment
import Benchmark
import Images
import DataPipeline

// Decode + the full default policy (TinyViT recipe: RandomResizedCrop, flip, RandAugment
// rand-m9-mstd0.5-inc1, random erasing) to 224×224, from 500×375 JPEGs of quality 90, one thread.
// One iteration = one image (a new seed each time, cycling through 32 images); throughput reads as
// images/s per core. The images are synthetic (gradients, rectangles and ±24 pixel noise, so the
// JPEG entropy is photo-like: about 1.6 bits/pixel); see README.
//
// Run: swift package --allow-writing-to-package-directory benchmark --target AugmentBenchmarks

func makeJPEGs() -> [[UInt8]] {
    let src = try! SyntheticImageSource(count: 32, width: 500, height: 375, channels: 3, seed: 11)
    return (0..<32).map { i in
        var img = try! src.image(i)
        var state: UInt64 = 0x9E37_79B9 &* UInt64(i + 1)
        for p in 0..<img.pixels.count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let noise = Int(state >> 59) * 3 - 24
            img.pixels[p] = UInt8(min(max(Int(img.pixels[p]) + noise, 0), 255))
        }
        return try! JPEG.encode(img, quality: 90)
    }
}

final class State: @unchecked Sendable {
    var jpegs: [[UInt8]] = []
    var next: UInt64 = 0
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .peakMemoryResident],
        timeUnits: .milliseconds,
        maxDuration: .seconds(10),
        maxIterations: 2000)
    for scaled in [true, false] {
        let state = State()
        let replay = Replay(policy: .tinyViT(outputSize: 224), dctScaling: scaled)
        Benchmark(
            "decode+augment 500x375 q90 -> 224 \(scaled ? "DCT-scaled" : "full decode")",
            closure: { _ in
                let i = Int(state.next % 32)
                let (out, _) = try replay.render(bytes: state.jpegs[i], path: "bench.jpg", seed: state.next)
                blackHole(out.pixels[out.pixels.count - 1])
                state.next += 1
            },
            setup: { state.jpegs = makeJPEGs() })
    }
}
