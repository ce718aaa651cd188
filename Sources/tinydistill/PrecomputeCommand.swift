import ArgumentParser
import Foundation
import Logging
import Models
import DataPipeline
import ModelJobs
import Store

extension ValueCodec: ExpressibleByArgument {}

/// `tinydistill precompute`: the teacher stage.
struct PrecomputeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "precompute",
        abstract: "Run the teacher once over every epoch and sample and store its top-K probabilities.",
        discussion: """
            Re-running the same command on an existing store resumes it: only the missing (epoch, sample) \
            records are computed, and a larger --epochs extends the store. A store made with another \
            teacher, policy, K, codec, seed or dataset is refused, naming the setting that differs. \
            SIGINT/SIGTERM finish the batch in flight, keep every chunk committed so far and exit with \
            status 130, printing the command that resumes.

            Targets: by default each record keeps the teacher's --topk K most probable classes, and the \
            rest of the probability is read as spread evenly over the other classes. --targets sample:N[:T] \
            instead draws N classes from the teacher's distribution (from the proposal p^(1/T), \
            normalised, at temperature T; default 1) under the record's seed and keeps the distinct \
            classes with their counts: an unbiased target (counts/N at T = 1, importance-weighted at \
            T ≠ 1) that carries the tail's shape (docs/store-format.md, "Sampled targets").

            Data: an ImageFolder root, fashion-mnist:train|test, synthetic-images:N:WxHxC[:SEED[:CLASSES]] \
            (generated images) or synthetic:N[:C] (no images, synthetic teacher only). Each sample of each \
            epoch is decoded, converted to the teacher's channels, augmented from its seed (--policy, \
            default the TinyViT recipe at the teacher's input size), normalised and run through the \
            teacher in batches of --batch, while --threads worker threads decode and augment the next \
            batch (libtorch runs on as many threads). Thread count and batch size do not change the store.

            Teacher: safetensors weights of a built-in architecture (--arch, or recorded in the file), a \
            TorchScript .pt file, or synthetic:C (teacher-like distributions without a model; on images it \
            is seeded by a hash of the augmented pixels, so replay can be verified without a model).

            Shards: --rank R --world W (or RANK/WORLD_SIZE, SLURM_PROCID/SLURM_NTASKS) take the samples s \
            with s mod W = R of every epoch; each rank writes its own file; `inspect` and `merge` take the \
            set. Bad samples are recorded in the store's failures table and reported; --strict then exits \
            with status 1.

            The summary gives the records written, bytes/record, wall time, the teacher's images/s, the \
            share of wall time outside the teacher and the bad samples; --json prints it as one object \
            (recordsWritten, recordsSkipped, bytesPerRecord, seconds, recordsPerSecond, interrupted, …).

            Examples:
              tinydistill precompute --data fashion-mnist:train \\
                  --teacher teacher.safetensors --epochs 4 --topk 10 --out fm.tdstore
              tinydistill precompute --data /data/imagenet/train --teacher t.pt \\
                  --policy p.json --epochs 2 --topk 100 \\
                  --rank 0 --world 2 --out in1k-0.tdstore
              tinydistill precompute --data synthetic:50000 --teacher synthetic:1000 \\
                  --epochs 3 --topk 10 --codec q8 --out run.tdstore
              tinydistill precompute --data fashion-mnist:train \\
                  --teacher t.safetensors --epochs 4 --targets sample:4 --out s4.tdstore
            """
    )

    @Option(help: "Dataset: an ImageFolder root, fashion-mnist:train|test, synthetic-images:N:WxHxC, synthetic:N[:C].")
    var data: String

    @Option(help: "Teacher: weights.safetensors, model.pt (TorchScript) or synthetic:C.")
    var teacher: String

    @Option(help: "Architecture of safetensors teacher weights (default: the one the file records).")
    var arch: String?

    @Option(help: "Augmentation policy JSON (schemas/augment-policy.schema.json); default: the TinyViT recipe.")
    var policy: String?

    @OptionGroup var batch: BatchOptions<Self>

    @OptionGroup var threads: ThreadOptions<Self>

    @OptionGroup var shard: ShardOptions<Self>

    @Flag(help: "Exit with status 1 when any sample cannot be read or decoded.")
    var strict = false

    @Flag(help: "Run a built-in teacher unfused (default: fused, BatchNorm folded into convolutions; recorded in the store).")
    var unfused = false

    @Option(help: "Size budget of the store file in bytes: reaching it stops like a full disk (resume with a larger budget).")
    var maxStoreBytes: Int?

    @Option(help: "A file of sample keys to leave out (one per line; inspect --label-noise --out writes one); recorded in the store.")
    var exclude: String?

    @Option(help: "A file of the teacher's class names, class 0 first (one per line, or a JSON array), for a teacher that does not carry them: recorded in the store, and compared with the dataset's class names, which must be the same in the same order.")
    var teacherClasses: String?

    @OptionGroup var classMap: ClassMapOptions

    @Option(help: "Number of epochs to precompute.")
    var epochs: Int

    @Option(help: "Entries kept per record (1…min(C, 1024)) of top-K targets.")
    var topk: Int?

    @Option(help: ArgumentHelp(
        "What each record keeps: topk (the --topk most probable classes, the default) or sample:N[:T] (the distinct classes of N draws from the teacher's distribution at temperature T, with their counts).",
        valueName: "kind"))
    var targets: String?

    @Option(help: "Value codec: fp16 (lossless half precision) or q8 (lossy, ~8 bits, fidelity measured).")
    var codec: ValueCodec = .fp16

    @Option(help: "Run seed: every augmentation seed derives from it.")
    var seed: UInt64 = 0

    @Option(help: "Output store file (created, or resumed when it exists).")
    var out: String

    @Option(help: "Records per chunk.")
    var chunkRecords: Int = 4096

    @Option(help: "zstd compression level (1…19). The streams are mostly Huffman-coded literals: level 1 is the fastest and within 1 % of the smallest (docs/results.md, zstd level).")
    var level: Int32 = 1

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be ≥ 1") }
        let kind = try Self.targetSpec(targets)
        switch kind {
        case .topK(nil):
            guard let topk else { throw ValidationError("--topk K is required (or --targets sample:N[:T] for sampled targets)") }
            guard topk >= 1 else { throw ValidationError("--topk must be ≥ 1") }
        case .topK(let k?):
            if let topk, topk != k { throw ValidationError("--topk \(topk) differs from --targets topk:\(k); give K once") }
        case .sample:
            guard topk == nil else {
                throw ValidationError("--topk does not apply to sampled targets (--targets \(targets!)): a record keeps the classes its N draws hit")
            }
        }
        guard (1...19).contains(level) else { throw ValidationError("--level must be in 1…19") }
        guard (1...(1 << 20)).contains(chunkRecords) else { throw ValidationError("--chunk-records must be in 1…1048576") }
    }

    func run() throws {
        SignalFlag.install()
        let (r, w) = try shard.resolve()
        Models.Torch.threads = threads.threads
        let kind = try Self.targetSpec(targets)
        var k = topk ?? 0
        if case .topK(let given?) = kind { k = given }
        let options = PrecomputeOptions(
            data: data, teacher: teacher, arch: arch, policy: policy, epochs: epochs, topK: k, codec: codec, seed: seed,
            out: out, chunkRecords: chunkRecords, compressionLevel: level, batch: batch.batch, threads: threads.threads,
            rank: r, world: w)
        var opts = options
        opts.maxStoreBytes = maxStoreBytes
        opts.fusedTeacher = !unfused
        opts.exclude = exclude
        opts.teacherClasses = teacherClasses
        opts.classMap = classMap.classMap
        opts.targets = kind.sampled
        let job = PrecomputeJob(options: opts, teachers: ModelTeachers())
        let progress = ProgressLine(label: "precompute")
        job.progress = { epoch, done, total in progress.update(epoch: epoch, done: done, total: total) }
        job.shouldStop = { SignalFlag.raised != 0 }
        let summary = try job.run()
        progress.finish()
        if output.json {
            try OutputOptions.print(summary)
        } else {
            print("records written  \(summary.recordsWritten)  (already stored: \(summary.recordsSkipped))")
            print(String(format: "bytes/record     %.2f  (compressed chunk payload)", summary.bytesPerRecord))
            print(String(format: "wall time        %.2f s  (%.0f records/s)", summary.seconds, summary.recordsPerSecond))
            if summary.teacherSeconds > 0 {
                print(String(format: "teacher          %.0f images/s; %.1f %% of wall time outside the teacher",
                             summary.teacherImagesPerSecond, summary.overheadShare * 100))
            }
            print("bad samples      \(summary.badSamples)")
            if summary.excludedSamples > 0 { print("excluded         \(summary.excludedSamples) samples per epoch (--exclude)") }
            for example in summary.badSampleExamples { print("  \(example)") }
            if let agreement = summary.teacherAgreement {
                print(String(format: "teacher vs labels %.2f %% top-1 agreement (this run's records)", 100 * agreement))
            }
            print("store            \(out)")
        }
        if let warning = summary.warning { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        fflush(nil)  // the summary before the interruption message on stderr
        if strict && summary.badSamples > 0 {
            throw CLIFailure(message: "\(summary.badSamples) bad sample(s) (--strict); they are listed above and in the store's failures table")
        }
        if summary.interrupted {
            let resume = CommandLine.arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
            throw PipelineError.interrupted(kept: "the store holds every chunk committed so far", resume: resume)
        }
    }
}

extension PrecomputeCommand {
    /// `--targets` parsed (top-K when not given); a bad spec is a usage error.
    static func targetSpec(_ text: String?) throws -> TargetSpec {
        guard let text else { return .topK(nil) }
        do { return try TargetSpec(parsing: text) } catch {
            if case .invalid(_, _, let why) = error { throw ValidationError("--targets \(text): \(why)") }
            throw error
        }
    }
}

extension PrecomputeCommand: BatchDefaults, ThreadDefaults, ShardDefaults {
    static let defaultBatch = 64
    static let threadsHelp = "Threads (decode/augment workers and libtorch)."
    static let rankVariables = ["RANK", "SLURM_PROCID"]
    static let worldVariables = ["WORLD_SIZE", "SLURM_NTASKS"]
}

/// A live progress line on a terminal, plain periodic lines otherwise (both on stderr).
final class ProgressLine {
    private let label: String
    private let tty = isatty(2) != 0
    private var started: (Date, Int)?
    private var lastPrint = Date.distantPast

    private let logger: Logger
    private let unit: String

    init(label: String, unit: String = "records") {
        self.label = label
        self.unit = unit
        logger = Logger(label: "tinydistill.\(label)")
    }

    func update(epoch: Int? = nil, done: Int, total: Int) {
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
        let line = label + ": " + (epoch.map { "epoch \($0)  " } ?? "")
            + String(format: "%d/%d %@  %.0f/s  ETA %.0f s", done, total, unit, rate, eta)
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
