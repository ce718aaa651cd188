// EfficientFormer's four latency observations, measured on this CPU (Benchmarks/scripts/latency-observations.sh).
// The cases and the timing loop live in the bridge (td_microbench.h); this program picks the grid (cases ×
// batch × threads), chooses the repetitions per measurement, and prints a Markdown table, the ratio behind
// each observation, and optionally JSON.
//
//   LatencyObservations [--batch 1,64] [--threads 1,2] [--iterations N] [--seconds S] [--warmup N]
//                       [--rounds N] [--cases name,prefix*,...] [--json PATH|-] [--list]
import CTorchMicrobench
import CTorchBridge
import Foundation

/// A failure of the bridge or of the command line.
enum BenchError: Error, CustomStringConvertible {
    case bridge(String, Int32, String)
    case usage(String)

    var description: String {
        switch self {
        case .bridge(let what, let code, let message): "\(what) failed (code \(code)): \(message)"
        case .usage(let message): "usage: \(message)"
        }
    }
}

/// One case the bridge offers.
struct BenchCase {
    let name: String
    let observation: Int
    let description: String
    let macsPerSample: Int64
}

/// One timed configuration of a case.
struct Measurement: Codable {
    let name: String
    let observation: Int
    let batch: Int
    let threads: Int
    let iterations: Int
    let medianMs: Double
    let minMs: Double
    /// Median of each round (spread between them shows how steady the machine was).
    let roundMediansMs: [Double]
    let gmacPerS: Double?
}

/// Command-line options.
struct Options {
    var batches = [1, 64]
    var threads = [1, 2]
    /// Fixed repetitions; nil chooses them from `seconds` after a short calibration.
    var iterations: Int?
    /// Target timed seconds per measurement when `iterations` is nil.
    var seconds = 1.5
    var warmup = 3
    /// Interleaved rounds over all cases; the reported median is the median of the round medians.
    var rounds = 3
    var filters: [String] = []
    var json: String?
    var list = false

    static func parse(_ arguments: [String]) throws(BenchError) -> Options {
        var options = Options()
        var rest = arguments.makeIterator()
        func value(_ flag: String) throws(BenchError) -> String {
            guard let v = rest.next() else { throw .usage("missing value for \(flag)") }
            return v
        }
        func ints(_ flag: String) throws(BenchError) -> [Int] {
            let list = try value(flag).split(separator: ",").map { Int($0) }
            guard !list.isEmpty, list.allSatisfy({ ($0 ?? 0) > 0 }) else { throw .usage("\(flag) takes positive integers") }
            return list.map { $0! }
        }
        while let flag = rest.next() {
            switch flag {
            case "--batch": options.batches = try ints(flag)
            case "--threads": options.threads = try ints(flag)
            case "--iterations": options.iterations = try ints(flag)[0]
            case "--warmup":
                guard let n = Int(try value(flag)), n >= 0 else { throw .usage("--warmup takes an integer ≥ 0") }
                options.warmup = n
            case "--seconds":
                guard let s = Double(try value(flag)), s > 0 else { throw .usage("--seconds takes a positive number") }
                options.seconds = s
            case "--rounds": options.rounds = try ints(flag)[0]
            case "--cases": options.filters = try value(flag).split(separator: ",").map(String.init)
            case "--json": options.json = try value(flag)
            case "--list": options.list = true
            default: throw .usage("unknown option \(flag)")
            }
        }
        return options
    }

    /// Whether `name` passes the --cases filters (exact names, or prefixes ending in "*").
    func selects(_ name: String) -> Bool {
        filters.isEmpty || filters.contains { $0.hasSuffix("*") ? name.hasPrefix($0.dropLast()) : name == $0 }
    }
}

/// Calls into the bridge.
enum Bridge {
    static func check(_ code: Int32, _ what: String) throws(BenchError) {
        guard code == 0 else { throw .bridge(what, code, String(cString: td_last_error())) }
    }

    static func cases() throws(BenchError) -> [BenchCase] {
        var result: [BenchCase] = []
        for index in 0..<td_microbench_count() {
            var name: UnsafePointer<CChar>?, description: UnsafePointer<CChar>?
            var observation: Int32 = 0, macs: Int64 = 0
            try check(td_microbench_describe(index, &name, &observation, &description, &macs), "describe case \(index)")
            result.append(BenchCase(name: String(cString: name!), observation: Int(observation),
                                    description: String(cString: description!), macsPerSample: macs))
        }
        return result
    }

    /// Median and minimum milliseconds of one pass.
    static func run(_ name: String, batch: Int, threads: Int, warmup: Int, iterations: Int)
        throws(BenchError) -> (median: Double, min: Double)
    {
        var median = 0.0, minimum = 0.0
        try check(td_microbench_run(name, Int64(batch), Int32(threads), Int32(warmup), Int32(iterations), &median, &minimum),
                  "\(name) at batch \(batch), \(threads) threads")
        return (median, minimum)
    }
}

/// A comparison behind one observation: `slow` over `fast` (> 1 means the paper's claim holds on this CPU).
struct Comparison {
    let observation: Int
    let slow: String
    let fast: String
    let claim: String
}

let comparisons = [
    Comparison(observation: 1, slow: "patchify16-c48", fast: "stem4-c48",
               claim: "16×16 s16 patchify vs the stride-4 3×3 s2 stem (EfficientFormer-L1), C=48"),
    Comparison(observation: 1, slow: "patchify16-c48", fast: "stem16-c48",
               claim: "16×16 s16 patchify vs four 3×3 s2 convs to stride 16, C=48"),
    Comparison(observation: 1, slow: "patchify16-c192", fast: "stem16-c192",
               claim: "16×16 s16 patchify vs four 3×3 s2 convs to stride 16, C=192"),
    Comparison(observation: 1, slow: "stem4-c48-bn", fast: "stem4-c48", claim: "stride-4 stem with BN unfolded vs folded"),
    Comparison(observation: 2, slow: "meta4d-c48-56", fast: "meta4d-nhwc-c48-56", claim: "4D NCHW vs 4D NHWC, C=48 56×56"),
    Comparison(observation: 2, slow: "meta4d-c224-14", fast: "meta4d-nhwc-c224-14", claim: "4D NCHW vs 4D NHWC, C=224 14×14"),
    Comparison(observation: 2, slow: "reshape-view-c48-56", fast: "meta4d-c48-56", claim: "4D↔3D views vs staying 4D, C=48 56×56"),
    Comparison(observation: 2, slow: "reshape-copy-c48-56", fast: "meta4d-c48-56", claim: "4D↔3D copies vs staying 4D, C=48 56×56"),
    Comparison(observation: 2, slow: "reshape-view-c224-14", fast: "meta4d-c224-14", claim: "4D↔3D views vs staying 4D, C=224 14×14"),
    Comparison(observation: 2, slow: "reshape-copy-c224-14", fast: "meta4d-c224-14", claim: "4D↔3D copies vs staying 4D, C=224 14×14"),
    Comparison(observation: 3, slow: "mlp-lnlinear-c48-56", fast: "mlp-folded-c48-56", claim: "LN + Linear MLP vs folded Conv-BN MLP, C=48 56×56"),
    Comparison(observation: 3, slow: "mlp-lnlinear-c224-14", fast: "mlp-folded-c224-14", claim: "LN + Linear MLP vs folded Conv-BN MLP, C=224 14×14"),
    Comparison(observation: 3, slow: "mlp-convbn-c48-56", fast: "mlp-folded-c48-56", claim: "unfolded vs folded Conv-BN MLP, C=48 56×56"),
    Comparison(observation: 3, slow: "mlp-convbn-c224-14", fast: "mlp-folded-c224-14", claim: "unfolded vs folded Conv-BN MLP, C=224 14×14"),
    Comparison(observation: 4, slow: "gelu-192x56x56", fast: "relu-192x56x56", claim: "GELU vs ReLU alone, N×192×56×56"),
    Comparison(observation: 4, slow: "gelu-896x14x14", fast: "relu-896x14x14", claim: "GELU vs ReLU alone, N×896×14×14"),
    Comparison(observation: 4, slow: "mlp-folded-c48-56", fast: "mlp-relu-c48-56", claim: "GELU MLP vs ReLU MLP, C=48 56×56"),
    Comparison(observation: 4, slow: "mlp-folded-c224-14", fast: "mlp-relu-c224-14", claim: "GELU MLP vs ReLU MLP, C=224 14×14"),
]

/// GELU's share of the MLP time: elementwise GELU time over the GELU MLP's time, per shape.
let geluShares = [("gelu-192x56x56", "mlp-folded-c48-56"), ("gelu-896x14x14", "mlp-folded-c224-14")]

func format(_ value: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", value) }

@main
struct LatencyObservations {
    static func main() {
        do {
            try run(Array(CommandLine.arguments.dropFirst()))
        } catch {
            FileHandle.standardError.write(Data("LatencyObservations: \(error)\n".utf8))
            exit(1)
        }
    }

    static func run(_ arguments: [String]) throws {
        let options = try Options.parse(arguments)
        let all = try Bridge.cases()
        let selected = all.filter { options.selects($0.name) }
        if options.list {
            for c in all { print("\(c.name)\t(\(c.observation))\t\(c.description)") }
            return
        }
        guard !selected.isEmpty else { throw BenchError.usage("--cases selects nothing (see --list)") }

        print("<!-- \(String(cString: td_microbench_environment()).split(separator: "\n").joined(separator: "; ")) -->")
        print("<!-- GLIBC_TUNABLES=\(ProcessInfo.processInfo.environment["GLIBC_TUNABLES"] ?? "") -->")
        print("<!-- load average at start: \(loadAverage()) -->")
        // Rounds interleave the cases (all cases of one batch/threads configuration, then the next), so load
        // from other processes that comes and goes hits the compared cases alike; each round times
        // iterations/rounds passes and the result is the median of the round medians.
        struct Entry {
            let bench: BenchCase
            let batch: Int
            let threads: Int
            var iterations = 0
            var warmup = 0
            var medians: [Double] = []
            var minimum = Double.infinity
        }
        var entries: [Entry] = []
        for batch in options.batches {
            for threads in options.threads {
                for c in selected { entries.append(Entry(bench: c, batch: batch, threads: threads)) }
            }
        }
        for round in 0..<options.rounds {
            FileHandle.standardError.write(Data("round \(round + 1)/\(options.rounds), load \(loadAverage())\n".utf8))
            for i in entries.indices {
                let e = entries[i]
                if round == 0 {
                    // A short probe sets the repetitions (about --seconds of timed passes, at least 3 per round)
                    // and caps the per-round warm-up at about 0.25 s for the slow batch-64 cases.
                    var total = options.iterations ?? 0
                    entries[i].warmup = options.warmup
                    if total == 0 {
                        let probe = try Bridge.run(e.bench.name, batch: e.batch, threads: e.threads, warmup: 1, iterations: 2)
                        let ms = max(probe.median, 1e-3)
                        total = max(3 * options.rounds, min(2000, Int(options.seconds * 1000 / ms)))
                        entries[i].warmup = max(1, min(options.warmup, Int(250 / ms)))
                    }
                    entries[i].iterations = max(3, (total + options.rounds - 1) / options.rounds)
                }
                let t = try Bridge.run(e.bench.name, batch: e.batch, threads: e.threads, warmup: entries[i].warmup,
                                       iterations: entries[i].iterations)
                entries[i].medians.append(t.median)
                entries[i].minimum = min(entries[i].minimum, t.min)
                FileHandle.standardError.write(Data(("  \(e.bench.name) b\(e.batch) t\(e.threads): \(format(t.median)) ms"
                                                     + " (load \(loadAverage()))\n").utf8))
            }
        }

        print("| obs | case | batch | threads | median ms | min ms | round spread | GMAC/s | reps |")
        print("|---|---|---|---|---|---|---|---|---|")
        var results: [Measurement] = []
        for c in selected {
            for e in entries where e.bench.name == c.name {
                let sorted = e.medians.sorted()
                let mid = sorted.count / 2
                let median = sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
                let spread = (sorted.last! - sorted.first!) / median
                let gmac = c.macsPerSample > 0 ? Double(c.macsPerSample) * Double(e.batch) / (median * 1e6) : nil
                let reps = e.iterations * options.rounds
                results.append(Measurement(name: c.name, observation: c.observation, batch: e.batch, threads: e.threads,
                                           iterations: reps, medianMs: median, minMs: e.minimum, roundMediansMs: e.medians,
                                           gmacPerS: gmac))
                print("| \(c.observation) | \(c.name) | \(e.batch) | \(e.threads) | \(format(median)) | \(format(e.minimum)) "
                      + "| \(format(100 * spread, 0)) % | \(gmac.map { format($0, 1) } ?? "–") | \(reps) |")
            }
        }
        print("<!-- load average at end: \(loadAverage()) -->")
        printRatios(results, options: options)
        printCases(selected)
        if let path = options.json { try writeJSON(results, to: path) }
    }

    /// /proc/loadavg's first three fields: other processes on the two cores skew the 2-thread timings most.
    static func loadAverage() -> String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "unknown" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    static func median(_ results: [Measurement], _ name: String, _ batch: Int, _ threads: Int) -> Double? {
        results.first { $0.name == name && $0.batch == batch && $0.threads == threads }?.medianMs
    }

    static func printRatios(_ results: [Measurement], options: Options) {
        print("\n### Ratios (median / median; > 1 means the first is slower)\n")
        let configs = options.batches.flatMap { b in options.threads.map { (b, $0) } }
        print("| obs | comparison | " + configs.map { "b\($0.0) t\($0.1)" }.joined(separator: " | ") + " |")
        print("|---|---|" + String(repeating: "---|", count: configs.count))
        for comparison in comparisons {
            let ratios = configs.map { b, t -> String in
                guard let slow = median(results, comparison.slow, b, t), let fast = median(results, comparison.fast, b, t)
                else { return "–" }
                return format(slow / fast, 2) + "×"
            }
            guard ratios.contains(where: { $0 != "–" }) else { continue }
            print("| \(comparison.observation) | \(comparison.claim) (\(comparison.slow) / \(comparison.fast)) | "
                  + ratios.joined(separator: " | ") + " |")
        }
        for (gelu, mlp) in geluShares {
            let shares = configs.map { b, t -> String in
                guard let g = median(results, gelu, b, t), let m = median(results, mlp, b, t) else { return "–" }
                return format(100 * g / m, 1) + " %"
            }
            guard shares.contains(where: { $0 != "–" }) else { continue }
            print("| 4 | GELU alone as a share of the GELU MLP (\(gelu) / \(mlp)) | " + shares.joined(separator: " | ") + " |")
        }
        print("")
        for comparison in comparisons {
            for (b, t) in configs {
                guard let slow = median(results, comparison.slow, b, t), let fast = median(results, comparison.fast, b, t)
                else { continue }
                let r = slow / fast
                let verdict = r >= 1 ? "\(format(r, 2))× slower than" : "\(format(1 / r, 2))× faster than"
                print("- (\(comparison.observation)) \(comparison.slow) is \(verdict) \(comparison.fast) at batch \(b), \(t) thread\(t == 1 ? "" : "s")")
            }
        }
    }

    static func printCases(_ cases: [BenchCase]) {
        print("\n### Cases\n")
        for c in cases {
            let macs = c.macsPerSample > 0 ? ", \(format(Double(c.macsPerSample) / 1e6, 1)) MMAC/sample" : ""
            print("- `\(c.name)` (observation \(c.observation)): \(c.description)\(macs)")
        }
    }

    static func writeJSON(_ results: [Measurement], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data = try encoder.encode(results)
        if path == "-" {
            print(String(decoding: data, as: UTF8.self))
        } else {
            try data.write(to: URL(fileURLWithPath: path))
        }
    }
}
