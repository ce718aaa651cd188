import Foundation
import Testing
@testable import Store

@Suite struct StoreRoundTripTests {
    /// Random K (1…128), C (2…65,535 and beyond), codecs, chunk sizes, write orders, explicit or derived seeds.
    @Test(arguments: 0..<24)
    func recordsReadBackAsWritten(trial: Int) throws {
        var rng = TestRNG(UInt64(trial) &* 7919 &+ 11)
        let c = [2, 3, 255, 256, 257, 1000, 21_841, 65_535, 65_536, 70_000, 1 << 24][Int.random(in: 0..<11, using: &rng)]
        let k = Int.random(in: 1...min(128, c), using: &rng)
        let codec = ValueCodec.allCases[trial % 2]
        let chunk = [1, 7, 64, 500][Int.random(in: 0..<4, using: &rng)]
        let samples = Int.random(in: 1...300, using: &rng)
        let derived = trial % 3 != 0
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.path("s.tdstore")
        let meta = testMetadata(c: c, k: k, codec: codec, epochs: 2, samples: samples, chunk: chunk, seed: UInt64(trial))
        var expected: [Int: [Int: TargetRecord]] = [:]
        let writer = try StoreWriter(path: path, metadata: meta)
        for e in 0..<2 {
            for s in (0..<samples).shuffled(using: &rng) where Int.random(in: 0..<10, using: &rng) > 0 {
                let seed = derived ? SeedScheme.derive(runSeed: meta.runSeed, epoch: e, sample: s) : nil
                let r = randomRecord(epoch: e, sample: s, c: c, k: k, rng: &rng, derivedSeed: seed)
                try writer.append(r)
                expected[e, default: [:]][s] = canonical(r, codec: codec)
            }
        }
        try writer.close()

        let reader = try StoreReader(path: path)
        #expect(reader.metadata == meta)
        var seen = 0
        try reader.forEachChunk { cols in
            #expect(cols.sampleIDs == cols.sampleIDs.sorted())
            for i in 0..<cols.count {
                let got = cols.record(at: i)
                let want = try #require(expected[cols.epoch]?[got.sampleID])
                #expect(got == want, "epoch \(cols.epoch) sample \(got.sampleID) K=\(k) C=\(c) \(codec)")
                seen += 1
            }
        }
        #expect(seen == expected.values.reduce(0) { $0 + $1.count })
        // Point lookups.
        for (e, recs) in expected {
            for s in recs.keys.shuffled(using: &rng).prefix(5) {
                #expect(try reader.record(epoch: e, sample: s) == recs[s])
            }
        }
        let missing = (0..<samples).first { expected[0]?[$0] == nil }
        if let missing { #expect(try reader.record(epoch: 0, sample: missing) == nil) }
    }

    @Test func fp16ValuesAreTheExactHalfPrecisionBits() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.path("h.tdstore")
        let w = try StoreWriter(path: path, metadata: testMetadata(c: 100, k: 3, samples: 10))
        let probs: [Float] = [0.123456789, 0.000012345, 0.7777777]
        try w.append(TargetRecord(epoch: 0, sampleID: 3, seed: 9, indices: [5, 6, 7], probabilities: probs))
        try w.close()
        let r = try #require(try StoreReader(path: path).record(epoch: 0, sample: 3))
        #expect(r.indices == [7, 5, 6])
        #expect(r.probabilities.map { Float16($0).bitPattern } == [probs[2], probs[0], probs[1]].map { Float16($0).bitPattern })
        #expect(r.probabilities == [probs[2], probs[0], probs[1]].map { Float(Float16($0)) })
        #expect(r.seed == 9)
    }

    @Test func digestIgnoresChunkingAndWriteOrder() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        var rng = TestRNG(5)
        var records: [TargetRecord] = []
        for e in 0..<2 {
            for s in 0..<200 {
                records.append(randomRecord(epoch: e, sample: s, c: 1000, k: 10, rng: &rng, derivedSeed: nil))
            }
        }
        func digest(chunk: Int, order: [TargetRecord], name: String) throws -> RecordDigest {
            let path = dir.path(name)
            let w = try StoreWriter(path: path, metadata: testMetadata(c: 1000, k: 10, samples: 200, chunk: chunk))
            for r in order { try w.append(r) }
            try w.close()
            var d = RecordDigest()
            try StoreReader(path: path).forEachChunk { d.add($0) }
            return d
        }
        let a = try digest(chunk: 64, order: records, name: "a")
        let b = try digest(chunk: 17, order: records.shuffled(using: &rng), name: "b")
        #expect(a == b)
        #expect(a.count == 400)
        var changed = records
        changed[123].probabilities[0] = changed[123].probabilities[0] * 0.5
        let c = try digest(chunk: 64, order: changed, name: "c")
        #expect(c != a)
    }

    @Test func derivedSeedsCostNoBytes() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        var sizes: [Int] = []
        for derived in [true, false] {
            var rng = TestRNG(3)
            let path = dir.path("seeds-\(derived)")
            let meta = testMetadata(c: 1000, k: 10, epochs: 1, samples: 2000, chunk: 2000)
            let w = try StoreWriter(path: path, metadata: meta)
            for s in 0..<2000 {
                var r = randomRecord(epoch: 0, sample: s, c: 1000, k: 10, rng: &rng, derivedSeed: nil)
                r.seed = derived ? SeedScheme.derive(runSeed: meta.runSeed, epoch: 0, sample: s) : SeedScheme.mix(UInt64(s))
                try w.append(r)
            }
            try w.close()
            sizes.append(try StoreReader(path: path).chunks().reduce(0) { $0 + $1.rawBytes })
        }
        #expect(sizes[1] - sizes[0] == 8 * 2000)
    }
}
