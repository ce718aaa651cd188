import Foundation
import Testing
@testable import Store

/// Stores of sampled targets: what is written reads back, records are padded to min(N, C) slots, and
/// everything that would break the format is refused.
@Suite struct SampledStoreTests {
    func sampledMetadata(c: Int, draws: Int, temperature: Double = 1, codec: ValueCodec = .fp16, samples: Int = 300,
                         chunk: Int = 64, seed: UInt64 = 1) -> StoreMetadata {
        let targets = SampledTargets(draws: draws, temperature: temperature)
        var meta = testMetadata(c: c, k: targets.slots(numClasses: c), codec: codec, epochs: 2, samples: samples, chunk: chunk, seed: seed)
        meta.targets = targets
        return meta
    }

    /// A random distribution over `c` classes with a heavy tail.
    func distribution(_ c: Int, rng: inout TestRNG) -> [Float] {
        let w = (0..<c).map { _ in pow(Double.random(in: 0...1, using: &rng), 6) }
        let z = w.reduce(0, +) + 1e-12
        return w.map { Float($0 / z) }
    }

    @Test(arguments: 0..<12)
    func drawnRecordsReadBackWithTheirCountsAndPadding(trial: Int) throws {
        var rng = TestRNG(UInt64(trial) &* 31 &+ 5)
        let c = [2, 10, 255, 1000, 21_841, 70_000][trial % 6]
        let draws = [1, 3, 12, 40, 300][Int.random(in: 0..<5, using: &rng)]
        let temperature = trial % 3 == 2 ? 2.0 : 1
        let codec = ValueCodec.allCases[trial % 2]
        let samples = Int.random(in: 1...(c > 5000 ? 30 : 200), using: &rng)
        let meta = sampledMetadata(c: c, draws: draws, temperature: temperature, codec: codec, samples: samples,
                                   chunk: [1, 7, 64][trial % 3], seed: UInt64(trial))
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.path("s.tdstore")
        let writer = try StoreWriter(path: path, metadata: meta)
        var written: [Int: [Int: (classes: [UInt32], counts: [UInt16], values: [Float])]] = [:]
        let sampler = meta.targets!
        var scratch = SampledTargets.Scratch()
        for e in 0..<2 {
            for s in (0..<samples).shuffled(using: &rng) where Int.random(in: 0..<8, using: &rng) > 0 {
                let p = distribution(c, rng: &rng)
                let seed = SeedScheme.derive(runSeed: meta.runSeed, epoch: e, sample: s)
                let n = p.withUnsafeBufferPointer { sampler.draw(probabilities: $0, seed: seed, into: &scratch) }
                let classes = Array(scratch.classes[0..<n]), counts = Array(scratch.counts[0..<n])
                let values = Array(scratch.values[0..<n])
                try classes.withUnsafeBufferPointer { cl in
                    try counts.withUnsafeBufferPointer { co in
                        try values.withUnsafeBufferPointer { try writer.appendSampled(epoch: e, sampleID: s, seed: seed, classes: cl, counts: co, values: $0) }
                    }
                }
                written[e, default: [:]][s] = (classes, counts, values)
            }
        }
        try writer.close()

        let reader = try StoreReader(path: path)
        #expect(reader.metadata == meta)
        #expect(reader.metadata.targetKind == sampler.description)
        var seen = 0
        try reader.forEachChunk { cols in
            #expect(cols.k == sampler.slots(numClasses: c))
            #expect(cols.counts.count == cols.count * cols.k)
            for i in 0..<cols.count {
                let got = cols.record(at: i)
                let want = try #require(written[cols.epoch]?[got.sampleID])
                let drawn = got.drawnEntries
                #expect(drawn.classes == want.classes, "trial \(trial) epoch \(cols.epoch) sample \(got.sampleID)")
                #expect(drawn.counts == want.counts)
                if temperature == 1 {
                    #expect(drawn.values == want.counts.map { Float($0) / Float(draws) })
                } else {
                    // Stored in the value codec: within its rounding of the weights written.
                    for (a, b) in zip(drawn.values, want.values) { #expect(abs(a - b) <= (codec == .q8 ? 0.01 : 0.001), "\(a) vs \(b)") }
                }
                // The slots past the drawn classes are the lowest undrawn classes, at value 0 and count 0.
                let pad = zip(got.indices, got.counts!).filter { $0.1 == 0 }.map(\.0).sorted()
                let undrawn = (0..<UInt32(c)).lazy.filter { !want.classes.contains($0) }.prefix(cols.k - want.classes.count)
                #expect(pad == Array(undrawn))
                #expect(zip(got.probabilities, got.counts!).allSatisfy { $0.1 > 0 || $0.0 == 0 })
                seen += 1
            }
        }
        #expect(seen == written.values.reduce(0) { $0 + $1.count })
        let (e, recs) = try #require(written.first)
        let (s, want) = try #require(recs.first)
        #expect(try reader.record(epoch: e, sample: s)?.drawnEntries.classes == want.classes)
    }

    func append(_ w: StoreWriter, classes: [UInt32], counts: [UInt16], values: [Float], sample: Int = 0) throws {
        try classes.withUnsafeBufferPointer { cl in
            try counts.withUnsafeBufferPointer { co in
                try values.withUnsafeBufferPointer { try w.appendSampled(epoch: 0, sampleID: sample, seed: 1, classes: cl, counts: co, values: $0) }
            }
        }
    }

    @Test func recordsThatBreakTheDrawAreRefusedAndTheStoreStaysReadable() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.path("r.tdstore")
        let w = try StoreWriter(path: path, metadata: sampledMetadata(c: 100, draws: 8, samples: 10))
        try append(w, classes: [2, 5], counts: [6, 2], values: [0.75, 0.25], sample: 0)
        let bad: [(String, [UInt32], [UInt16], [Float])] = [
            ("sum to 7", [2, 5], [5, 2], [0.75, 0.25]),
            ("count 0", [2, 5], [8, 0], [1, 0]),
            ("not strictly ascending", [5, 2], [6, 2], [0.75, 0.25]),
            ("out of range", [2, 100], [6, 2], [0.75, 0.25]),
            ("1…8", [UInt32](0..<9), [UInt16](repeating: 1, count: 9), [Float](repeating: 0.1, count: 9)),
        ]
        for (why, classes, counts, values) in bad {
            #expect {
                try append(w, classes: classes, counts: counts, values: values, sample: 1)
            } throws: { "\($0)".contains(why) && "\($0)".contains("sample 1") }
        }
        #expect(throws: StoreError.self) {
            try w.append(TargetRecord(epoch: 0, sampleID: 2, seed: 1, indices: [1, 2, 3, 4, 5, 6, 7, 8], probabilities: [Float](repeating: 0.1, count: 8)))
        }
        try w.close()
        let r = try #require(try StoreReader(path: path).record(epoch: 0, sample: 0))
        #expect(r.drawnEntries.classes == [2, 5] && r.drawnEntries.counts == [6, 2])

        let topK = try StoreWriter(path: dir.path("t.tdstore"), metadata: testMetadata(c: 100, k: 2, samples: 10))
        #expect { try append(topK, classes: [2, 5], counts: [6, 2], values: [0.75, 0.25]) } throws: { "\($0)".contains("top-K") }
        try topK.close()
    }

    @Test func topKMetadataHasNoTargetsKeyAndSampledMetadataNamesIt() throws {
        let top = testMetadata(c: 10, k: 2)
        let json = String(decoding: try JSONEncoder().encode(top), as: UTF8.self)
        #expect(!json.contains("targets"))
        #expect(top.targetKind == "topk:2")
        let sampled = sampledMetadata(c: 1000, draws: 12, temperature: 2)
        let sjson = String(decoding: try JSONEncoder().encode(sampled), as: UTF8.self)
        #expect(sjson.contains(#""targets":{"#) && sjson.contains(#""kind":"sample""#) && sjson.contains(#""draws":12"#))
        #expect(try JSONDecoder().decode(StoreMetadata.self, from: Data(sjson.utf8)) == sampled)
        #expect(throws: Never.self) { try sampled.validate() }
        var wrongSlots = sampled
        wrongSlots.topK = 11
        #expect { try wrongSlots.validate() } throws: { "\($0)".contains("min(N, C) = 12") }
        // A resume compares the kind: top-K against sampled, and one sample setting against another.
        #expect(!top.differences(from: sampledMetadata(c: 10, draws: 2)).isEmpty)
        #expect(sampled.differences(from: sampledMetadata(c: 1000, draws: 12, temperature: 1)).contains { "\($0)".contains("targets") })
    }

    @Test func aSampledChunkReadAsTopKOrTheReverseIsRefused() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.path("k.tdstore")
        let w = try StoreWriter(path: path, metadata: sampledMetadata(c: 10, draws: 2, samples: 10))
        try append(w, classes: [2, 5], counts: [1, 1], values: [0.5, 0.5], sample: 0)
        try w.close()
        // Rewrite the metadata to claim top-K: the chunk's kind no longer matches the store's.
        try withRawDatabase(path) { db in
            let text = try String.fetchOne(db, sql: "SELECT document FROM metadata WHERE id = 1")!
            var meta = try JSONDecoder().decode(StoreMetadata.self, from: Data(text.utf8))
            meta.targets = nil
            let fixed = String(decoding: try JSONEncoder().encode(meta), as: UTF8.self)
            try db.execute(sql: "UPDATE metadata SET document = ? WHERE id = 1", arguments: [fixed])
        }
        #expect { _ = try StoreReader(path: path).record(epoch: 0, sample: 0) } throws: { error in
            "\(error)".contains("chunk holds sampled targets, the store says top-K")
        }
    }
}
