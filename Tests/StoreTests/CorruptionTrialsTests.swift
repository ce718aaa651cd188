import Foundation
@testable import DataPipeline
@testable import Store
import Testing

/// Random byte flips and truncations anywhere in a store file: every trial must end in the correct
/// records or a clear error, never a crash, a hang or silently different records or metadata.
@Suite struct CorruptionTrialsTests {
    enum Outcome: String { case intact, error, silentlyWrong }

    /// Reads everything a loader relies on: metadata and every record.
    func readAll(_ path: String) throws -> (StoreMetadata, RecordDigest, Int) {
        let r = try StoreReader(path: path)
        var d = RecordDigest()
        var n = 0
        try r.forEachChunk { d.add($0); n += $0.count }
        return (r.metadata, d, n)
    }

    @Test func randomFlipsAndTruncationsNeverGiveSilentlyWrongRecords() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let original = dir.path("clean.tdstore")
        _ = try PrecomputeJob(options: PrecomputeOptions(data: "synthetic:1500", teacher: "synthetic:100", epochs: 2, topK: 5,
                                                         seed: 3, out: original, chunkRecords: 128)).run()
        let (meta, digest, count) = try readAll(original)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: original))
        var rng = TestRNG(2024)
        var outcomes: [Outcome: Int] = [:]
        let trials = Int(ProcessInfo.processInfo.environment["TINYDISTILL_CORRUPTION_TRIALS"] ?? "") ?? 300
        for trial in 0..<trials {
            var damaged = bytes
            if trial % 4 == 3 {
                damaged = damaged.prefix(Int.random(in: 0..<bytes.count, using: &rng))
            } else {
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let at = Int.random(in: 0..<bytes.count, using: &rng)
                    damaged[at] ^= UInt8.random(in: 1...255, using: &rng)
                }
            }
            let path = dir.path("t\(trial).tdstore")
            try damaged.write(to: URL(fileURLWithPath: path))
            let outcome: Outcome
            do {
                let (m, d, n) = try readAll(path)
                outcome = (m == meta && d == digest && n == count) ? .intact : .silentlyWrong
            } catch {
                // Every failure is a typed store error with a message naming the file.
                #expect(error is StoreError, "trial \(trial): \(error)")
                #expect("\(error)".contains(path) || "\(error)".contains("epoch"), "trial \(trial): \(error)")
                outcome = .error
            }
            outcomes[outcome, default: 0] += 1
            #expect(outcome != .silentlyWrong, "trial \(trial) read different records without an error")
            try? FileManager.default.removeItem(atPath: path)
        }
        #expect(outcomes[.silentlyWrong, default: 0] == 0)
        #expect(outcomes[.error, default: 0] > 0)
        print("corruption trials: \(trials): intact \(outcomes[.intact, default: 0]), clear error \(outcomes[.error, default: 0]), silently wrong \(outcomes[.silentlyWrong, default: 0])")
    }
}
