import Augment
import DetCore
import Foundation
import Models
@testable import DataPipeline
import ModelJobs
import Store
import Testing

@Suite struct LoaderTests {
    static let data = "synthetic-images:150:40x36x3:5:12"
    /// A 2-epoch store of 150 samples in 16-record chunks (synthetic teacher: fast).
    static let built = Result { () throws -> String in
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tinydistill-loader-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(AugmentPolicy.tinyViT(outputSize: 32).canonicalJSON().utf8).write(to: URL(fileURLWithPath: dir + "/policy.json"))
        let out = dir + "/s.tdstore"
        _ = try PrecomputeJob(options: PrecomputeOptions(data: data, teacher: "synthetic:12", policy: dir + "/policy.json", epochs: 2,
                                                          topK: 4, seed: 3, out: out, chunkRecords: 16, batch: 16), teachers: ModelTeachers()).run()
        return out
    }
    /// The shared store; a failure to build it fails each test that uses it instead of crashing the run.
    static var store: String { get throws { try built.get() } }

    func loader(batch: Int = 10, rank: Int = 0, world: Int = 1, dropLast: Bool = true, workers: Int = 2, seed: UInt64 = 1) throws -> Loader {
        try Loader(storePaths: [Self.store], data: Self.data,
                   options: LoaderOptions(batch: batch, seed: seed, rank: rank, world: world, shuffleChunks: 3, dropLast: dropLast, workers: workers))
    }

    func all(_ l: Loader, epoch: Int, from: Int = 0) throws -> [LoaderBatch] {
        let stream = try l.batches(epoch: epoch, from: from)
        var out: [LoaderBatch] = []
        while let b = try stream.next() { out.append(b) }
        return out
    }

    @Test func everySampleOnceAndTheOrderIsShuffled() throws {
        let batches = try all(try loader(dropLast: false), epoch: 0)
        let ids = batches.flatMap(\.sampleIDs)
        #expect(ids.count == 150 && Set(ids).count == 150)
        #expect(ids != ids.sorted())
        #expect(batches.map(\.n) == Array(repeating: 10, count: 15))
        // Same seed, same order; another seed, another order.
        #expect(try all(try loader(dropLast: false), epoch: 0).flatMap(\.sampleIDs) == ids)
        #expect(try all(try loader(dropLast: false, seed: 2), epoch: 0).flatMap(\.sampleIDs) != ids)
    }

    @Test func ranksSplitTheSameGlobalOrder() throws {
        let global = try all(try loader(batch: 1, dropLast: false), epoch: 1).flatMap(\.sampleIDs)
        let r0 = try all(try loader(batch: 7, rank: 0, world: 2), epoch: 1).flatMap(\.sampleIDs)
        let r1 = try all(try loader(batch: 7, rank: 1, world: 2), epoch: 1).flatMap(\.sampleIDs)
        #expect(r0.count == 70 && r1.count == 70)   // 75 each, last partial batch of 5 dropped
        #expect(Set(r0).isDisjoint(with: r1))
        for p in 0..<70 {
            #expect(r0[p] == global[2 * p])
            #expect(r1[p] == global[2 * p + 1])
        }
    }

    /// What makes elastic resume exact in samples: a step of W ranks with batch b takes global positions
    /// [s·W·b, (s+1)·W·b), so any world with the same global batch sees the same samples at every step.
    @Test func everyWorldWithTheSameGlobalBatchSeesTheSameSamplesPerStep() throws {
        func steps(world: Int, batch: Int) throws -> [Set<Int>] {
            let ranks = try (0..<world).map { try all(try loader(batch: batch, rank: $0, world: world), epoch: 1) }
            #expect(Set(ranks.map(\.count)).count == 1)   // equal step counts on every rank
            return (0..<ranks[0].count).map { s in Set(ranks.flatMap { $0[s].sampleIDs }) }
        }
        let one = try steps(world: 1, batch: 12)
        #expect(one.count == 12)   // ⌊150 / 12⌋
        #expect(try steps(world: 2, batch: 6) == one)
        #expect(try steps(world: 3, batch: 4) == one)
        #expect(try steps(world: 4, batch: 3) == one)
    }

    /// A file listing the keys of `samples`, with a comment and a blank line.
    func exclusionFile(_ samples: [Int]) throws -> String {
        let source = try DataSource.open(Self.data)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("td-exclude-\(UUID().uuidString).txt").path
        let text = "# suspects\n\n" + samples.map { source.sample($0).key + "\n" }.joined()
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func excludedSamplesAreLeftOutWithExactCountsOnEveryRank() throws {
        let excluded = [0, 7, 8, 9, 31, 64, 100, 149]
        let file = try exclusionFile(excluded)
        func run(rank: Int, world: Int, from: Int = 0) throws -> (ids: [Int], batches: Int, expected: Int) {
            var o = LoaderOptions(batch: 5, seed: 1, rank: rank, world: world, shuffleChunks: 3, dropLast: false, workers: 2)
            o.exclude = file
            let l = try Loader(storePaths: [try Self.store], data: Self.data, options: o)
            let batches = try all(l, epoch: 0, from: from)
            return (batches.flatMap(\.sampleIDs), batches.count, try l.batchCount(epoch: 0))
        }
        let one = try run(rank: 0, world: 1)
        #expect(Set(one.ids) == Set(0..<150).subtracting(excluded) && one.ids.count == 142)
        #expect(one.batches == one.expected && one.expected == 29)   // ⌈142 / 5⌉
        let r0 = try run(rank: 0, world: 2), r1 = try run(rank: 1, world: 2)
        #expect(r0.batches == r0.expected && r1.batches == r1.expected && r0.expected == 15)   // ⌈71 / 5⌉ each
        #expect(r0.ids.count == 71 && r1.ids.count == 71)
        #expect(Set(r0.ids).isDisjoint(with: r1.ids) && Set(r0.ids + r1.ids).isDisjoint(with: excluded))
        // Resuming from a cursor gives the remaining batches of the same sequence.
        #expect(try run(rank: 0, world: 1, from: 40).ids == Array(one.ids.dropFirst(40)))
    }

    @Test func anExclusionFileWithAnUnknownKeyIsRefusedNamingTheLine() throws {
        let file = try exclusionFile([3])
        try Data(("# x\nno/such/key.png\n").utf8).write(to: URL(fileURLWithPath: file))
        var o = LoaderOptions(batch: 5)
        o.exclude = file
        #expect { _ = try Loader(storePaths: [try Self.store], data: Self.data, options: o) } throws: {
            "\($0)".contains("line 2") && "\($0)".contains("no/such/key.png")
        }
    }

    @Test func resumingFromACursorGivesTheSameBatches() throws {
        let l = try loader(batch: 8)
        let full = try all(l, epoch: 0)
        let resumed = try all(try loader(batch: 8), epoch: 0, from: 64)
        #expect(resumed.map(\.sampleIDs) == full.dropFirst(8).map(\.sampleIDs))
        #expect(resumed.map(\.images) == full.dropFirst(8).map(\.images))
        #expect(resumed.first?.position == 72)
    }

    @Test func aStreamReusesTheImageStorageOfBatchesItsCallerDropped() throws {
        let l = try loader(batch: 5, dropLast: false)
        // Held: every batch keeps its own storage, and its images stay what they were when it came.
        let stream = try l.batches(epoch: 0)
        var held: [LoaderBatch] = [], copies: [[Float]] = []
        while let b = try stream.next() { held.append(b); copies.append(b.images) }
        #expect(held.count == 30 && stream.storagesMade == 30)
        #expect(Set(held.map { ObjectIdentifier($0.imageStorage) }).count == held.count)
        #expect(held.map(\.images) == copies)
        // Dropped at once: a few storages serve the whole epoch, and the images are the same.
        let again = try l.batches(epoch: 0)
        var images: [[Float]] = []
        while let b = try again.next() { images.append(b.images) }
        #expect(again.storagesMade <= l.options.prefetch + 2, "\(again.storagesMade) storages for 30 batches")
        #expect(images == copies)
    }

    @Test func workersDoNotChangeTheBytes() throws {
        let a = try all(try loader(workers: 1), epoch: 0)
        let b = try all(try loader(workers: 4), epoch: 0)
        #expect(a.map(\.images) == b.map(\.images))
        #expect(a.map(\.indices) == b.map(\.indices) && a.map(\.values) == b.map(\.values))
    }

    @Test func batchesCarryTheStoredTargetsAndTheTeachersPixels() throws {
        let l = try loader()
        let batch = try #require(try l.batches(epoch: 1).next())
        #expect(batch.storedEpoch == 1 && batch.k == 4 && batch.channels == 3 && batch.height == 32)
        let reader = try StoreReader(path: Self.store)
        let source = try DataSource.open(Self.data)
        let renderer = SampleRenderer(source: source, replay: Replay(policy: l.policy, channels: 3))
        for j in 0..<batch.n {
            let rec = try #require(try reader.record(epoch: 1, sample: batch.sampleIDs[j]))
            #expect(batch.seeds[j] == rec.seed)
            #expect(Array(batch.indices[(j * 4)..<(j * 4 + 4)]) == rec.indices.map { Int32($0) })
            #expect(Array(batch.values[(j * 4)..<(j * 4 + 4)]) == rec.probabilities)
            #expect(batch.labels[j] == Int64(source.sample(batch.sampleIDs[j]).label))
            // The batch holds the replayed pixels, normalised.
            let (pixels, params) = try renderer.render(batch.sampleIDs[j], seed: rec.seed)
            let plane = 3 * 32 * 32
            #expect(Array(batch.images[(j * plane)..<((j + 1) * plane)]) == Augmenter(policy: l.policy).normalized(pixels, params))
            // And they are the teacher's pixels: the synthetic teacher seeded by their hash gives the stored record.
            let hash = pixels.pixels.withUnsafeBytes { XXH64.hash($0, seed: rec.seed) }
            var classes = [UInt32](repeating: 0, count: 4), probabilities = [Float](repeating: 0, count: 4)
            SyntheticTeacher(numClasses: 12, maxK: 4).topK(seed: hash, label: source.sample(batch.sampleIDs[j]).label,
                                                          indices: &classes, probabilities: &probabilities)
            let recomputed = Dictionary(uniqueKeysWithValues: zip(classes, probabilities.map { Float(Float16($0)) }))
            #expect(recomputed == Dictionary(uniqueKeysWithValues: zip(rec.indices, rec.probabilities)))
        }
    }

    @Test func storedEpochsAreReusedInACycleWithFreshOrders() throws {
        let l = try loader(dropLast: false)
        #expect(l.storedEpochs == 2)
        let e0 = try all(l, epoch: 0), e2 = try all(l, epoch: 2)
        #expect(e2.first?.storedEpoch == 0)
        #expect(Set(e0.flatMap(\.seeds)) == Set(e2.flatMap(\.seeds)))
        #expect(e0.flatMap(\.sampleIDs) != e2.flatMap(\.sampleIDs))
    }

    @Test func aDifferentDatasetIsRefused() throws {
        #expect {
            _ = try Loader(storePaths: [Self.store], data: "synthetic-images:150:40x36x3:5:13", options: LoaderOptions(batch: 4))
        } throws: { "\($0)".contains("fingerprint") }
    }
}
