import Foundation
import GRDB
import Images
import Store
import Testing

/// A store's sample keys are never resolved to files: the loader, `verify` and the renderers reach an
/// image through its sample id and the dataset's own scan (after the fingerprint check), so keys edited
/// into a store (`../secret.png`, `/etc/passwd`) change nothing that is read.
@Suite struct StoreKeyPathSafetyTests {
    @Test func tamperedKeysInAStoreAreNeverOpened() throws {
        let d = try tempDir()
        defer { try? FileManager.default.removeItem(at: d) }
        let root = d.appendingPathComponent("data")
        for (i, name) in ["a/0.png", "a/1.png", "b/2.png", "b/3.png"].enumerated() {
            let url = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let image = try SyntheticImageSource(count: 1, width: 40, height: 30, channels: 3, seed: UInt64(i)).image(0)
            try Data(try PNG.encode(image)).write(to: url)
        }
        // A different image just outside the root: replaying it instead of the real files would change the records.
        let canary = try SyntheticImageSource(count: 1, width: 40, height: 30, channels: 3, seed: 99).image(0)
        try Data(try PNG.encode(canary)).write(to: d.appendingPathComponent("secret.png"))
        let store = d.appendingPathComponent("s.tdstore").path
        let made = try CLI.run(["precompute", "--data", root.path, "--teacher", "synthetic:3", "--epochs", "1", "--topk", "2", "--out", store])
        #expect(made.status == 0, "\(made.stderr)")

        let db = try DatabaseQueue(path: store)
        try db.write { db in
            try db.execute(sql: "UPDATE samples SET key = CASE sample_id % 2 WHEN 0 THEN '../secret.png' ELSE '/etc/passwd' END")
        }
        try db.close()
        #expect(try StoreReader(path: store).sample(0)?.key == "../secret.png")

        let verified = try CLI.run(["verify", store, "--data", root.path, "--teacher", "synthetic:3", "--all"])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.contains("identical values 100.00 %"), "\(verified.stdout)")
        #expect(!verified.stdout.contains("secret") && !verified.stderr.contains("passwd"))
    }
}
