import Foundation
import DataPipeline
import Store
import Testing

/// A command of the fixture set-up failed.
struct CLIFailed: Error, CustomStringConvertible {
    let stderr: String
    var description: String { "the fixture's command failed: \(stderr)" }
}

/// stream and train through the binary, and the Python consumer of `stream --format tdb`.
@Suite struct StreamTrainCLITests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let policy = repo.appendingPathComponent("examples/policy-fashion-mnist.json").path
    static let data = "synthetic-images:200:30x30x1:4:10"

    /// A small store made with the synthetic teacher (no model needed).
    static let built = Result { () throws -> String in
        let d = try tempDir().appendingPathComponent("s.tdstore").path
        let r = try CLI.run(["precompute", "--data", data, "--teacher", "synthetic:10", "--policy", policy, "--epochs", "2",
                              "--topk", "3", "--chunk-records", "50", "--out", d])
        guard r.status == 0 else { throw CLIFailed(stderr: r.stderr) }
        return d
    }
    /// The shared store; a failure to build it fails each test that uses it instead of crashing the run.
    static var store: String { get throws { try built.get() } }

    @Test func pythonReadsTheBatchFramesWithNumpy() throws {
        let consumer = Self.repo.appendingPathComponent("examples/stream_consumer.py").path
        let store = try Self.store
        let script = "'\(CLI.binary.path)' stream --store '\(store)' --data '\(Self.data)' --batch 32 --limit 4 --format tdb | /usr/bin/python3 '\(consumer)'"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", script]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(e)")
        let summary = try JSONSerialization.jsonObject(with: o) as! [String: Any]
        #expect(summary["batches"] as? Int == 4)
        #expect(summary["images"] as? Int == 128)
        #expect(summary["image_shape"] as? [Int] == [1, 32, 32])
        #expect(summary["distinct_samples"] as? Int == 128)
        let mass = summary["mean_topk_mass"] as! Double
        #expect(mass > 0.1 && mass <= 1.0001)
    }

    /// One `tdb` frame: its JSON header, the image floats and the sample ids.
    struct Frame {
        var header: [String: Any]
        var images: [Float]
        var sampleIDs: [Int64]
    }

    /// Parses the first frame of `data` (the layout `docs/cli.md` documents).
    static func firstFrame(_ data: Data) throws -> Frame {
        let bytes = [UInt8](data)
        try #require(bytes.count > 12 && String(decoding: bytes[0..<8], as: UTF8.self) == "TDBATCH1")
        let length = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        let header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[12..<(12 + length)])) as? [String: Any])
        let n = try #require(header["n"] as? Int), c = try #require(header["c"] as? Int)
        let h = try #require(header["h"] as? Int), w = try #require(header["w"] as? Int), k = try #require(header["k"] as? Int)
        var offset = 12 + length
        func read<T>(_ count: Int, as: T.Type) throws -> [T] {
            let size = count * MemoryLayout<T>.size
            try #require(offset + size <= bytes.count)
            defer { offset += size }
            return bytes[offset..<(offset + size)].withUnsafeBytes { Array($0.bindMemory(to: T.self)) }
        }
        let images = try read(n * c * h * w, as: Float.self)
        _ = try read(n * k, as: Int32.self)
        _ = try read(n * k, as: Float.self)
        _ = try read(n, as: Int64.self)
        return Frame(header: header, images: images, sampleIDs: try read(n, as: Int64.self))
    }

    @Test func streamFramesAreTheLibrarysBatchesByteForByte() throws {
        let (p, out, err) = try CLI.start(["stream", "--store", Self.store, "--data", Self.data, "--batch", "32", "--limit", "1",
                                           "--format", "tdb"])
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(e)")
        let frame = try Self.firstFrame(data)
        // The library's first batch under the same (default) order seed: the order is a function of seed and
        // epoch only, and replay gives the same pixels, so the frame holds exactly its samples and floats.
        let loader = try Loader(storePaths: [Self.store], data: Self.data, options: LoaderOptions(batch: 32))
        let batch = try #require(try loader.batches(epoch: 0).next())
        #expect(frame.header["n"] as? Int == 32)
        #expect(frame.sampleIDs == batch.sampleIDs.map { Int64($0) })
        #expect(frame.images.map(\.bitPattern) == batch.images.map(\.bitPattern))
    }

    @Test func trainRunsResumesAndWritesAPredictableCheckpoint() throws {
        let out = try tempDir().appendingPathComponent("run").path
        let args = try ["train", "--store", Self.store, "--data", Self.data, "--arch", "tinyvit-mini", "--epochs", "1", "--batch", "50",
                    "--threads", "1", "--eval", Self.data, "--eval-limit", "40", "--out", out, "--json"]
        let r = try CLI.run(args)
        #expect(r.status == 0, "\(r.stderr)")
        let log = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let epochs = log["epochs"] as! [[String: Any]]
        #expect(epochs.count == 1 && epochs[0]["steps"] as? Int == 4)
        #expect(epochs[0]["eval_top1"] != nil)
        // A second run finds the finished checkpoint and does nothing more.
        let again = try CLI.run(args)
        #expect(again.status == 0)
        // The checkpoint records its architecture and normalisation: predict needs no --arch.
        let p = try CLI.run(["predict", "--model", out + "/model.safetensors", "\(Self.data)@3", "--top", "2"])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(p.stdout.contains("1. "))
        // Other settings on the same folder are refused.
        var changed = args
        changed[changed.firstIndex(of: "50")!] = "40"
        let refused = try CLI.run(changed)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("other settings"))
    }

    @Test func twoProcessesTrainOneModelWithGloo() throws {
        let out = try tempDir().appendingPathComponent("ddp").path
        let port = String(Int.random(in: 20000...60000))
        let args = try ["train", "--store", Self.store, "--data", Self.data, "--arch", "tinyvit-mini", "--epochs", "1", "--batch", "25",
                    "--threads", "1", "--workers", "1", "--out", out, "--json"]
        let ranks = try (0..<2).map { rank in
            try CLI.start(args, environment: ["RANK": "\(rank)", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port])
        }
        var outputs: [String] = []
        for (p, o, e) in ranks {
            let stdout = String(decoding: o.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let stderr = String(decoding: e.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "\(stderr)")
            outputs.append(stdout)
        }
        // Each rank took half of the 200 records: 100 / 25 = 4 steps; rank 0 wrote the run.
        let log = try JSONSerialization.jsonObject(with: Data(outputs[0].utf8)) as! [String: Any]
        let epochs = log["epochs"] as! [[String: Any]]
        #expect(epochs.first?["steps"] as? Int == 4)
        #expect(FileManager.default.fileExists(atPath: out + "/model.safetensors"))
        #expect((log["options"] as? [String: Any])?["world"] as? Int == 2)
    }
}
