import DetCore
import Foundation
import Images
import Store
import Testing

/// precompute on images through the binary: kills at random moments, signals, shards from the environment.
@Suite struct PrecomputeImagesCLITests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let teacher = repo.appendingPathComponent("Tests/ModelsTests/Fixtures/tiny-teacher.pt").path
    static let policy = repo.appendingPathComponent("examples/policy-fashion-mnist.json").path

    func args(_ out: String, samples: Int = 400) -> [String] {
        ["precompute", "--data", "synthetic-images:\(samples):36x36x1:3", "--teacher", Self.teacher, "--policy", Self.policy,
         "--epochs", "2", "--topk", "4", "--chunk-records", "40", "--batch", "20", "--threads", "2", "--seed", "7", "--out", out]
    }

    func digest(_ path: String) throws -> RecordDigest {
        var d = RecordDigest()
        try StoreReader(path: path).forEachChunk { d.add($0) }
        return d
    }

    /// SIGKILL at random moments (after a random number of committed chunks plus a random delay), resumed
    /// after each kill: the final store equals an uninterrupted run's.
    @Test func killedAtRandomMomentsAndResumedEqualsUninterrupted() throws {
        let d = try tempDir()
        let killed = d.appendingPathComponent("killed.tdstore").path
        let clean = d.appendingPathComponent("clean.tdstore").path
        var rng = SystemRandomNumberGenerator()
        var kills = 0
        for _ in 0..<4 {
            let before = (try? StoreReader(path: killed).chunks().count) ?? 0
            let target = before + Int.random(in: 1...3, using: &rng)
            let (p, _, _) = try CLI.start(args(killed))
            let deadline = Date().addingTimeInterval(60)
            while p.isRunning && Date() < deadline && ((try? StoreReader(path: killed).chunks().count) ?? 0) < target {
                Thread.sleep(forTimeInterval: 0.02)
            }
            Thread.sleep(forTimeInterval: Double.random(in: 0...0.15, using: &rng))
            if p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                kills += 1
            }
            p.waitUntilExit()
            // Whatever survived is whole chunks that read back cleanly.
            _ = try digest(killed)
        }
        #expect(kills >= 1)
        let resumed = try CLI.run(args(killed))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try CLI.run(args(clean)).status == 0)
        let a = try digest(killed), b = try digest(clean)
        #expect(a == b && a.count == 800)
    }

    @Test func sigintFinishesTheBatchAndSaysHowToResume() throws {
        let d = try tempDir()
        let store = d.appendingPathComponent("int.tdstore").path
        let (p, _, err) = try CLI.start(args(store, samples: 20000))
        let deadline = Date().addingTimeInterval(60)
        while ((try? StoreReader(path: store).chunks().count) ?? 0) < 1 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        kill(p.processIdentifier, SIGINT)
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 130)
        #expect(e.contains("Resume with"))
        #expect(try StoreReader(path: store).sessions().map(\.status) == ["interrupted"])
    }

    @Test func rankAndWorldComeFromTheEnvironment() throws {
        let d = try tempDir()
        let store = d.appendingPathComponent("r1.tdstore").path
        let r = try CLI.run(args(store, samples: 60) + ["--json"], environment: ["RANK": "1", "WORLD_SIZE": "3"])
        #expect(r.status == 0, "\(r.stderr)")
        let reader = try StoreReader(path: store)
        #expect(reader.metadata.shard == StoreMetadata.Shard(rank: 1, world: 3))
        var ids: [UInt32] = []
        try reader.forEachChunk { ids += $0.sampleIDs }
        #expect(ids.count == 40 && ids.allSatisfy { $0 % 3 == 1 })
        let slurm = try CLI.run(args(d.appendingPathComponent("s.tdstore").path, samples: 60), environment: ["SLURM_PROCID": "5", "SLURM_NTASKS": "2"])
        #expect(slurm.status == 2)
        #expect(slurm.stderr.contains("rank 5 of world 2"))
    }

    @Test func strictTurnsBadSamplesIntoFailure() throws {
        let d = try tempDir()
        let root = d.appendingPathComponent("images").path
        try FileManager.default.createDirectory(atPath: root + "/a", withIntermediateDirectories: true)
        let png = try PNG.encode(Image(width: 30, height: 30, channels: 1, pixels: (0..<900).map { UInt8($0 % 256) }))
        try Data(png).write(to: URL(fileURLWithPath: root + "/a/ok.png"))
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: root + "/a/bad.png"))
        let base = ["precompute", "--data", root, "--teacher", Self.teacher, "--policy", Self.policy, "--epochs", "1", "--topk", "3"]
        let lenient = try CLI.run(base + ["--out", d.appendingPathComponent("l.tdstore").path])
        #expect(lenient.status == 0, "\(lenient.stderr)")
        #expect(lenient.stdout.contains("bad samples      1"))
        #expect(lenient.stdout.contains("a/bad.png"))
        let strict = try CLI.run(base + ["--strict", "--out", d.appendingPathComponent("s.tdstore").path])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("--strict"))
        #expect(try StoreReader(path: d.appendingPathComponent("s.tdstore").path).failures().count == 1)
    }
}
