import Foundation
import GRDB
@testable import Store

/// A fresh temporary directory, removed by the caller via `cleanup()`.
struct TempDir {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tinydistill-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func cleanup() { try? FileManager.default.removeItem(at: url) }
}

/// Deterministic test randomness.
struct TestRNG: RandomNumberGenerator {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Metadata for a test store.
func testMetadata(
    c: Int, k: Int, codec: ValueCodec = .fp16, epochs: Int = 2, samples: Int = 1000, chunk: Int = 64, seed: UInt64 = 1
) -> StoreMetadata {
    StoreMetadata(
        numClasses: c, topK: k, valueCodec: codec, epochs: epochs, chunkRecords: chunk, runSeed: seed,
        teacher: .init(architecture: "test", weightsHash: "0"),
        dataset: .init(source: "test:\(samples)", sampleCount: samples, fingerprint: "f"))
}

/// A random record with K distinct classes and probabilities summing to at most 1.
func randomRecord(epoch: Int, sample: Int, c: Int, k: Int, rng: inout TestRNG, derivedSeed: UInt64?) -> TargetRecord {
    var classes = Set<UInt32>()
    while classes.count < k { classes.insert(UInt32.random(in: 0..<UInt32(c), using: &rng)) }
    var w = (0..<k).map { _ in Double.random(in: 0...1, using: &rng) }
    w = w.map { pow($0, 4) }  // skewed, teacher-like
    let mass = Double.random(in: 0.3...1, using: &rng)
    let total = w.reduce(0, +) + 1e-9
    let probs = w.map { Float($0 / total * mass) }
    // Sometimes ties, to exercise canonical ordering.
    var p = probs
    if k >= 2, Bool.random(using: &rng) { p[1] = p[0] / 2; p[0] = p[1] }
    return TargetRecord(
        epoch: epoch, sampleID: sample, seed: derivedSeed ?? UInt64.random(in: 0...UInt64.max, using: &rng),
        indices: Array(classes).shuffled(using: &rng), probabilities: p)
}

/// What a record reads back as under `codec`: canonical order, values as stored.
func canonical(_ r: TargetRecord, codec: ValueCodec) -> TargetRecord {
    let codes = codec == .q8 ? Fidelity.quantizeQ8(r.probabilities) : r.probabilities.map { codec.code(min($0, 1)) }
    let order = (0..<r.indices.count).sorted { a, b in
        codes[a] != codes[b] ? codes[a] > codes[b] : r.indices[a] < r.indices[b]
    }
    return TargetRecord(
        epoch: r.epoch, sampleID: r.sampleID, seed: r.seed, indices: order.map { r.indices[$0] },
        probabilities: order.map { codec.value(codes[$0]) })
}

/// Runs raw SQL against a store file (to damage it on purpose).
func withRawDatabase(_ path: String, _ body: (Database) throws -> Void) throws {
    let q = try DatabaseQueue(path: path)
    try q.writeWithoutTransaction(body)
    try q.close()
}
