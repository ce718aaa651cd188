import ArgumentParser
import Foundation
import DataPipeline
import ModelJobs

/// `tinydistill train`: a TinyViT (or any built-in) student from a store, no teacher online.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a student from a store's sparse soft targets (offline KD), from labels, or with an online teacher.",
        discussion: """
            The loader replays every record's augmentation from its seed (the student sees the teacher's \
            pixels), the loss is TinyViT's sparse KD loss, the optimiser AdamW with a cosine schedule. \
            Classes, input size and channels come from the store. --labels-only trains the baseline from \
            labels (with --label-smoothing); --online-teacher runs a teacher at every step on the same pixels.

            After each epoch: top-1/top-5 on --eval, a checkpoint in --out (model.safetensors with the \
            reference's names, loadable by predict and by the reference PyTorch model; \
            optimizer.safetensors) and log.json. Re-running the same command continues from --out exactly \
            where it stopped; other settings on the same folder are refused. In a single process, \
            SIGINT/SIGTERM save the cursor first and exit with status 130. --json prints the final log.

            Several processes, on one machine or many, train one model with --rank/--world (or RANK, \
            WORLD_SIZE, MASTER_ADDR, MASTER_PORT as torchrun sets them, or Slurm's SLURM_PROCID and \
            SLURM_NTASKS with MASTER_ADDR): each takes its share of every epoch and gradients are averaged \
            after every step (libtorch's Gloo backend; rank 0 serves the rendezvous, evaluates and writes \
            --out). Each rank's Gloo device is the interface GLOO_SOCKET_IFNAME names, else the address this \
            host uses to reach MASTER_ADDR; rank 0 prints its choice, every rank with --verbose. The \
            rendezvous and every collective wait at most --timeout seconds: a rank that dies or never comes \
            makes the others exit with status 1, naming it. SIGINT/SIGTERM save the cursor (rank 0) and exit \
            130; a rank blocked waiting for others exits 130 within 5 seconds anyway. Restarting every rank \
            with the same command resumes; a run may also resume at another world size when batch × world \
            stays the same (the same samples at every step). A Slurm script and a torchrun-style launch \
            are in docs/training.md.

            Examples:
              tinydistill train --store fm.tdstore --data fashion-mnist:train \\
                  --arch tinyvit-mini --epochs 10 --eval fashion-mnist:test --out runs/kd
              tinydistill train --store fm.tdstore --data fashion-mnist:train \\
                  --arch tinyvit-mini --epochs 10 --labels-only --out runs/labels
              tinydistill train --store fm.tdstore --data fashion-mnist:train \\
                  --arch tinyvit-mini --epochs 10 --online-teacher teacher.safetensors \\
                  --out runs/online
              RANK=1 WORLD_SIZE=2 MASTER_ADDR=host0 tinydistill train --store shards/ \\
                  --data /data/imagenet/train --arch tinyvit-5m \\
                  --epochs 300 --out runs/t5m
            """
    )

    @OptionGroup var source: StoreOptions

    @Option(help: "Student architecture: a preset or a JSON config.")
    var arch: String

    @Option(help: "Training epochs (stored epochs are reused in a cycle).")
    var epochs: Int

    @OptionGroup var batch: BatchOptions<Self>

    @Option(help: "Peak learning rate.")
    var lr: Double = 1e-3

    @Option(help: "Final learning rate of the cosine schedule.")
    var minLr: Double = 1e-5

    @Option(help: "Linear warmup, in epochs.")
    var warmupEpochs: Double = 1

    @Option(help: "AdamW weight decay.")
    var weightDecay: Double = 0.05

    @Option(help: "Gradient clipping (global L2 norm; 0 = off).")
    var clipGrad: Double = 5

    @Option(help: "Seed of the data order, initialisation and drop path.")
    var seed: UInt64 = 0

    @Option(help: "Held-out source evaluated each epoch (e.g. fashion-mnist:test).")
    var eval: String?

    @Option(help: "Evaluate on at most this many samples.")
    var evalLimit: Int?

    @Option(help: "Output folder (checkpoint, log.json); resumed when it holds a checkpoint.")
    var out: String

    @Flag(help: "Train from labels only (the baseline).")
    var labelsOnly = false

    @Option(help: "Label smoothing for --labels-only.")
    var labelSmoothing: Double = 0.1

    @Option(help: "Run this teacher at every step instead of reading stored targets (online KD).")
    var onlineTeacher: String?

    @Option(help: "Architecture of --online-teacher safetensors weights.")
    var onlineTeacherArch: String?

    @OptionGroup var workers: WorkerOptions<Self>

    @OptionGroup var threads: ThreadOptions<Self>

    @Option(help: "Also save a checkpoint every N steps (0: epoch ends only).")
    var checkpointEvery: Int = 0

    @Option(help: "Use at most N batches per epoch (a subset, for quick runs).")
    var maxStepsPerEpoch: Int?

    @OptionGroup var shard: ShardOptions<Self>

    @Option(help: "Rendezvous host served by rank 0 (default: MASTER_ADDR, else 127.0.0.1).")
    var masterAddr: String?

    @Option(help: "Rendezvous port (default: MASTER_PORT, else 29500).")
    var masterPort: Int?

    @Option(help: "A file of sample keys to leave out of training (one per line; inspect --label-noise --out writes one).")
    var exclude: String?

    @OptionGroup var classMap: ClassMapOptions

    @Option(help: "Seconds the rendezvous and every collective wait for the other ranks.")
    var timeout: Double = 60

    @Flag(help: "Print each rank's Gloo device and launcher variables, on every rank (rank 0 always prints its device).")
    var verbose = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be ≥ 1") }
        guard lr > 0, minLr >= 0, warmupEpochs >= 0 else { throw ValidationError("--lr must be > 0, --min-lr and --warmup-epochs ≥ 0") }
        guard !(labelsOnly && onlineTeacher != nil) else { throw ValidationError("--labels-only and --online-teacher exclude each other") }
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    func run() throws {
        SignalFlag.install(grace: 5)
        let options = TrainOptions(
            store: source.store, data: source.data, arch: arch, epochs: epochs, batch: batch.batch, lr: lr, minLR: minLr,
            warmupEpochs: warmupEpochs, weightDecay: weightDecay, clipGrad: clipGrad, seed: seed, eval: eval, out: out,
            labelsOnly: labelsOnly, labelSmoothing: labelSmoothing, onlineTeacher: onlineTeacher,
            onlineTeacherArch: onlineTeacherArch, workers: workers.workers, threads: threads.threads,
            checkpointEvery: checkpointEvery, maxStepsPerEpoch: maxStepsPerEpoch, evalLimit: evalLimit)
        var opts = options
        let env = ProcessInfo.processInfo.environment
        (opts.rank, opts.world) = try shard.resolve(environment: env)
        opts.masterAddr = masterAddr ?? env["MASTER_ADDR"] ?? "127.0.0.1"
        opts.masterPort = try masterPort ?? Self.integer(env["MASTER_PORT"], "MASTER_PORT") ?? 29500
        opts.timeout = timeout
        opts.exclude = exclude
        opts.classMap = classMap.classMap
        let job = TrainJob(options: opts)
        let rank = opts.rank, verbose = self.verbose
        job.notice = { line in
            guard rank == 0 || verbose else { return }
            let local = env["LOCAL_RANK"].map { ", LOCAL_RANK \($0)" } ?? env["SLURM_LOCALID"].map { ", SLURM_LOCALID \($0)" } ?? ""
            FileHandle.standardError.write(Data("train: \(line)\(verbose ? local : "")\n".utf8))
        }
        let bar = TrainProgress()
        job.progress = { bar.update(epoch: $0, step: $1, steps: $2, loss: $3, imagesPerSecond: $4) }
        job.epochFinished = { entry in
            bar.finishLine()
            var line = String(format: "epoch %d  loss %.4f  %.0f img/s  %.1f s", entry.epoch, entry.trainLoss, entry.imagesPerSecond, entry.seconds)
            if let t1 = entry.evalTop1, let t5 = entry.evalTop5 { line += String(format: "  eval top-1 %.2f %%  top-5 %.2f %%", t1 * 100, t5 * 100) }
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        job.shouldStop = { SignalFlag.raised != 0 }
        let log = try job.run()
        bar.finishLine()
        if output.json {
            try OutputOptions.print(log)
        } else {
            print("trained \(log.mode) \(log.parameters) parameters; checkpoint and log.json in \(out)")
        }
    }
}

extension TrainCommand: BatchDefaults, WorkerDefaults, ThreadDefaults, ShardDefaults {
    static let defaultBatch = 128
    static let defaultWorkers = 2
    static let rankVariables = ["RANK", "SLURM_PROCID"]
    static let worldVariables = ["WORLD_SIZE", "SLURM_NTASKS"]

    /// The integer an environment variable holds (nil when unset); `name` names it in the error.
    static func integer(_ value: String?, _ name: String) throws -> Int? {
        guard let value else { return nil }
        guard let v = Int(value) else { throw ValidationError("\(name)=\(value) is not an integer") }
        return v
    }
}

/// Progress bar for training (stderr; periodic lines when not a terminal).
final class TrainProgress {
    private let tty = isatty(2) != 0
    private var last = Date.distantPast
    /// When this process first saw the epoch, and the step it was at: a run resumed mid-epoch times only
    /// the steps it ran itself.
    private var mark: (epoch: Int, step: Int, at: Date)?
    private var onLine = false

    /// Seconds left in the epoch, from the pace of the steps since this process first saw it; nil at the
    /// first step it sees (no pace yet).
    func secondsLeft(epoch: Int, step: Int, steps: Int, now: Date = Date()) -> Double? {
        guard let m = mark, m.epoch == epoch, step > m.step else {
            mark = (epoch, step, now)
            return nil
        }
        return Double(steps - step) * now.timeIntervalSince(m.at) / Double(step - m.step)
    }

    func update(epoch: Int, step: Int, steps: Int, loss: Double, imagesPerSecond: Double) {
        let now = Date()
        let eta = secondsLeft(epoch: epoch, step: step, steps: steps, now: now)
        guard now.timeIntervalSince(last) >= (tty ? 0.25 : 15) || step == steps else { return }
        last = now
        let width = 24
        let filled = steps > 0 ? width * step / steps : 0
        let line = String(format: "epoch %d [%@%@] %d/%d  loss %.4f  %.0f img/s  ETA %@", epoch,
                          String(repeating: "#", count: filled), String(repeating: ".", count: width - filled), step, steps, loss,
                          imagesPerSecond, eta.map { String(format: "%.0f s", $0) } ?? "–")
        if tty {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
            onLine = true
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    func finishLine() {
        if tty && onLine { FileHandle.standardError.write(Data("\n".utf8)) }
        onLine = false
    }
}
