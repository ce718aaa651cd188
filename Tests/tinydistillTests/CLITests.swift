import Foundation
import Store
import Testing

/// Runs the built `tinydistill` binary as a user would.
struct CLI {
    static var binary: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tinydistill")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/tinydistill")
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func start(_ args: [String], environment: [String: String] = [:]) throws -> (Process, Pipe, Pipe) {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        return (p, out, err)
    }

    @discardableResult
    static func run(_ args: [String], environment: [String: String] = [:]) throws -> Result {
        let (p, out, err) = try start(args, environment: environment)
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

func tempDir() throws -> URL {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("tinydistill-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
    return d
}

@Suite struct CLITests {
    @Test(arguments: [[], ["precompute"], ["inspect"], ["augment"], ["predict"]])
    func everyCommandHasHelpWithAnExample(_ sub: [String]) throws {
        let r = try CLI.run(sub + ["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("tinydistill"))
        #expect(r.stdout.contains("Example"))
    }

    @Test func usageErrorsExitWithTwo() throws {
        let r = try CLI.run(["precompute", "--data", "synthetic:10"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--teacher"))
        let bad = try CLI.run(["precompute", "--data", "synthetic:10", "--teacher", "synthetic:5", "--epochs", "1", "--topk", "9", "--out", "/tmp/never"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--topk"))
        #expect(try CLI.run(["frobnicate"]).status == 2)
    }

    @Test func aMissingStoreFailsWithOneNamingTheFile() throws {
        let r = try CLI.run(["inspect", "/nonexistent/run.tdstore"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("/nonexistent/run.tdstore"))
        let d = try tempDir()
        let junk = d.appendingPathComponent("junk.tdstore")
        try Data(repeating: 0x41, count: 5000).write(to: junk)
        let j = try CLI.run(["inspect", junk.path])
        #expect(j.status == 1)
        #expect(j.stderr.contains("not a TinyDistill store"))
    }

    @Test func precomputeThenInspectJSON() throws {
        let d = try tempDir()
        let store = d.appendingPathComponent("s.tdstore").path
        let p = try CLI.run(["precompute", "--data", "synthetic:5000", "--teacher", "synthetic:1000", "--epochs", "2", "--topk", "10", "--out", store, "--json"])
        #expect(p.status == 0, "\(p.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(p.stdout.utf8)) as! [String: Any]
        #expect(summary["recordsWritten"] as? Int == 10_000)
        let i = try CLI.run(["inspect", store, "--json"])
        #expect(i.status == 0)
        let report = try JSONSerialization.jsonObject(with: Data(i.stdout.utf8)) as! [String: Any]
        #expect(report["records"] as? Int == 10_000)
        #expect((report["digest"] as? String)?.count == 32)
        #expect(report["reference_bytes_per_record"] as? Int == 44)
        #expect((report["incomplete_epochs"] as? [Int]) == [])
        let text = try CLI.run(["inspect", store])
        #expect(text.stdout.contains("bytes/record"))
        let rec = try CLI.run(["inspect", store, "--record", "1:42"])
        #expect(rec.status == 0)
        #expect(rec.stdout.contains("synthetic/00000042"))
        let none = try CLI.run(["inspect", store, "--record", "7:42"])
        #expect(none.status == 1)
    }

    @Test func inspectTextShowsTheSamplesPrecomputeExcluded() throws {
        let d = try tempDir()
        let store = d.appendingPathComponent("s.tdstore").path, list = d.appendingPathComponent("suspects.txt").path
        try Data("synthetic/00000003\nsynthetic/00000007\n".utf8).write(to: URL(fileURLWithPath: list))
        let p = try CLI.run(["precompute", "--data", "synthetic:200", "--teacher", "synthetic:10", "--epochs", "1", "--topk", "3",
                             "--exclude", list, "--out", store])
        #expect(p.status == 0, "\(p.stderr)")
        let text = try CLI.run(["inspect", store])
        #expect(text.status == 0, "\(text.stderr)")
        let row = text.stdout.split(separator: "\n").first { $0.hasPrefix("excluded") }
        #expect(row?.contains("2 samples per epoch, listed in ") == true, "\(text.stdout)")
        let all = d.appendingPathComponent("all.tdstore").path
        #expect(try CLI.run(["precompute", "--data", "synthetic:200", "--teacher", "synthetic:10", "--epochs", "1", "--topk", "3", "--out", all]).status == 0)
        #expect(!(try CLI.run(["inspect", all]).stdout.contains("\nexcluded")), "a store with no exclusion has no such row")
    }

    @Test func verifyTakesTheSyntheticDatasetPrecomputeTook() throws {
        let store = try tempDir().appendingPathComponent("s.tdstore").path
        let p = try CLI.run(["precompute", "--data", "synthetic:300", "--teacher", "synthetic:10", "--epochs", "1", "--topk", "3", "--out", store])
        #expect(p.status == 0, "\(p.stderr)")
        let v = try CLI.run(["verify", store, "--data", "synthetic:300", "--teacher", "synthetic:10", "--all", "--json"])
        #expect(v.status == 0, "\(v.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(v.stdout.utf8)) as? [String: Any])
        #expect(report["ok"] as? Bool == true && report["dataset"] as? String == "match")
        let replay = try #require(report["replay"] as? [String: Any])
        #expect(replay["records"] as? Int == 300 && replay["identical_values"] as? Double == 1)
        // A malformed one names the flag.
        let bad = try CLI.run(["verify", store, "--data", "synthetic:x"])
        #expect(bad.status == 2 && bad.stderr.contains("--data synthetic:x"), "\(bad.stderr)")
    }

    /// SIGKILL mid-run leaves a valid store of whole chunks; re-running finishes it with exactly the
    /// records of an uninterrupted run.
    @Test func killedPrecomputeResumesToTheSameRecords() throws {
        let d = try tempDir()
        let killed = d.appendingPathComponent("killed.tdstore").path
        let clean = d.appendingPathComponent("clean.tdstore").path
        let args = ["precompute", "--data", "synthetic:40000", "--teacher", "synthetic:1000", "--epochs", "1", "--topk", "10", "--chunk-records", "500", "--seed", "5"]
        let (p, _, _) = try CLI.start(args + ["--out", killed])
        var committed = 0
        let deadline = Date().addingTimeInterval(60)
        while committed < 3 && Date() < deadline && p.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
            committed = (try? StoreReader(path: killed).chunks().count) ?? 0
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)
        let survivor = try StoreReader(path: killed)
        var n = 0
        try survivor.forEachChunk { n += $0.count }
        #expect(n >= 1500 && n % 500 == 0 && n < 40000)
        let resumed = try CLI.run(args + ["--out", killed])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try CLI.run(args + ["--out", clean]).status == 0)
        var a = RecordDigest(), b = RecordDigest()
        try StoreReader(path: killed).forEachChunk { a.add($0) }
        try StoreReader(path: clean).forEachChunk { b.add($0) }
        #expect(a == b && a.count == 40000)
        #expect(try StoreReader(path: killed).sessions().map(\.status) == ["interrupted", "finished"])
    }

    @Test func sigintFinishesTheChunkAndSaysHowToResume() throws {
        let d = try tempDir()
        let store = d.appendingPathComponent("int.tdstore").path
        let (p, _, err) = try CLI.start(["precompute", "--data", "synthetic:400000", "--teacher", "synthetic:1000", "--epochs", "1", "--topk", "10", "--out", store])
        let deadline = Date().addingTimeInterval(60)
        while ((try? StoreReader(path: store).chunks().count) ?? 0) < 1 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        kill(p.processIdentifier, SIGINT)
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 130)
        #expect(e.contains("Resume with"))
        #expect(try StoreReader(path: store).sessions().map(\.status) == ["interrupted"])
    }
}
