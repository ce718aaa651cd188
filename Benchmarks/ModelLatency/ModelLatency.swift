// Inference latency on this machine: one forward pass (eval, no gradients) at 224 px, 1000 classes, for
// each architecture × batch size × thread count, fused (BatchNorm folded into convolutions, attention
// biases gathered once) and unfused. Fused and unfused runs alternate rep by rep, so a noisy neighbour
// slows both alike and their ratio stays meaningful. Used by Benchmarks/scripts/model-latency.sh; prints a
// Markdown table (or JSON lines with --json).
//
//   ModelLatency [--arch a,b,…] [--batch 1,64] [--threads 1,2] [--reps-small 15] [--reps-large 3] [--json]
import Foundation
import Models

@main
struct ModelLatency {
    struct Options {
        var archs = ["tinyvit-5m", "tinyvit-11m", "tinyvit-21m", "efficientformer-l1", "efficientformer-l3", "efficientformer-l7"]
        var batches = [1, 64]
        var threads = [1, 2]
        var repsSmall = 15   // batch < 16
        var repsLarge = 3    // batch ≥ 16
        var json = false
    }

    /// One measurement: median and minimum milliseconds per forward.
    struct Row: Codable {
        var arch: String, parameters: Int, batch: Int, threads: Int
        var unfusedMedianMs: Double, unfusedMinMs: Double
        var fusedMedianMs: Double, fusedMinMs: Double
        var maxAbsDiff: Double
        var speedup: Double { unfusedMedianMs / fusedMedianMs }
        enum CodingKeys: String, CodingKey {
            case arch, parameters, batch, threads, maxAbsDiff = "max_abs_diff"
            case unfusedMedianMs = "unfused_median_ms", unfusedMinMs = "unfused_min_ms"
            case fusedMedianMs = "fused_median_ms", fusedMinMs = "fused_min_ms"
        }
    }

    static func parse() -> Options {
        var o = Options()
        var args = CommandLine.arguments.dropFirst().makeIterator()
        func ints(_ s: String) -> [Int] { s.split(separator: ",").map { Int($0)! } }
        while let flag = args.next() {
            if flag == "--json" { o.json = true; continue }
            guard let value = args.next() else { fatalError("missing value for \(flag)") }
            switch flag {
            case "--arch": o.archs = value.split(separator: ",").map(String.init)
            case "--batch": o.batches = ints(value)
            case "--threads": o.threads = ints(value)
            case "--reps-small": o.repsSmall = Int(value)!
            case "--reps-large": o.repsLarge = Int(value)!
            default: fatalError("unknown option \(flag)")
            }
        }
        return o
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    static func main() throws {
        let o = parse()
        // As the tinydistill CLI does (Torch.keepFreedMemory); TD_DEFAULT_MALLOC=1 measures glibc's default.
        if ProcessInfo.processInfo.environment["TD_DEFAULT_MALLOC"] != "1" { Torch.keepFreedMemory() }
        var rows: [Row] = []
        for name in o.archs {
            let model = try Model(try Architecture.parse(name, classes: 1000, imageSize: 224, inChannels: 3), seed: 1)
            try model.setTraining(false)
            for batch in o.batches {
                let input = (0..<(batch * 3 * 224 * 224)).map { Float(sin(Double($0) * 0.001)) }
                for threads in o.threads {
                    Torch.threads = threads
                    let reps = batch >= 16 ? o.repsLarge : o.repsSmall
                    func once(_ fused: Bool) throws -> (Double, [Float]) {
                        try model.setFused(fused)
                        let start = DispatchTime.now().uptimeNanoseconds
                        let out = try model.forward(input, n: batch, c: 3, h: 224, w: 224)
                        return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6, out)
                    }
                    // Warm-up (one of each; allocator and kernels), then alternate.
                    let (_, plainOut) = try once(false)
                    let (_, fusedOut) = try once(true)
                    var plain: [Double] = [], fused: [Double] = []
                    for _ in 0..<reps {
                        plain.append(try once(false).0)
                        fused.append(try once(true).0)
                    }
                    let diff = zip(plainOut, fusedOut).map { Double(abs($0 - $1)) }.max() ?? 0
                    let row = Row(arch: name, parameters: model.parameterCount, batch: batch, threads: threads,
                                  unfusedMedianMs: median(plain), unfusedMinMs: plain.min()!,
                                  fusedMedianMs: median(fused), fusedMinMs: fused.min()!, maxAbsDiff: diff)
                    rows.append(row)
                    if o.json {
                        let enc = JSONEncoder()
                        enc.outputFormatting = [.sortedKeys]
                        print(String(decoding: try enc.encode(row), as: UTF8.self))
                    } else {
                        FileHandle.standardError.write(Data(String(format: "%@ batch %d threads %d: unfused %.1f ms, fused %.1f ms\n",
                                                                   name, batch, threads, row.unfusedMedianMs, row.fusedMedianMs).utf8))
                    }
                }
            }
        }
        if !o.json {
            print("| model | params | batch | threads | unfused ms | fused ms | fused img/s | speed-up | max abs diff |")
            print("|---|---|---|---|---|---|---|---|---|")
            for r in rows {
                print(String(format: "| %@ | %.2f M | %d | %d | %.1f | %.1f | %.1f | %.2fx | %.1e |", r.arch, Double(r.parameters) / 1e6,
                             r.batch, r.threads, r.unfusedMedianMs, r.fusedMedianMs, Double(r.batch) * 1000 / r.fusedMedianMs,
                             r.speedup, r.maxAbsDiff))
            }
        }
    }
}
