import Foundation
import Testing

@Suite struct PredictCLITests {
    /// The reference TinyViT fixture, kept with the models tests (`Tests/ModelsTests/Fixtures`).
    static let reference: String = {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        return tests.appendingPathComponent("ModelsTests/Fixtures/tinyvit-reference").path
    }()

    @Test func printsTopClassesWithDatasetNamesAsJSON() throws {
        let r = try CLI.run(["predict", "--model", Self.reference + "/weights.safetensors", "--arch", Self.reference + "/config.json",
                             "--threads", "1", "--json", "fashion-mnist:test@0", "fashion-mnist:test@1"])
        #expect(r.status == 0, "\(r.stderr)")
        let list = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [[String: Any]]
        #expect(list.count == 2)
        let top = list[0]["top"] as! [[String: Any]]
        #expect(top.count == 5)
        let probs = top.map { $0["probability"] as! Double }
        #expect(probs == probs.sorted(by: >))
        #expect(probs.reduce(0, +) <= 1.0 + 1e-9)
        #expect(top.allSatisfy { ($0["name"] as? String)?.isEmpty == false })
    }

    @Test func savedCheckpointsRecordTheirArchitecture() throws {
        // Without --arch the reference file (no metadata) is refused with the fix named.
        let r = try CLI.run(["predict", "--model", Self.reference + "/weights.safetensors", "examples-missing.png"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("pass --arch"))
    }

    @Test func badInputsNameTheFileAtFault() throws {
        let dir = try tempDir()
        let junk = dir.appendingPathComponent("junk.png").path
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: junk))
        let common = ["predict", "--model", Self.reference + "/weights.safetensors", "--arch", Self.reference + "/config.json"]
        let r = try CLI.run(common + [junk])
        #expect(r.status == 1)
        #expect(r.stderr.contains(junk))
        let wrong = try CLI.run(["predict", "--model", Self.reference + "/io.safetensors", "--arch", Self.reference + "/config.json", junk])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("missing 183 tensor(s)"))
        let range = try CLI.run(common + ["fashion-mnist:test@10000"])
        #expect(range.status == 1)
        #expect(range.stderr.contains("0…9999"))
    }
}
