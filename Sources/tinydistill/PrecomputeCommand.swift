import ArgumentParser
import Foundation
import Logging
import Pipeline
import Store

extension ValueCodec: ExpressibleByArgument {}

/// `tinydistill precompute`: the teacher stage.
struct PrecomputeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "precompute",
        abstract: "Run the teacher once over every epoch and sample and store its top-K probabilities.",
        discussion: """
            Re-running the same command on an existing store resumes it; a store made with another teacher,
            K, codec, seed or dataset is refused, naming the setting that differs. SIGINT/SIGTERM finish the
            current chunk and exit with status 130 and the command that resumes.

            The synthetic teacher (synthetic:C) makes teacher-like distributions without a model (mean top-1
            probability near 0.5, top-10 mass near 0.85 at C = 1000); the synthetic dataset synthetic:N[:C]
            has N samples with hashed labels.

            Example:
              tinydistill precompute --data synthetic:50000 --teacher synthetic:1000 --epochs 3 --topk 10 --codec q8 --out run.tdstore
            """
    )

    @Option(help: "Dataset: synthetic:N or synthetic:N:C.")
    var data: String

    @Option(help: "Teacher: synthetic:C (C classes).")
    var teacher: String

    @Option(help: "Number of epochs to precompute.")
    var epochs: Int

    @Option(help: "Entries kept per record (1…min(C, 1024)).")
    var topk: Int

    @Option(help: "Value codec: fp16 (lossless half precision) or q8 (lossy, ~8 bits, fidelity measured).")
    var codec: ValueCodec = .fp16

    @Option(help: "Run seed: every augmentation seed derives from it.")
    var seed: UInt64 = 0

    @Option(help: "Output store file (created, or resumed when it exists).")
    var out: String

    @Option(help: "Records per chunk.")
    var chunkRecords: Int = 4096

    @Option(help: "zstd compression level (1…19). The streams are mostly Huffman-coded literals: level 1 is the fastest and within 1 % of the smallest (README).")
    var level: Int32 = 1

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be ≥ 1") }
        guard topk >= 1 else { throw ValidationError("--topk must be ≥ 1") }
        guard (1...19).contains(level) else { throw ValidationError("--level must be in 1…19") }
        guard (1...(1 << 20)).contains(chunkRecords) else { throw ValidationError("--chunk-records must be in 1…1048576") }
    }

    func run() throws {
        SignalFlag.install()
        let options = PrecomputeOptions(
            data: data, teacher: teacher, epochs: epochs, topK: topk, codec: codec, seed: seed, out: out,
            chunkRecords: chunkRecords, compressionLevel: level)
        let job = PrecomputeJob(options: options)
        let progress = ProgressLine(label: "precompute")
        job.progress = { epoch, done, total in progress.update(epoch: epoch, done: done, total: total) }
        job.shouldStop = { SignalFlag.raised != 0 }
        let summary = try job.run()
        progress.finish()
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try enc.encode(summary), as: UTF8.self))
        } else {
            print("records written  \(summary.recordsWritten)  (already stored: \(summary.recordsSkipped))")
            print(String(format: "bytes/record     %.2f  (compressed chunk payload)", summary.bytesPerRecord))
            print(String(format: "wall time        %.2f s  (%.0f records/s)", summary.seconds, summary.recordsPerSecond))
            print("store            \(out)")
        }
        fflush(nil)  // the summary before the interruption message on stderr
        if summary.interrupted {
            let resume = CommandLine.arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
            throw PipelineError.interrupted(resume: resume)
        }
    }
}

/// A live progress line on a terminal, plain periodic lines otherwise (both on stderr).
final class ProgressLine {
    private let label: String
    private let tty = isatty(2) != 0
    private var started: (Date, Int)?
    private var lastPrint = Date.distantPast

    private let logger: Logger

    init(label: String) {
        self.label = label
        logger = Logger(label: "tinydistill.\(label)")
    }

    func update(epoch: Int, done: Int, total: Int) {
        let now = Date()
        if started == nil {
            // The first call marks the start of the record loop (set-up excluded from rates).
            started = (now, done)
            if done == 0 { return }
        }
        let interval: TimeInterval = tty ? 0.2 : 10
        guard now.timeIntervalSince(lastPrint) >= interval || done == total else { return }
        lastPrint = now
        let elapsed = now.timeIntervalSince(started!.0)
        let rate = Double(done - started!.1) / max(elapsed, 1e-9)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let line = String(
            format: "%@: epoch %d  %d/%d records  %.0f rec/s  ETA %.0f s", label, epoch, done, total, rate, eta)
        if tty {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        } else {
            logger.info("\(line)")
        }
    }

    func finish() {
        if tty { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
