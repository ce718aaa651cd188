import DataPipeline
import DetCore
import Foundation
import Images
import Models

/// One run of ``TrainJob``, set up in named steps: the loader, the student and its trainer, the online
/// teacher, the process group, the step plan and schedule, then resumed from its folder and trained
/// epoch by epoch. Every refusal names the options field at fault.
final class TrainRun {
    let options: TrainOptions
    let loader: Loader
    let architecture: Architecture
    let model: Model
    let trainer: Trainer
    let teacher: (any Teacher)?
    let group: ProcessGroup?
    /// Steps of each epoch, and the learning-rate schedule over all of them.
    let stepsPerEpoch: [Int]
    let schedule: LRSchedule
    let evalSource: (any ImageSource)?
    var log: TrainLog
    private var targets: TopKBatch
    private var mapScratch: ClassMap.Scratch?

    init(options o: TrainOptions, mode: String, notice: ((String) -> Void)? = nil) throws(PipelineError) {
        try Settings.checkPositive(o.epochs, field: "epochs")
        try Settings.checkBatch(o.batch)
        try Settings.checkThreads(o.threads)
        guard o.lr > 0, o.lr.isFinite else { throw .invalid(field: "lr", value: "\(o.lr)", why: "must be a positive number") }
        options = o
        Torch.threads = o.threads
        var loaderOptions = LoaderOptions(batch: o.batch, seed: o.seed, rank: o.rank, world: o.world, workers: o.workers)
        loaderOptions.exclude = o.exclude
        loaderOptions.classMap = o.classMap
        loader = try Loader(storePaths: o.store, data: o.data, options: loaderOptions)
        (architecture, model, trainer) = try Self.student(o, loader: loader)
        teacher = try Self.onlineTeacher(o, loader: loader)
        group = try Self.joinGroup(o, trainer: trainer, notice: notice)
        (stepsPerEpoch, schedule) = try Self.plan(o, loader: loader)
        evalSource = try o.eval.map { spec throws(PipelineError) in try DataSource.open(spec, field: "eval") }
        log = TrainLog(options: o, architecture: architecture.json, parameters: model.parameterCount, mode: mode, epochs: [],
                       excludedSamples: loader.exclusion?.samples.count, exclusionHash: loader.exclusion?.hash,
                       classMapDigest: loader.classMap?.digest, studentClasses: loader.classMap?.studentNames)
        targets = TopKBatch(store: loader.store.metadata, capacity: o.batch)
        mapScratch = loader.classMap.map { ClassMap.Scratch($0) }
    }

    /// The student for the store's classes, input size and channels, and its AdamW trainer.
    static func student(_ o: TrainOptions, loader: Loader) throws(PipelineError) -> (Architecture, Model, Trainer) {
        do {
            let arch = try Architecture.parse(o.arch, classes: loader.numClasses, imageSize: loader.policy.outputSize,
                                              inChannels: loader.channels)
            let model = try Model(arch, seed: o.seed)
            let loss = o.labelsOnly ? LossConfig.labelsOnly(smoothing: o.labelSmoothing) : LossConfig()
            let trainer = try Trainer(model: model, config: TrainerConfig(weightDecay: o.weightDecay, clipGradNorm: o.clipGrad, loss: loss))
            return (arch, model, trainer)
        } catch {
            throw .invalid(field: "arch", value: o.arch, why: error.description)
        }
    }

    /// The online teacher, run the way the store's teacher ran (fused or not) so that its targets equal
    /// the stored ones; nil offline.
    static func onlineTeacher(_ o: TrainOptions, loader: Loader) throws(PipelineError) -> (any Teacher)? {
        guard let spec = o.onlineTeacher else { return nil }
        let meta = loader.store.metadata
        let t = try ModelTeachers().open(spec: spec, arch: o.onlineTeacherArch, maxK: meta.topK,
                                       probe: (loader.channels, loader.policy.outputSize), fused: meta.teacher.ranFused)
        guard t.numClasses == meta.numClasses else {
            throw .invalid(field: "onlineTeacher", value: spec, why: "it has \(t.numClasses) classes, the store \(meta.numClasses)")
        }
        guard t.input == .planes else {
            throw .invalid(field: "onlineTeacher", value: spec,
                           why: "the synthetic teacher reads pixel hashes, not the images a training step sees; use a model")
        }
        return t
    }

    /// The Gloo process group of a data-parallel run (nil for one process); the trainer averages its
    /// gradients over it.
    static func joinGroup(_ o: TrainOptions, trainer: Trainer, notice: ((String) -> Void)?) throws(PipelineError) -> ProcessGroup? {
        guard o.world > 1 else { return nil }
        guard o.timeout > 0, o.timeout.isFinite else { throw .invalid(field: "timeout", value: "\(o.timeout)", why: "must be a positive number of seconds") }
        let device: GlooDevice
        do { device = try GlooDevice.choose(master: o.masterAddr, port: o.masterPort) } catch {
            throw .invalid(field: "masterAddr", value: o.masterAddr, why: error.description)
        }
        notice?("rank \(o.rank) of \(o.world): Gloo on \(device), rendezvous at \(o.masterAddr):\(o.masterPort), timeout \(Int(o.timeout)) s")
        let group: ProcessGroup
        do {
            group = try ProcessGroup(host: o.masterAddr, port: o.masterPort, rank: o.rank, world: o.world, device: device,
                                     timeout: .milliseconds(Int64(o.timeout * 1000)))
        } catch {
            throw .failed("\(error.description); every rank must start within --timeout (\(Int(o.timeout)) s) of the others, with the same MASTER_ADDR and MASTER_PORT")
        }
        trainer.use(group)
        return group
    }

    /// Steps per epoch (at most `maxStepsPerEpoch`) and the cosine schedule with warmup over all of them.
    static func plan(_ o: TrainOptions, loader: Loader) throws(PipelineError) -> ([Int], LRSchedule) {
        var steps: [Int] = []
        for e in 0..<o.epochs {
            let n = try loader.batchCount(epoch: e)
            steps.append(o.maxStepsPerEpoch.map { min($0, n) } ?? n)
        }
        guard steps.allSatisfy({ $0 > 0 }) else {
            throw .invalid(field: "batch", value: "\(o.batch)", why: "larger than an epoch of the store")
        }
        let warmup = Int((o.warmupEpochs * Double(steps[0])).rounded())
        let schedule = LRSchedule(baseLR: o.lr, warmupLR: o.lr * 0.01, minLR: o.minLR, warmupSteps: warmup,
                                  totalSteps: steps.reduce(0, +))
        return (steps, schedule)
    }

    /// Creates the output folder, or resumes the checkpoint in it: returns the cursor (epoch, position)
    /// to start from. A checkpoint of a run with other settings is refused, naming the first setting
    /// that differs.
    func resume() throws(PipelineError) -> (epoch: Int, position: Int) {
        let o = options
        do { try FileManager.default.createDirectory(atPath: o.out, withIntermediateDirectories: true) } catch {
            throw .invalid(field: "out", value: o.out, why: "cannot create the folder (\(error.localizedDescription))")
        }
        guard TrainingCheckpoint.exists(in: o.out) else { return (0, 0) }
        let progress: [String: String]
        do { progress = try TrainingCheckpoint.load(into: trainer, from: o.out) } catch {
            throw .failed("\(o.out): cannot resume: \(error.description)")
        }
        let stored = progress["tinydistill.train"] ?? ""
        if let differs = o.difference(fromStored: stored) {
            if differs == "globalBatch", let old = Self.storedShape(stored) {
                let global = old.batch * old.world
                let hint = global % o.world == 0
                    ? "use batch \(global / o.world) at world \(o.world)"
                    : "\(global) is not a multiple of world \(o.world); resume at a world that divides it"
                throw .invalid(field: "batch", value: "\(o.batch)",
                               why: "\(o.out) holds a checkpoint of a run with other settings: a global batch of \(global) (batch \(old.batch) × world \(old.world)); batch × world must stay \(global) for the resumed run to see the same samples at every step: \(hint)")
            }
            throw .invalid(field: "out", value: o.out,
                           why: "it holds a checkpoint of a run with other settings (\(differs) differs); use another folder or the same settings")
        }
        guard progress["tinydistill.class_map"] == loader.classMap?.digest else {
            let had = progress["tinydistill.class_map"].map { "the class map \($0)" } ?? "no class map"
            throw .invalid(field: "classMap", value: o.classMap ?? "(none)",
                           why: "\(o.out) holds a checkpoint of a run trained through \(had); resume with that map, or use another folder")
        }
        guard progress["tinydistill.exclusion"] == loader.exclusion?.hash else {
            throw .invalid(field: "exclude", value: o.exclude ?? "(none)",
                           why: "\(o.out) holds a checkpoint of a run that left out other samples; use the same exclusion file, unchanged, or another folder")
        }
        let epoch = Int(progress["epoch"] ?? "") ?? 0
        if let data = FileManager.default.contents(atPath: o.out + "/log.json"),
           let previous = try? JSONDecoder().decode(TrainLog.self, from: data) {
            log.epochs = previous.epochs.filter { $0.epoch < epoch }
        }
        // The cursor is rank-local records; at another world (same global batch) the step is what carries over.
        let position = Int(progress["position"] ?? "") ?? 0
        let oldBatch = Self.storedShape(stored)?.batch ?? o.batch
        return (epoch, position / oldBatch * o.batch)
    }

    /// The batch and world a stored identity records.
    static func storedShape(_ stored: String) -> (batch: Int, world: Int)? {
        guard let d = (try? JSONSerialization.jsonObject(with: Data(stored.utf8))) as? [String: Any],
              let batch = d["batch"] as? Int else { return nil }
        return (batch, (d["world"] as? Int) ?? 1)
    }

    /// Trains from `start` to the last epoch, saving a checkpoint after every epoch (and every
    /// `checkpointEvery` steps); returns the log.
    func train(from start: (epoch: Int, position: Int), job: TrainJob) throws(PipelineError) -> TrainLog {
        for epoch in start.epoch..<options.epochs {
            let entry = try trainEpoch(epoch, from: epoch == start.epoch ? start.position : 0, job: job)
            log.epochs.append(entry)
            try save(epoch: epoch + 1, position: 0)
            if let group {
                do { try group.barrier() } catch {
                    throw Self.lostRank(error.description, group: group, options: options, epoch: epoch, step: stepsPerEpoch.prefix(epoch + 1).reduce(0, +))
                }
            }
            job.epochFinished?(entry)
        }
        return log
    }

    /// One epoch from rank-local `position`: steps, then the mean loss over ranks and the evaluation.
    func trainEpoch(_ epoch: Int, from position: Int, job: TrainJob) throws(PipelineError) -> EpochLog {
        let o = options
        let steps = stepsPerEpoch[epoch]
        var step = position / o.batch
        let globalBase = stepsPerEpoch.prefix(epoch).reduce(0, +)
        let stream = try loader.batches(epoch: epoch, from: step * o.batch)
        let t0 = Date()
        var lossSum = 0.0, lossCount = 0, images = 0, teacherSeconds = 0.0
        var lr = 0.0
        do { try model.setTraining(true) } catch { throw .failed(error.description) }
        while step < steps, let batch = try stream.next() {
            let global = globalBase + step
            lr = schedule.learningRate(at: global)
            let (loss, seconds) = try self.step(batch, epoch: epoch, global: global, lr: lr)
            lossSum += loss
            lossCount += 1
            teacherSeconds += seconds
            images += batch.n
            step += 1
            job.progress?(epoch, step, steps, lossSum / Double(lossCount), Double(images) / max(Date().timeIntervalSince(t0), 1e-9))
            if o.checkpointEvery > 0 && step % o.checkpointEvery == 0 && step < steps {
                try save(epoch: epoch, position: step * o.batch)
            }
            if step < steps, try stopRequested(by: job, epoch: epoch, step: globalBase + step) {
                // Ranks hold the same weights after every step: rank 0's checkpoint is the run's.
                try save(epoch: epoch, position: step * o.batch)
                throw .interrupted(kept: "the checkpoint in \(o.out) holds epoch \(epoch), step \(step)",
                                  resume: "the same train command\(o.world > 1 ? " on every rank" : "") (it continues from there)")
            }
        }
        let seconds = Date().timeIntervalSince(t0)
        var entry = EpochLog(epoch: epoch, storedEpoch: loader.storedEpoch(for: epoch), steps: step,
                             trainLoss: lossCount > 0 ? lossSum / Double(lossCount) : 0,
                             imagesPerSecond: Double(images) / max(seconds, 1e-9), seconds: seconds,
                             dataWaitSeconds: stream.waitSeconds, teacherSeconds: teacherSeconds, lr: lr)
        if let group {
            // The log keeps the mean loss over ranks.
            do { entry.trainLoss = Double(try group.allReduceMean([Float(entry.trainLoss)])[0]) } catch {
                throw Self.lostRank(error.description, group: group, options: o, epoch: epoch, step: globalBase + step)
            }
        }
        if let evalSource, o.rank == 0 {
            let transform = EvalTransform(size: loader.policy.outputSize, channels: loader.channels,
                                          mean: loader.policy.mean, std: loader.policy.std)
            let (top1, top5, n) = try EvaluateJob.accuracy(model: model, source: evalSource, transform: transform, limit: o.evalLimit)
            entry.evalTop1 = top1
            entry.evalTop5 = top5
            entry.evalSamples = n
        }
        return entry
    }

    /// Whether to stop after this step. With several ranks they agree (a one-float all-reduce of each
    /// rank's signal flag), so that every rank stops after the same step: a rank that saw its signal one
    /// step before another would otherwise leave it waiting in the next step's gradient all-reduce.
    func stopRequested(by job: TrainJob, epoch: Int, step: Int) throws(PipelineError) -> Bool {
        let mine = job.shouldStop()
        guard let group else { return mine }
        do throws(ModelError) { return try group.allReduceMean([mine ? 1 : 0])[0] > 0 } catch {
            throw Self.lostRank(error.description, group: group, options: options, epoch: epoch, step: step)
        }
    }

    /// One optimisation step on `batch`: the stored targets, the online teacher's or the labels. Returns
    /// the loss and the seconds spent in the teacher.
    func step(_ batch: LoaderBatch, epoch: Int, global: Int, lr: Double) throws(PipelineError) -> (Double, Double) {
        let o = options
        var indices = batch.indices, values = batch.values
        var teacherSeconds = 0.0
        if let teacher {
            let ts = Date()
            let rendered = RenderedBatch(
                planes: batch.images, items: zip(batch.sampleIDs, batch.seeds).map { RenderItem(epoch: epoch, sample: $0, seed: $1) },
                labels: batch.labels.map { Int($0) }, channels: batch.channels, side: batch.height)
            try teacher.targets(rendered, into: &targets)
            teacherSeconds = Date().timeIntervalSince(ts)
            if let map = loader.classMap, mapScratch != nil {
                // The teacher's top-K in its classes, mapped as the loader maps stored targets.
                let ko = batch.k
                var oi = [UInt32](repeating: 0, count: ko), ov = [Float](repeating: 0, count: ko)
                for r in 0..<batch.n {
                    targets.withRow(r) { ti, tv in
                        oi.withUnsafeMutableBufferPointer { oib in
                            ov.withUnsafeMutableBufferPointer { ovb in map.map(indices: ti, values: tv, outIndices: oib, outValues: ovb, scratch: &mapScratch!) }
                        }
                    }
                    for q in 0..<ko {
                        indices[r * ko + q] = Int32(oi[q])
                        values[r * ko + q] = ov[q]
                    }
                }
            } else {
                for q in 0..<(batch.n * batch.k) {
                    indices[q] = Int32(targets.indices[q])
                    values[q] = targets.probabilities[q]
                }
            }
        }
        do {
            let result = try batch.withImages { (images) throws(ModelError) in
                try trainer.step(
                    input: images, n: batch.n, c: batch.channels, h: batch.height, w: batch.width,
                    indices: o.labelsOnly ? [] : indices, values: o.labelsOnly ? [] : values, k: o.labelsOnly ? 0 : batch.k,
                    labels: o.labelsOnly ? batch.labels : nil, learningRate: lr, rngSeed: SplitMix64.mix(o.seed ^ UInt64(global)))
            }
            return (result.loss, teacherSeconds)
        } catch {
            if let group { throw Self.lostRank(error.description, group: group, options: o, epoch: epoch, step: global) }
            throw .failed("step \(global) (epoch \(epoch)): \(error.description)")
        }
    }

    /// A collective that failed: a peer died or stopped answering within the timeout. Names the rank that
    /// was lost when the transport says which peer it lost (world 2: the other one), and how to resume.
    static func lostRank(_ detail: String, group: ProcessGroup, options o: TrainOptions, epoch: Int, step: Int) -> PipelineError {
        let lost: String
        if o.world == 2 {
            lost = "rank \(1 - o.rank)"
        } else if let peer = group.rank(named: detail) {
            lost = "rank \(peer)"
        } else {
            lost = "a rank"
        }
        return .failed("\(lost) of \(o.world) was lost at step \(step) (epoch \(epoch)): \(detail). The last checkpoint in \(o.out) is intact; restart every rank with the same train command to resume from it")
    }

    /// Saves the checkpoint at (epoch, position) and the log (rank 0 only).
    func save(epoch: Int, position: Int) throws(PipelineError) {
        let o = options
        guard o.rank == 0 else { return }
        var modelMeta = ["tinydistill.mean": "\(loader.policy.mean)", "tinydistill.std": "\(loader.policy.std)"]
        // The class names it learns, so that the checkpoint as a teacher records them in its stores.
        if let names = TeacherClassNames.datasetNames(loader.source, data: o.data), names.count == loader.numClasses,
           let json = try? JSONSerialization.data(withJSONObject: names) {
            modelMeta[ModelTeachers.classNamesKey] = String(decoding: json, as: UTF8.self)
        }
        // Its own accuracy, which a store it makes as a teacher records (inspect warns far below it).
        if let top1 = log.epochs.last?.evalTop1, let eval = o.eval {
            modelMeta[ModelTeachers.top1Key] = "\(top1)"
            modelMeta[ModelTeachers.top1DataKey] = eval
        }
        do {
            var progress = ["epoch": "\(epoch)", "position": "\(position)", "tinydistill.train": o.identity]
            progress["tinydistill.exclusion"] = loader.exclusion?.hash
            progress["tinydistill.class_map"] = loader.classMap?.digest
            try TrainingCheckpoint.save(trainer: trainer, progress: progress,
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
}
