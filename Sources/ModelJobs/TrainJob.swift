import DataPipeline
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
    /// Seconds the rendezvous and every collective may wait for the other ranks before a lost rank is an
    /// error.
    public var timeout: Double = 60
    /// A file of sample keys to leave out of training (``SampleExclusion``; `inspect --label-noise --out`).
    public var exclude: String?
    /// A class map file (``ClassMap``): the student learns the dataset's classes from the teacher's targets
    /// mapped onto them. Its digest is in the log and the checkpoint; a resume with another map is refused
    /// (the file may move).
    public var classMap: String?

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

    /// The settings of the run, as stored in its checkpoint (``sameRun(stored:)`` compares them).
    var identity: String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return String(decoding: (try? enc.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// Settings a resume may change: threads, workers, evaluation, checkpoint cadence, the folder, where
    /// this rank runs and how long it waits. `batch` and `world` may change together as long as the
    /// global batch (batch × world) stays: the run then sees the same samples at every step.
    static let resumable: Set<String> = ["workers", "threads", "eval", "evalLimit", "checkpointEvery", "out", "rank",
                                         "masterAddr", "masterPort", "timeout", "batch", "world", "classMap"]

    /// How a stored identity differs from this run's settings: nil when it is the same run, else the first
    /// setting (by name) that differs, `globalBatch` when batch × world changed.
    func difference(fromStored stored: String) -> String? {
        guard var old = (try? JSONSerialization.jsonObject(with: Data(stored.utf8))) as? [String: Any],
              var new = (try? JSONSerialization.jsonObject(with: Data(identity.utf8))) as? [String: Any] else {
            return "settings (the checkpoint's record of them does not parse)"
        }
        if Self.globalBatch(old) != batch * world { return "globalBatch" }
        for key in Self.resumable { old[key] = nil; new[key] = nil }
        for key in Set(old.keys).union(new.keys).sorted() where old[key].map({ "\($0)" }) != new[key].map({ "\($0)" }) {
            return key
        }
        return nil
    }

    /// batch × world of a stored identity (a world of 1 when it was not recorded).
    static func globalBatch(_ identity: [String: Any]) -> Int? {
        guard let batch = identity["batch"] as? Int else { return nil }
        return batch * ((identity["world"] as? Int) ?? 1)
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
    /// Samples left out (`options.exclude`) and the hash of their ids, when there is an exclusion.
    public var excludedSamples: Int?
    public var exclusionHash: String?
    /// The class map's digest (``ClassMap/digest``) and the student's classes it gives, when there is one.
    public var classMapDigest: String?
    public var studentClasses: [String]?

    enum CodingKeys: String, CodingKey {
        case options, architecture, parameters, mode, epochs, excludedSamples = "excluded_samples", exclusionHash = "exclusion_hash"
        case classMapDigest = "class_map_digest", studentClasses = "student_classes"
    }
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
    /// Called with facts worth a line in the log (the Gloo device each rank chose).
    public var notice: ((String) -> Void)?

    public init(options: TrainOptions) { self.options = options }

    /// The training mode's name in logs.
    var mode: String { options.labelsOnly ? "labels-only" : options.onlineTeacher != nil ? "online-kd" : "offline-kd" }

    /// Runs (or resumes) training; returns the log.
    public func run() throws(PipelineError) -> TrainLog {
        let run = try TrainRun(options: options, mode: mode, notice: notice)
        return try run.train(from: run.resume(), job: self)
    }
}
