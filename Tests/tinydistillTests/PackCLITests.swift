import DetCore
import Foundation
import Images
import Testing

/// `tinydistill pack` and `--data pack:FILE`, run as a user would.
@Suite struct PackCLITests {
    /// An ImageFolder of 24 JPEGs, 30–76 px wide, in 3 classes.
    static func folder() throws -> String {
        let root = try tempDir().appendingPathComponent("images").path
        for i in 0..<24 {
            let w = 30 + 2 * i, h = 28 + (i % 5) * 3
            var pixels = [UInt8](repeating: 0, count: w * h * 3)
            for p in 0..<pixels.count { pixels[p] = UInt8((p * 13 + i * 29 + p / (w * 3) * 7) & 255) }
            let dir = root + "/c\(i % 3)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: dir + "/\(i).jpg",
                                           contents: Data(try JPEG.encode(Image(width: w, height: h, channels: 3, pixels: pixels))))
        }
        return root
    }

    /// A 32-px policy: the debug build's augmentation at 224 px would make the test slow.
    static let policy = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/policy-fashion-mnist.json").path

    static func stream(_ store: String, _ data: String) throws -> CLI.Result {
        try CLI.run(["stream", "--store", store, "--data", data, "--batch", "8", "--format", "tdb", "--workers", "2"])
    }

    @Test func aPackOfTheFolderStreamsTheFoldersBytesAndAResizedOneNeedsItsOwnStore() throws {
        let root = try Self.folder(), dir = try tempDir().path
        let store = dir + "/s.tdstore", pack = dir + "/p.tdpack", small = dir + "/small.tdpack"
        let pre = try CLI.run(["precompute", "--data", root, "--teacher", "synthetic:3", "--policy", Self.policy, "--epochs", "1", "--topk", "2", "--out", store])
        #expect(pre.status == 0, "\(pre.stderr)")
        let packed = try CLI.run(["pack", root, "--out", pack, "--json"])
        #expect(packed.status == 0, "\(packed.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(packed.stdout.utf8)) as? [String: Any]
        #expect(summary?["images"] as? Int == 24 && summary?["fingerprint"] as? String == summary?["sourceFingerprint"] as? String)
        let fromFolder = try Self.stream(store, root), fromPack = try Self.stream(store, "pack:" + pack)
        #expect(fromFolder.status == 0 && fromPack.status == 0, "\(fromPack.stderr)")
        #expect(!fromFolder.stdout.isEmpty && fromPack.stdout == fromFolder.stdout, "the pack streams the folder's bytes")

        #expect(try CLI.run(["pack", root, "--out", small, "--max-side", "40"]).status == 0)
        let refused = try Self.stream(store, "pack:" + small)
        #expect(refused.status != 0 && refused.stderr.contains("fingerprint"), "\(refused.stderr)")
        let own = dir + "/own.tdstore"
        #expect(try CLI.run(["precompute", "--data", "pack:" + small, "--teacher", "synthetic:3", "--policy", Self.policy, "--epochs", "1",
                             "--topk", "2", "--out", own]).status == 0)
        #expect(try Self.stream(own, "pack:" + small).status == 0)
        let verify = try CLI.run(["verify", own, "--data", "pack:" + small, "--teacher", "synthetic:3", "--all"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }

    @Test func badSettingsAndBadPacksAreUsageOrFailureNamingThem() throws {
        let root = try Self.folder(), dir = try tempDir().path
        let quality = try CLI.run(["pack", root, "--out", dir + "/q.tdpack", "--quality", "0"])
        #expect(quality.status == 2 && quality.stderr.contains("--quality"), "\(quality.stderr)")
        let side = try CLI.run(["pack", root, "--out", dir + "/m.tdpack", "--max-side", "2"])
        #expect(side.status == 2 && side.stderr.contains("--max-side"), "\(side.stderr)")
        let missing = try CLI.run(["pack", dir + "/nowhere", "--out", dir + "/n.tdpack"])
        #expect(missing.status == 2 && missing.stderr.contains("SRC"), "\(missing.stderr)")
        FileManager.default.createFile(atPath: dir + "/junk.tdpack", contents: Data("junk junk junk junk".utf8))
        let junk = try CLI.run(["precompute", "--data", "pack:" + dir + "/junk.tdpack", "--teacher", "synthetic:3", "--epochs", "1",
                                "--topk", "2", "--out", dir + "/x.tdstore"])
        #expect(junk.status == 2 && junk.stderr.contains("junk.tdpack: not a TinyDistill image pack"), "\(junk.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.tdstore"))
    }
}
