import Foundation
import Testing

/// `precompute --targets sample:N[:T]` through the binary, and every command that reads its store.
@Suite struct SampledTargetsCLITests {
    static let data = "synthetic-images:120:30x30x1:4:10"

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func aSampledStoreInspectsVerifiesStreamsAndTrains() throws {
        let d = try tempDir()
        let store = d.appendingPathComponent("s.tdstore").path
        let p = try CLI.run(["precompute", "--data", Self.data, "--teacher", "synthetic:10", "--policy", StreamTrainCLITests.policy,
                             "--epochs", "1", "--targets", "sample:6", "--chunk-records", "50", "--out", store, "--json"])
        #expect(p.status == 0, "\(p.stderr)")
        let report = try json(try CLI.run(["inspect", store, "--json"]).stdout)
        #expect(report["targets"] as? String == "sample:6")
        let drawn = try #require(report["mean_drawn_classes"] as? Double)
        #expect(drawn >= 1 && drawn <= 6)
        #expect((report["metadata"] as? [String: Any])?["targets"] as? [String: Any] != nil)
        let text = try CLI.run(["inspect", store])
        #expect(text.stdout.contains("sample:6: 6 draws per record"), "\(text.stdout)")

        let v = try CLI.run(["verify", store, "--data", Self.data, "--teacher", "synthetic:10", "--all", "--json"])
        #expect(v.status == 0, "\(v.stderr)")
        let replay = try #require(try json(v.stdout)["replay"] as? [String: Any])
        #expect(replay["draw_agreement"] as? Double == 1 && replay["differing_draws"] as? Int == 0, "\(replay)")
        let vt = try CLI.run(["verify", store, "--data", Self.data, "--teacher", "synthetic:10", "--sample", "20"])
        #expect(vt.stdout.contains("draws      100.00 % of records draw the same classes"), "\(vt.stdout)")

        let s = try CLI.run(["stream", "--store", store, "--data", Self.data, "--batch", "40", "--json"])
        #expect(s.status == 0, "\(s.stderr)")
        let out = d.appendingPathComponent("run").path
        let t = try CLI.run(["train", "--store", store, "--data", Self.data, "--arch", "tinyvit-mini", "--epochs", "1", "--batch", "40",
                             "--threads", "1", "--out", out, "--json"])
        #expect(t.status == 0, "\(t.stderr)")
        let epochs = try #require(try json(t.stdout)["epochs"] as? [[String: Any]])
        let loss = try #require(epochs.first?["train_loss"] as? Double)
        #expect(loss.isFinite && loss > 0)

        // inspect --compare reads a sampled store against a top-K store of the same seeds and policy.
        let top = d.appendingPathComponent("t.tdstore").path
        #expect(try CLI.run(["precompute", "--data", Self.data, "--teacher", "synthetic:10", "--policy", StreamTrainCLITests.policy,
                             "--epochs", "1", "--topk", "6", "--chunk-records", "50", "--out", top]).status == 0)
        let cmp = try CLI.run(["inspect", store, top, "--compare", "--data", Self.data])
        #expect(cmp.status == 0 && cmp.stdout.contains("120 records in both"), "\(cmp.stdout)\(cmp.stderr)")

        // A resume that asks for top-K is refused, naming both kinds.
        let r = try CLI.run(["precompute", "--data", Self.data, "--teacher", "synthetic:10", "--policy", StreamTrainCLITests.policy,
                             "--epochs", "1", "--topk", "6", "--chunk-records", "50", "--out", store])
        #expect(r.status == 1 && r.stderr.contains("targets differs: the store has sample:6, this run asks for topk:6"), "\(r.stderr)")
    }

    @Test func badTargetsAreUsageErrorsNamingTheFlag() throws {
        let out = try tempDir().appendingPathComponent("x.tdstore").path
        let base = ["precompute", "--data", "synthetic:100", "--teacher", "synthetic:10", "--epochs", "1", "--out", out]
        for (args, flag) in [(["--targets", "sample:0"], "--targets sample:0"), (["--targets", "dense"], "--targets dense"),
                             (["--targets", "sample:4:99"], "--targets sample:4:99"), (["--targets", "sample:4", "--topk", "3"], "--topk"),
                             (["--targets", "topk:3", "--topk", "4"], "--topk")] {
            let r = try CLI.run(base + args)
            #expect(r.status == 2 && r.stderr.contains(flag), "\(args): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
