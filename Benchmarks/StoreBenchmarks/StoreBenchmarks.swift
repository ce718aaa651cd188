import Benchmark
import Foundation
import DataPipeline
import Store

// Store write and read throughput with teacher-like records (the SyntheticTeacher generator:
// mean top-1 ≈ 0.5, top-10 mass ≈ 0.85 at C = 1000).
//
// One benchmark iteration = 1,000 records = exactly one chunk (these stores use 1,000 records per
// chunk so that the throughput metric, scaled by .kilo, reads as records/s). Records are generated
// before measuring; the measurement covers canonicalisation, validation, transforms, zstd, the
// checksum and the SQLite transaction (write), or the SQLite read, zstd, checksum and decode (read).
//
// Run: swift package --allow-writing-to-package-directory benchmark --target StoreBenchmarks

/// A pool of generated records for one (C, K).
final class RecordPool: @unchecked Sendable {
    let c: Int, k: Int
    let indices: [UInt32]
    let values: [Float]
    let count = 8192

    init(c: Int, k: Int) {
        self.c = c
        self.k = k
        let teacher = SyntheticTeacher(numClasses: c, maxK: k)
        var idx = [UInt32](repeating: 0, count: k)
        var p = [Float](repeating: 0, count: k)
        var allI: [UInt32] = []
        var allV: [Float] = []
        for s in 0..<count {
            teacher.topK(seed: SeedScheme.derive(runSeed: 1, epoch: 0, sample: s), label: s % c, indices: &idx, probabilities: &p)
            allI += idx
            allV += p
        }
        indices = allI
        values = allV
    }
}

func tempStore(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tinydistill-bench")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent("\(name)-\(UUID().uuidString).tdstore").path
    return path
}

func metadata(c: Int, k: Int, codec: ValueCodec, samples: Int) -> StoreMetadata {
    StoreMetadata(
        numClasses: c, topK: k, valueCodec: codec, epochs: 100_000, chunkRecords: 1000, runSeed: 1,
        teacher: .init(architecture: "synthetic", weightsHash: "bench"),
        dataset: .init(source: "synthetic:\(samples)", sampleCount: samples, fingerprint: "bench"))
}

/// Appends records `first..<first+n` (cycling through the pool) with derived seeds.
func append(_ w: StoreWriter, pool: RecordPool, first: Int, n: Int, samples: Int) throws {
    try pool.indices.withUnsafeBufferPointer { I in
        try pool.values.withUnsafeBufferPointer { V in
            for r in first..<(first + n) {
                let epoch = r / samples, sample = r % samples
                let j = (r % pool.count) * pool.k
                try w.append(
                    epoch: epoch, sampleID: sample, seed: SeedScheme.derive(runSeed: 1, epoch: epoch, sample: sample),
                    indices: UnsafeBufferPointer(rebasing: I[j..<(j + pool.k)]),
                    probabilities: UnsafeBufferPointer(rebasing: V[j..<(j + pool.k)]))
            }
        }
    }
}

/// State kept across the iterations of one benchmark.
final class BenchState: @unchecked Sendable {
    var pool: RecordPool?
    var writer: StoreWriter?
    var reader: StoreReader?
    var chunks: [ChunkInfo] = []
    var path = ""
    var next = 0
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .peakMemoryResident],
        timeUnits: .microseconds,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 3000)
    let samples = 1_000_000

    for (c, k) in [(1000, 10), (1000, 100), (21_841, 10), (21_841, 100)] {
        for codec in ValueCodec.allCases {
            let name = "K=\(k) C=\(c) \(codec.rawValue)"
            let w = BenchState()
            Benchmark(
                "write \(name)",
                closure: { _ in
                    try append(w.writer!, pool: w.pool!, first: w.next, n: 1000, samples: samples)
                    w.next += 1000
                },
                setup: {
                    w.pool = RecordPool(c: c, k: k)
                    w.path = tempStore("w")
                    w.writer = try StoreWriter(path: w.path, metadata: metadata(c: c, k: k, codec: codec, samples: samples))
                    w.next = 0
                },
                teardown: {
                    try w.writer?.close()
                    w.writer = nil
                    try? FileManager.default.removeItem(atPath: w.path)
                })

            let r = BenchState()
            Benchmark(
                "read \(name)",
                closure: { _ in
                    let info = r.chunks[r.next % r.chunks.count]
                    let cols = try r.reader!.chunk(epoch: info.epoch, chunk: info.chunk)
                    blackHole(cols.values[cols.values.count - 1])
                    r.next += 1
                },
                setup: {
                    let pool = RecordPool(c: c, k: k)
                    r.path = tempStore("r")
                    let writer = try StoreWriter(path: r.path, metadata: metadata(c: c, k: k, codec: codec, samples: samples))
                    try append(writer, pool: pool, first: 0, n: 200_000, samples: samples)
                    try writer.close()
                    r.reader = try StoreReader(path: r.path)
                    r.chunks = try r.reader!.chunks()
                    r.next = 0
                },
                teardown: {
                    r.reader = nil
                    try? FileManager.default.removeItem(atPath: r.path)
                })
        }
    }
}
