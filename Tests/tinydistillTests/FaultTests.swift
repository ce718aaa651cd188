import Foundation
import Store
import Testing

/// Faults around a running precompute: a size budget standing in for a full disk, readers during writes.
@Suite struct FaultTests {
    func digest(_ path: String) throws -> RecordDigest {
        var d = RecordDigest()
        try StoreReader(path: path).forEachChunk { d.add($0) }
        return d
    }

    @Test func aFullDiskStopsCleanlyAndTheStoreResumesOnceSpaceExists() throws {
        let d = try tempDir()
        let store = d.appendingPathComponent("full.tdstore").path
        let clean = d.appendingPathComponent("clean.tdstore").path
        let args = ["precompute", "--data", "synthetic:20000", "--teacher", "synthetic:1000", "--epochs", "1", "--topk", "10",
                    "--chunk-records", "2000", "--seed", "2"]
        let full = try CLI.run(args + ["--out", store, "--max-store-bytes", "850000"])
        #expect(full.status == 1)
        #expect(full.stderr.contains("disk full (or size limit reached)"), "\(full.stderr)")
        // What was committed reads back cleanly: whole chunks only.
        let partial = try digest(store)
        #expect(partial.count > 0 && partial.count < 20000 && partial.count % 2000 == 0)
        // With space, the same command finishes the store, equal to an uninterrupted run.
        #expect(try CLI.run(args + ["--out", store]).status == 0)
        #expect(try CLI.run(args + ["--out", clean]).status == 0)
        #expect(try digest(store) == digest(clean))
    }

    @Test func readersDuringAWriteSeeOnlyWholeChunksAndNeverFail() throws {
        let d = try tempDir()
        let store = d.appendingPathComponent("live.tdstore").path
        let (p, _, _) = try CLI.start(["precompute", "--data", "synthetic:150000", "--teacher", "synthetic:1000", "--epochs", "1",
                                       "--topk", "10", "--chunk-records", "1000", "--out", store])
        var observations: [Int] = []
        let deadline = Date().addingTimeInterval(60)
        while p.isRunning && Date() < deadline {
            if FileManager.default.fileExists(atPath: store), let reader = try? StoreReader(path: store) {
                // Once the store is open, reading every committed chunk must succeed.
                var n = 0
                try reader.forEachChunk { n += $0.count }
                #expect(n % 1000 == 0)
                observations.append(n)
                _ = try InspectReportProbe.records(store)
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(observations.count >= 3)
        #expect(observations == observations.sorted())
        #expect(try digest(store).count == 150000)
    }
}

/// `inspect --json` on a store being written.
enum InspectReportProbe {
    static func records(_ store: String) throws -> Int {
        let r = try CLI.run(["inspect", store, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        return doc?["records"] as? Int ?? -1
    }
}
