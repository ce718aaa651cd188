import Foundation
import Testing

/// Processes started for one test, each with its output collected in the background, so that no wait is
/// unbounded: a process still running at its deadline is killed and the test fails.
final class Ranks: @unchecked Sendable {
    struct Outcome { var status: Int32; var stdout: String; var stderr: String; var seconds: Double }

    /// Each process's stdout and stderr, filled by background readers.
    final class Output: @unchecked Sendable {
        let lock = NSLock()
        let readers: [DispatchGroup]
        var out: [Data], err: [Data]
        init(_ n: Int) {
            out = Array(repeating: Data(), count: n)
            err = Array(repeating: Data(), count: n)
            readers = (0..<n).map { _ in DispatchGroup() }
        }

        func collect(_ pipe: Pipe, index: Int, isOut: Bool) {
            let readers = self.readers[index]
            readers.enter()
            DispatchQueue.global().async {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                self.lock.lock()
                if isOut { self.out[index] = data } else { self.err[index] = data }
                self.lock.unlock()
                readers.leave()
            }
        }
    }

    let processes: [Process]
    private let output: Output
    let started = Date()

    /// Starts one process per entry: `tinydistill args` with `environment`, behind `prefix` (for example
    /// `ip netns exec NAME`).
    init(_ runs: [(args: [String], environment: [String: String], prefix: [String])]) throws {
        let output = Output(runs.count)
        var ps: [Process] = []
        for (i, run) in runs.enumerated() {
            let p = Process()
            if run.prefix.isEmpty {
                p.executableURL = CLI.binary
                p.arguments = run.args
            } else {
                p.executableURL = URL(fileURLWithPath: run.prefix[0])
                p.arguments = Array(run.prefix.dropFirst()) + [CLI.binary.path] + run.args
            }
            p.environment = ProcessInfo.processInfo.environment.merging(run.environment) { _, new in new }
            let o = Pipe(), e = Pipe()
            p.standardOutput = o
            p.standardError = e
            try p.run()
            output.collect(o, index: i, isOut: true)
            output.collect(e, index: i, isOut: false)
            ps.append(p)
        }
        processes = ps
        self.output = output
    }

    /// Waits for process `i` at most `seconds`; kills it (SIGKILL) and returns status −1 when it is still running.
    func wait(_ i: Int, atMost seconds: Double) -> Outcome {
        let p = processes[i]
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let timedOut = p.isRunning
        if timedOut { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        _ = output.readers[i].wait(timeout: .now() + 10)
        output.lock.lock(); defer { output.lock.unlock() }
        return Outcome(status: timedOut ? -1 : p.terminationStatus, stdout: String(decoding: output.out[i], as: UTF8.self),
                       stderr: String(decoding: output.err[i], as: UTF8.self), seconds: Date().timeIntervalSince(started))
    }

    /// Once `folder` holds a checkpoint (training is under way), SIGKILLs rank 1 and waits for rank 0;
    /// returns rank 0's outcome and the seconds from the kill to its exit.
    func killRankOneMidRun(checkpointIn folder: String) -> (survivor: Outcome, seconds: Double) {
        #expect(waitForFile(folder + "/optimizer.safetensors", atMost: 120))
        Thread.sleep(forTimeInterval: 1)
        let killedAt = Date()
        kill(processes[1].processIdentifier, SIGKILL)
        let survivor = wait(0, atMost: 60)
        let seconds = Date().timeIntervalSince(killedAt)
        _ = wait(1, atMost: 5)
        return (survivor, seconds)
    }

    /// Kills every process still running (a failing test leaves none behind).
    func killAll() {
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGKILL) }
    }
}

/// The bytes of a run's final weights (the same weights give the same file: names, shapes and metadata
/// are fixed by the run's settings).
func weightsDigest(_ folder: String) throws -> Data {
    try Data(contentsOf: URL(fileURLWithPath: folder + "/model.safetensors"))
}

/// Waits at most `seconds` for `path` to exist.
func waitForFile(_ path: String, atMost seconds: Double) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while !FileManager.default.fileExists(atPath: path) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    return FileManager.default.fileExists(atPath: path)
}

/// Two ranks of `train` on this host (loopback): a lost rank, signals, resume and elastic resume.
@Suite(.serialized) struct DistributedTrainTests {
    static let data = StreamTrainCLITests.data

    static func args(_ out: String, epochs: Int = 3, batch: Int = 25, timeout: Int = 20) throws -> [String] {
        try ["train", "--store", StreamTrainCLITests.store, "--data", data, "--arch", "tinyvit-mini", "--epochs", "\(epochs)",
             "--batch", "\(batch)", "--threads", "1", "--workers", "1", "--checkpoint-every", "1", "--timeout", "\(timeout)",
             "--out", out]
    }

    static func env(_ rank: Int, world: Int = 2, port: Int, master: String = "127.0.0.1") -> [String: String] {
        ["RANK": "\(rank)", "WORLD_SIZE": "\(world)", "MASTER_ADDR": master, "MASTER_PORT": "\(port)"]
    }

    static func port() -> Int { Int.random(in: 20000...60000) }

    @Test func aKilledRankMakesTheOtherExitNamingItAndTheSameCommandResumesToTheSameWeights() throws {
        let dir = try tempDir().path
        // The uninterrupted run.
        let straight = dir + "/straight", p1 = Self.port()
        let a = try Ranks((0..<2).map { (try Self.args(straight), Self.env($0, port: p1), []) })
        defer { a.killAll() }
        for r in 0..<2 { let o = a.wait(r, atMost: 300); #expect(o.status == 0, "\(o.stderr)") }
        // The same run, rank 1 killed once training is under way, then both restarted with the same command.
        let resumed = dir + "/resumed", p2 = Self.port()
        let b = try Ranks((0..<2).map { (try Self.args(resumed), Self.env($0, port: p2), []) })
        defer { b.killAll() }
        let (survivor, toExit) = b.killRankOneMidRun(checkpointIn: resumed)
        print("lost rank: rank 0 exited \(String(format: "%.2f", toExit)) s after rank 1 was killed")
        #expect(survivor.status == 1, "\(survivor.stderr)")
        #expect(survivor.stderr.contains("rank 1 of 2 was lost"), "\(survivor.stderr)")
        #expect(survivor.stderr.contains("restart every rank with the same train command"), "\(survivor.stderr)")
        #expect(toExit < 25)   // within --timeout (20 s) and then some
        let p3 = Self.port()
        let c = try Ranks((0..<2).map { (try Self.args(resumed), Self.env($0, port: p3), []) })
        defer { c.killAll() }
        for r in 0..<2 { let o = c.wait(r, atMost: 300); #expect(o.status == 0, "\(o.stderr)") }
        #expect(try weightsDigest(resumed) == weightsDigest(straight))
    }

    @Test func aSignalToEveryRankMidRunSavesTheCursorExits130AndTheSameCommandFinishes() throws {
        let out = try tempDir().path + "/signalled", port = Self.port()
        let ranks = try Ranks((0..<2).map { (try Self.args(out), Self.env($0, port: port), []) })
        defer { ranks.killAll() }
        #expect(waitForFile(out + "/optimizer.safetensors", atMost: 120))
        let signalled = Date()
        for p in ranks.processes { kill(p.processIdentifier, SIGTERM) }
        let outcomes = (0..<2).map { ranks.wait($0, atMost: 20) }
        let seconds = Date().timeIntervalSince(signalled)
        print("SIGTERM to both ranks mid-run: exits \(outcomes.map(\.status)) after \(String(format: "%.2f", seconds)) s")
        #expect(outcomes.allSatisfy { $0.status == 130 }, "\(outcomes.map(\.stderr))")
        #expect(seconds < 8)
        #expect(outcomes[0].stderr.contains("on every rank"), "\(outcomes[0].stderr)")
        #expect(outcomes[0].stderr.contains("the checkpoint in \(out) holds epoch"), "\(outcomes[0].stderr)")
        let port2 = Self.port()
        let again = try Ranks((0..<2).map { (try Self.args(out), Self.env($0, port: port2), []) })
        defer { again.killAll() }
        for r in 0..<2 { let o = again.wait(r, atMost: 300); #expect(o.status == 0, "\(o.stderr)") }
    }

    @Test func aSignalWhileWaitingForARankThatNeverComesEndsWithinSeconds() throws {
        let out = try tempDir().path + "/alone"
        let ranks = try Ranks([(try Self.args(out, timeout: 120), Self.env(0, port: Self.port()), [])])
        defer { ranks.killAll() }
        Thread.sleep(forTimeInterval: 2)
        let signalled = Date()
        kill(ranks.processes[0].processIdentifier, SIGTERM)
        let o = ranks.wait(0, atMost: 20)
        let seconds = Date().timeIntervalSince(signalled)
        print("SIGTERM during the rendezvous: exit \(o.status) after \(String(format: "%.2f", seconds)) s")
        #expect(o.status == 130, "\(o.stderr)")
        #expect(seconds < 8)
    }

    @Test func aRankThatNeverComesIsAnErrorAfterTheTimeout() throws {
        let out = try tempDir().path + "/alone"
        let ranks = try Ranks([(try Self.args(out, timeout: 3), Self.env(0, port: Self.port()), [])])
        defer { ranks.killAll() }
        let o = ranks.wait(0, atMost: 30)
        #expect(o.status == 1, "\(o.stderr)")
        #expect(o.stderr.contains("--timeout"), "\(o.stderr)")
    }

    @Test func aRunResumesAtAnotherWorldWithTheSameGlobalBatchAndRefusesAnother() throws {
        let out = try tempDir().path + "/elastic"
        // Two ranks of batch 25 (global 50) stop after one epoch of three ...
        var first = try Self.args(out, epochs: 3)
        first[first.firstIndex(of: "--checkpoint-every")! + 1] = "0"
        first += ["--max-steps-per-epoch", "2"]
        let port = Self.port()
        let a = try Ranks((0..<2).map { (first, Self.env($0, port: port), []) })
        defer { a.killAll() }
        #expect(waitForFile(out + "/log.json", atMost: 120))
        a.killAll()
        _ = a.wait(0, atMost: 10); _ = a.wait(1, atMost: 10)
        // ... a global batch of 40 at world 1 is refused, naming the batch; batch 50 at world 1 resumes and finishes.
        var wrong = first
        wrong[wrong.firstIndex(of: "--batch")! + 1] = "40"
        let refused = try CLI.run(wrong)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--batch 40") && refused.stderr.contains("global batch of 50"), "\(refused.stderr)")
        var one = first
        one[one.firstIndex(of: "--batch")! + 1] = "50"
        let r = try CLI.run(one + ["--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let log = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let epochs = try #require(log["epochs"] as? [[String: Any]])
        #expect(epochs.count == 3 && epochs.allSatisfy { $0["steps"] as? Int == 2 })
    }
}
