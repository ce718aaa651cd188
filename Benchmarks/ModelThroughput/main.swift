// Model throughput on this machine: forward (eval, no gradients) and training step (forward + backward +
// AdamW) images/s for a TinyViT config, at a given batch size and thread count. Used by
// Benchmarks/scripts/model-throughput.sh; prints one JSON line per measurement.
import Foundation
import Models

struct Options {
    var arch = "tinyvit-5m"
    var imageSize = 224
    var channels = 3
    var classes = 1000
    var batch = 32
    var threads = 2
    var seconds = 10.0
    var saveWeights: String?
    var fused = false
}

var options = Options()
var args = CommandLine.arguments.dropFirst().makeIterator()
while let flag = args.next() {
    guard let value = args.next() else { fatalError("missing value for \(flag)") }
    switch flag {
    case "--arch": options.arch = value
    case "--image-size": options.imageSize = Int(value)!
    case "--channels": options.channels = Int(value)!
    case "--classes": options.classes = Int(value)!
    case "--batch": options.batch = Int(value)!
    case "--threads": options.threads = Int(value)!
    case "--seconds": options.seconds = Double(value)!
    case "--save-weights": options.saveWeights = value
    case "--fused": options.fused = value == "1" || value == "true"
    default: fatalError("unknown option \(flag)")
    }
}

if ProcessInfo.processInfo.environment["TD_DEFAULT_MALLOC"] != "1" { Torch.keepFreedMemory() }  // as the CLI does
Torch.threads = options.threads
let arch = try Architecture.parse(options.arch, classes: options.classes, imageSize: options.imageSize,
                                  inChannels: options.channels)
let model = try Model(arch, seed: 1)
if let path = options.saveWeights {
    // Only write seeded weights (for benchmarks that need a teacher file), then stop.
    try model.saveWeights(to: path)
    exit(0)
}
let n = options.batch, c = options.channels, s = options.imageSize
let input = (0..<(n * c * s * s)).map { Float(sin(Double($0) * 0.001)) }
let k = min(10, options.classes)
let indices = (0..<(n * k)).map { Int32($0 % k) }
let values = [Float](repeating: 0.9 / Float(k), count: n * k)

@MainActor func measure(_ label: String, _ body: () throws -> Void) throws {
    try body()  // warm-up
    var images = 0
    let start = Date()
    repeat {
        try body()
        images += n
    } while Date().timeIntervalSince(start) < options.seconds
    let elapsed = Date().timeIntervalSince(start)
    let line: [String: Any] = ["arch": options.arch, "image_size": s, "channels": c, "batch": n, "threads": options.threads,
                               "mode": label, "fused": options.fused, "images_per_s": Double(images) / elapsed, "parameters": model.parameterCount]
    print(String(decoding: try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]), as: UTF8.self))
}

try model.setTraining(false)
try model.setFused(options.fused)
try measure("forward") { _ = try model.forward(input, n: n, c: c, h: s, w: s) }
let trainer = try Trainer(model: model)
try measure("train-step") {
    _ = try trainer.step(input: input, n: n, c: c, h: s, w: s, indices: indices, values: values, k: k, labels: nil,
                         learningRate: 1e-4, rngSeed: 1)
}
