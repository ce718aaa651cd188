import Augment
import DetCore
import Foundation
import Images
import Models
import Store

/// Settings of student training (the `train` command's options).
public struct TrainOptions: Sendable, Codable, Equatable {
    /// Store files (or shards) and the dataset they index.
    public var store: [String]
    public var data: String
    /// Student architecture (preset or JSON); classes, input size and channels come from the store.
    public var arch: String
    /// Training epochs (stored epochs are reused in a cycle when there are more).
    public var epochs: Int
    public var batch: Int
    /// Peak learning rate, its floor, warmup epochs, AdamW weight decay, gradient clipping.
    public var lr: Double
    public var minLR: Double
    public var warmupEpochs: Double
    public var weightDecay: Double
    public var clipGrad: Double
    /// Order and drop-path seed.
    public var seed: UInt64
    /// Held-out source evaluated after every epoch (nil: none).
    public var eval: String?
    /// Output folder: checkpoint, log.json.
    public var out: String
    /// Train from labels only (the baseline), ignoring the stored targets.
    public var labelsOnly: Bool
    /// Label smoothing of the labels-only baseline.
    public var labelSmoothing: Double
    /// Run this teacher at every step on the same pixels instead of reading the stored targets.
    public var onlineTeacher: String?
    public var onlineTeacherArch: String?
    /// Decode/augment threads and libtorch threads.
    public var workers: Int
    public var threads: Int
    /// Save a mid-epoch checkpoint every this many steps (0: at epoch ends only).
    public var checkpointEvery: Int
    /// Use at most this many batches per epoch (a subset for demos; nil: all).
    public var maxStepsPerEpoch: Int?
    /// Evaluate on at most this many samples (nil: all).
    public var evalLimit: Int?
    /// Data-parallel training: this process's rank, the number of processes and the rendezvous (rank 0
    /// serves it at masterAddr:masterPort). world 1 is a single process.
    public var rank: Int = 0
    public var world: Int = 1
    public var masterAddr: String = "127.0.0.1"
    public var masterPort: Int = 29500

    public init(store: [String], data: String, arch: String, epochs: Int, batch: Int = 128, lr: Double = 1e-3,
                minLR: Double = 1e-5, warmupEpochs: Double = 1, weightDecay: Double = 0.05, clipGrad: Double = 5,
                seed: UInt64 = 0, eval: String? = nil, out: String, labelsOnly: Bool = false, labelSmoothing: Double = 0.1,
                onlineTeacher: String? = nil, onlineTeacherArch: String? = nil, workers: Int = 2, threads: Int = 2,
                checkpointEvery: Int = 0, maxStepsPerEpoch: Int? = nil, evalLimit: Int? = nil) {
        self.store = store
        self.data = data
        self.arch = arch
        self.epochs = epochs
        self.batch = batch
        self.lr = lr
        self.minLR = minLR
        self.warmupEpochs = warmupEpochs
        self.weightDecay = weightDecay
        self.clipGrad = clipGrad
        self.seed = seed
        self.eval = eval
        self.out = out
        self.labelsOnly = labelsOnly
        self.labelSmoothing = labelSmoothing
        self.onlineTeacher = onlineTeacher
        self.onlineTeacherArch = onlineTeacherArch
        self.workers = workers
        self.threads = threads
        self.checkpointEvery = checkpointEvery
        self.maxStepsPerEpoch = maxStepsPerEpoch
        self.evalLimit = evalLimit
    }

    /// The fields that must not change when a run resumes (threads, workers, eval and checkpoint cadence may).
    var identity: String {
        var copy = self
        copy.workers = 0
        copy.threads = 0
        copy.eval = nil
        copy.evalLimit = nil
        copy.checkpointEvery = 0
        copy.out = ""
        copy.rank = 0
        copy.masterAddr = ""
        copy.masterPort = 0
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return String(decoding: (try? enc.encode(copy)) ?? Data(), as: UTF8.self)
    }
}

/// One epoch of the training log (`log.json`).
public struct EpochLog: Sendable, Codable, Equatable {
    public var epoch: Int
    public var storedEpoch: Int
    public var steps: Int
    /// Mean training loss over the epoch's steps (this session's steps when resumed mid-epoch).
    public var trainLoss: Double
    /// Training images/s (steps of this session), seconds of the epoch, seconds waiting for data.
    public var imagesPerSecond: Double
    public var seconds: Double
    public var dataWaitSeconds: Double
    /// Seconds spent in the online teacher (0 offline).
    public var teacherSeconds: Double
    /// Learning rate at the epoch's last step.
    public var lr: Double
    /// Top-1 / top-5 accuracy on the eval source, when given.
    public var evalTop1: Double?
    public var evalTop5: Double?
    public var evalSamples: Int?

    enum CodingKeys: String, CodingKey {
        case epoch, storedEpoch = "stored_epoch", steps, trainLoss = "train_loss", imagesPerSecond = "images_per_s", seconds
        case dataWaitSeconds = "data_wait_s", teacherSeconds = "teacher_s", lr, evalTop1 = "eval_top1", evalTop5 = "eval_top5"
        case evalSamples = "eval_samples"
    }
}

/// The training log written to `<out>/log.json` after every epoch.
public struct TrainLog: Sendable, Codable, Equatable {
    public var options: TrainOptions
    public var architecture: String
    public var parameters: Int
    public var mode: String
    public var epochs: [EpochLog]
}

/// Trains a student from a store (offline KD), from labels, or with an online teacher, with exact resume.
public final class TrainJob {
    public let options: TrainOptions
    /// Progress: (epoch, step in epoch, steps in epoch, running loss, images/s).
    public var progress: ((Int, Int, Int, Double, Double) -> Void)?
    /// Polled between steps; true saves a checkpoint at the current cursor and stops.
    public var shouldStop: () -> Bool = { false }
    /// Called after each epoch with its log entry.
    public var epochFinished: ((EpochLog) -> Void)?

    public init(options: TrainOptions) { self.options = options }

    /// The training mode's name in logs.
    var mode: String { options.labelsOnly ? "labels-only" : options.onlineTeacher != nil ? "online-kd" : "offline-kd" }

    /// Runs (or resumes) training; returns the log.
    public func run() throws(PipelineError) -> TrainLog {
        let o = options
        try Settings.checkPositive(o.epochs, field: "epochs")
        try Settings.checkBatch(o.batch)
        try Settings.checkThreads(o.threads)
        guard o.lr > 0, o.lr.isFinite else { throw .invalid(field: "lr", value: "\(o.lr)", why: "must be a positive number") }
        Torch.threads = o.threads
        let loader = try Loader(storePaths: o.store, data: o.data,
                                options: LoaderOptions(batch: o.batch, seed: o.seed, rank: o.rank, world: o.world, workers: o.workers))
        let arch: Architecture
        do {
            arch = try Architecture.parse(o.arch, classes: loader.numClasses, imageSize: loader.policy.outputSize, inChannels: loader.channels)
        } catch {
            throw .invalid(field: "arch", value: o.arch, why: error.description)
        }
        var teacher: (any Teacher)?
        if let spec = o.onlineTeacher {
            // Same fused/unfused setting as the store's teacher, so online targets equal the stored ones.
            let t = try TeacherLoader.open(spec: spec, arch: o.onlineTeacherArch, maxK: loader.k,
                                           probe: (loader.channels, loader.policy.outputSize), fused: loader.store.metadata.teacher.ranFused)
            guard t.numClasses == loader.numClasses else {
                throw .invalid(field: "onlineTeacher", value: spec, why: "it has \(t.numClasses) classes, the store \(loader.numClasses)")
            }
            guard t.input == .planes else {
                throw .invalid(field: "onlineTeacher", value: spec, why: "the synthetic teacher reads pixel hashes, not the images a training step sees; use a model")
            }
            teacher = t
        }
        let model: Model, trainer: Trainer
        do {
            model = try Model(arch, seed: o.seed)
            let loss = o.labelsOnly ? LossConfig.labelsOnly(smoothing: o.labelSmoothing) : LossConfig()
            trainer = try Trainer(model: model, config: TrainerConfig(weightDecay: o.weightDecay, clipGradNorm: o.clipGrad, loss: loss))
        } catch {
            throw .invalid(field: "arch", value: o.arch, why: error.description)
        }
        var group: ProcessGroup?
        if o.world > 1 {
            do {
                group = try ProcessGroup(host: o.masterAddr, port: o.masterPort, rank: o.rank, world: o.world)
            } catch {
                throw .failed(error.description)
            }
            trainer.use(group!)
        }
        let leader = o.rank == 0
        var stepsPerEpoch: [Int] = []
        for e in 0..<o.epochs {
            let n = try loader.batchCount(epoch: e)
            stepsPerEpoch.append(o.maxStepsPerEpoch.map { min($0, n) } ?? n)
        }
        guard stepsPerEpoch.allSatisfy({ $0 > 0 }) else {
            throw .invalid(field: "batch", value: "\(o.batch)", why: "larger than an epoch of the store")
        }
        let totalSteps = stepsPerEpoch.reduce(0, +)
        let warmup = Int((o.warmupEpochs * Double(stepsPerEpoch[0])).rounded())
        let schedule = LRSchedule(baseLR: o.lr, warmupLR: o.lr * 0.01, minLR: o.minLR, warmupSteps: warmup, totalSteps: totalSteps)

        // Resume.
        do { try FileManager.default.createDirectory(atPath: o.out, withIntermediateDirectories: true) } catch {
            throw .invalid(field: "out", value: o.out, why: "cannot create the folder (\(error.localizedDescription))")
        }
        var log = TrainLog(options: o, architecture: arch.json, parameters: model.parameterCount, mode: mode, epochs: [])
        var startEpoch = 0, startPosition = 0
        if TrainingCheckpoint.exists(in: o.out) {
            let progress: [String: String]
            do { progress = try TrainingCheckpoint.load(into: trainer, from: o.out) } catch {
                throw .failed("\(o.out): cannot resume: \(error.description)")
            }
            guard progress["tinydistill.train"] == o.identity else {
                throw .invalid(field: "out", value: o.out,
                                 why: "it holds a checkpoint of a run with other settings (store, data, arch, epochs, batch, lr, seed or mode); use another folder")
            }
            startEpoch = Int(progress["epoch"] ?? "") ?? 0
            startPosition = Int(progress["position"] ?? "") ?? 0
            if let data = FileManager.default.contents(atPath: o.out + "/log.json"),
               let previous = try? JSONDecoder().decode(TrainLog.self, from: data) {
                log.epochs = previous.epochs.filter { $0.epoch < startEpoch }
            }
        }
        var evalSource: (any ImageSource)?
        if let spec = o.eval { evalSource = try DataSource.open(spec, field: "eval") }
        let modelMeta = ["tinydistill.mean": "\(loader.policy.mean)", "tinydistill.std": "\(loader.policy.std)"]

        func save(epoch: Int, position: Int) throws(PipelineError) {
            guard leader else { return }
            do {
                try TrainingCheckpoint.save(trainer: trainer, progress: ["epoch": "\(epoch)", "position": "\(position)",
                                                                          "tinydistill.train": o.identity],
                                            modelMetadata: modelMeta, to: o.out)
                let enc = JSONEncoder()
                enc.outputFormatting = [.sortedKeys, .prettyPrinted]
                try enc.encode(log).write(to: URL(fileURLWithPath: o.out + "/log.json"), options: .atomic)
            } catch let e as ModelError {
                throw .failed(e.description)
            } catch {
                throw .failed("\(o.out)/log.json: cannot write (\(error.localizedDescription))")
            }
        }

        var targets = TopKBatch(k: loader.k, capacity: o.batch)
        for epoch in startEpoch..<o.epochs {
            let steps = stepsPerEpoch[epoch]
            var step = (epoch == startEpoch ? startPosition : 0) / o.batch
            let globalBase = stepsPerEpoch.prefix(epoch).reduce(0, +)
            let stream = try loader.batches(epoch: epoch, from: step * o.batch)
            let t0 = Date()
            var lossSum = 0.0, lossCount = 0, images = 0, teacherSeconds = 0.0
            var lr = 0.0
            do { try model.setTraining(true) } catch { throw .failed(error.description) }
            while step < steps, let batch = try stream.next() {
                let global = globalBase + step
                lr = schedule.learningRate(at: global)
                var bIndices = batch.indices, bValues = batch.values
                if let teacher {
                    let ts = Date()
                    let rendered = RenderedBatch(
                        planes: batch.images, items: zip(batch.sampleIDs, batch.seeds).map { RenderItem(epoch: epoch, sample: $0, seed: $1) },
                        labels: batch.labels.map { Int($0) }, channels: batch.channels, side: batch.height)
                    try teacher.topK(rendered, into: &targets)
                    teacherSeconds += Date().timeIntervalSince(ts)
                    for q in 0..<(batch.n * batch.k) {
                        bIndices[q] = Int32(targets.indices[q])
                        bValues[q] = targets.probabilities[q]
                    }
                }
                let result: Trainer.StepResult
                do {
                    result = try trainer.step(
                        input: batch.images, n: batch.n, c: batch.channels, h: batch.height, w: batch.width,
                        indices: o.labelsOnly ? [] : bIndices, values: o.labelsOnly ? [] : bValues, k: o.labelsOnly ? 0 : batch.k,
                        labels: o.labelsOnly ? batch.labels : nil, learningRate: lr, rngSeed: SplitMix64.mix(o.seed ^ UInt64(global)))
                } catch {
                    throw .failed("step \(global) (epoch \(epoch)): \(error.description)")
                }
                lossSum += result.loss
                lossCount += 1
                images += batch.n
                step += 1
                let elapsed = Date().timeIntervalSince(t0)
                progress?(epoch, step, steps, lossSum / Double(lossCount), Double(images) / max(elapsed, 1e-9))
                if o.checkpointEvery > 0 && step % o.checkpointEvery == 0 && step < steps {
                    try save(epoch: epoch, position: step * o.batch)
                }
                if o.world == 1 && shouldStop() && step < steps {
                    try save(epoch: epoch, position: step * o.batch)
                    throw .interrupted(resume: "the same train command (it continues from \(o.out), epoch \(epoch), step \(step))")
                }
            }
            let seconds = Date().timeIntervalSince(t0)
            var entry = EpochLog(epoch: epoch, storedEpoch: loader.storedEpoch(for: epoch), steps: step,
                                 trainLoss: lossCount > 0 ? lossSum / Double(lossCount) : 0,
                                 imagesPerSecond: Double(images) / max(seconds, 1e-9), seconds: seconds,
                                 dataWaitSeconds: stream.waitSeconds, teacherSeconds: teacherSeconds, lr: lr)
            if let group {
                // The log keeps the mean loss over ranks.
                do { entry.trainLoss = Double(try group.allReduceMean([Float(entry.trainLoss)])[0]) } catch { throw .failed(error.description) }
            }
            if let evalSource, leader {
                let transform = EvalTransform(size: loader.policy.outputSize, channels: loader.channels,
                                              mean: loader.policy.mean, std: loader.policy.std)
                let (top1, top5, n) = try EvaluateJob.accuracy(model: model, source: evalSource, transform: transform, limit: o.evalLimit)
                entry.evalTop1 = top1
                entry.evalTop5 = top5
                entry.evalSamples = n
            }
            log.epochs.append(entry)
            try save(epoch: epoch + 1, position: 0)
            if let group { do { try group.barrier() } catch { throw .failed(error.description) } }
            epochFinished?(entry)
        }
        return log
    }
}
