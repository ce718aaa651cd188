import DataPipeline
import Foundation
import Images
import Models

/// Settings of `evaluate`: a model, a labelled dataset and how much of it.
public struct EvaluateOptions: Sendable, Equatable {
    /// Weights (safetensors or TorchScript) and their architecture (nil: recorded in the checkpoint).
    public var model: String
    public var arch: String?
    /// The labelled dataset (any source precompute accepts that has images).
    public var data: String
    /// Overrides of the architecture's input size and channels.
    public var imageSize: Int?
    public var inChannels: Int?
    /// Evaluate the first `limit` samples only (nil: all).
    public var limit: Int?
    /// Run a built-in architecture fused (the default).
    public var fused: Bool
    /// Samples per forward pass.
    public var batch: Int
    /// Also compute the class relations of the model's predictions (``ClassRelations``), and compare them
    /// with those of a teacher's store when `teacherStore` is given.
    public var classRelations: Bool = false
    public var teacherStore: [String]?
    /// A class map file (``ClassMap``) taking the model's classes onto the evaluated data's (its softmax
    /// summed per data class, renormalised over the classes kept), and the teacher store's targets with them.
    public var classMap: String?
    /// Another model (its weights and architecture) whose top-1 class the model's is compared with on every
    /// sample, each through its own evaluation transform: a student's agreement with its teacher.
    public var agreementModel: String?
    public var agreementArch: String?

    /// Creates options.
    public init(model: String, arch: String? = nil, data: String, imageSize: Int? = nil, inChannels: Int? = nil,
                limit: Int? = nil, fused: Bool = true, batch: Int = 256) {
        self.model = model
        self.arch = arch
        self.data = data
        self.imageSize = imageSize
        self.inChannels = inChannels
        self.limit = limit
        self.fused = fused
        self.batch = batch
    }
}

/// What `evaluate` measured; its JSON form is `evaluate --json`.
public struct EvaluateResult: Sendable, Equatable, Codable {
    /// Top-1 and top-5 accuracy in [0, 1].
    public var top1: Double
    public var top5: Double
    /// Samples evaluated.
    public var samples: Int
    /// Parameters of the model.
    public var parameters: Int
    /// Wall time of the evaluation in seconds (loading excluded).
    public var seconds: Double
    /// The class relations of the model's softmax on the dataset, when asked for.
    public var relations: ClassRelations?
    /// The Pearson correlation between the off-diagonal entries of the teacher store's class correlation
    /// and the model's, when a teacher store is given.
    public var teacherStudentCorrelation: Double?
    /// NLL, ECE (15 bins) and the reliability bins of the model's softmax on the dataset's labels.
    public var calibration: Calibration?
    /// With ``EvaluateOptions/agreementModel``: the share of samples on which both models' top-1 class is
    /// the same (ties: the lower class), and the other model's own top-1 accuracy.
    public var top1Agreement: Double?
    public var otherTop1: Double?

    enum CodingKeys: String, CodingKey {
        case top1, top5, samples, parameters, seconds, relations = "class_relations"
        case teacherStudentCorrelation = "teacher_student_correlation"
        case calibration
        case top1Agreement = "top1_agreement", otherTop1 = "agreement_model_top1"
    }
}

/// `evaluate`: top-1/top-5 accuracy of a model on a labelled dataset through the reference's evaluation
/// transform. ``accuracy(model:source:transform:limit:batch:)`` is also what `train --eval` runs.
public enum EvaluateJob {
    /// Runs the evaluation.
    public static func run(_ options: EvaluateOptions) throws(PipelineError) -> EvaluateResult {
        try Settings.checkBatch(options.batch)
        if let limit = options.limit { try Settings.checkPositive(limit, field: "limit") }
        let opened = try EvaluationModel(path: options.model, arch: options.arch, imageSize: options.imageSize,
                                         inChannels: options.inChannels, fused: options.fused)
        let source = try DataSource.open(options.data)
        guard source.hasImages else { throw .invalid(field: "data", value: options.data, why: "it has no images to evaluate on") }
        // The model's classes must be the data's (a checkpoint records its names), or mapped onto them.
        let map = try options.classMap.map { path throws(PipelineError) in
            let classes = opened.model.architecture?.numClasses
            guard let classes else {
                throw .invalid(field: "classMap", value: path, why: "a TorchScript model's class count is known only from its output; give a built-in architecture's checkpoint")
            }
            return try ClassMap(path: path, teacherClasses: classes, teacherNames: opened.classNames,
                                studentNames: source.classNames.isEmpty ? nil : source.classNames)
        }
        if map == nil, let names = opened.classNames {
            try TeacherClassNames.compare(teacher: names, source: source, data: options.data)
        }
        let start = Date()
        let c = map?.studentClasses ?? opened.model.architecture?.numClasses ?? source.classNames.count
        var relations: ClassRelations.Accumulator?
        if options.classRelations {
            guard c >= 2, c <= 1024 else {
                throw .invalid(field: "classRelations", value: "\(c) classes", why: "the class relations of predictions are computed for 2…1024 classes")
            }
            relations = ClassRelations.Accumulator(classes: c)
        }
        var calibration: Calibration.Accumulator? = Calibration.Accumulator()
        var mine: [Int]? = options.agreementModel == nil ? nil : []
        let (top1, top5, n) = try accuracy(model: opened.model, source: source, transform: opened.transform,
                                           limit: options.limit, batch: options.batch, relations: &relations,
                                           calibration: &calibration, predictions: &mine, map: map)
        let seconds = Date().timeIntervalSince(start)
        let names = (0..<c).map { $0 < source.classNames.count ? source.classNames[$0] : "class \($0)" }
        let myRelations = relations?.result(classNames: names, pairs: 10)
        var shared: Double?
        if let mine = myRelations, let store = options.teacherStore {
            let teacher = try ClassRelations.make(paths: store, classNames: source.classNames.isEmpty ? nil : names,
                                                  classMap: options.classMap)
            guard teacher.numClasses == mine.numClasses else {
                throw .invalid(field: "teacherStore", value: store.joined(separator: " "),
                               why: "it has \(teacher.numClasses) classes, the model \(mine.numClasses)")
            }
            shared = mine.matrixCorrelation(with: teacher)
        }
        var result = EvaluateResult(top1: top1, top5: top5, samples: n, parameters: opened.model.parameterCount,
                                    seconds: seconds, relations: myRelations, teacherStudentCorrelation: shared,
                                    calibration: calibration?.result())
        if let other = options.agreementModel {
            let second = try EvaluationModel(path: other, arch: options.agreementArch, fused: options.fused)
            let a = mine ?? []
            let b = try predictions(model: second.model, source: source, transform: second.transform, limit: options.limit,
                                    batch: options.batch, map: nil)
            guard a.count == b.count, !a.isEmpty else {
                throw .invalid(field: "agreementModel", value: other, why: "it predicted \(b.count) samples, the model \(a.count)")
            }
            result.top1Agreement = Double(zip(a, b).filter { $0.0 == $0.1 }.count) / Double(a.count)
            let labels = (0..<b.count).map { source.sample($0).label }
            result.otherTop1 = Double(zip(b, labels).filter { $0.0 == $0.1 }.count) / Double(b.count)
        }
        return result
    }

    /// Each sample's top-1 class under `model` (ties: the lower class), for the first `limit` samples.
    static func predictions(model: Model, source: any ImageSource, transform: EvalTransform, limit: Int?, batch: Int,
                            map: ClassMap?) throws(PipelineError) -> [Int] {
        var none: ClassRelations.Accumulator?
        var noCalibration: Calibration.Accumulator?
        var out: [Int]? = []
        _ = try accuracy(model: model, source: source, transform: transform, limit: limit, batch: batch, relations: &none,
                         calibration: &noCalibration, predictions: &out, map: map)
        return out ?? []
    }

    /// Top-1 and top-5 accuracy of `model` on `source` (the first `limit` samples) through `transform`,
    /// and the samples counted. The model is put in eval mode and back in training mode afterwards.
    public static func accuracy(model: Model, source: any ImageSource, transform: EvalTransform,
                                limit: Int?, batch: Int = 256) throws(PipelineError) -> (Double, Double, Int) {
        var none: ClassRelations.Accumulator?
        var noCalibration: Calibration.Accumulator?
        var noPredictions: [Int]?
        return try accuracy(model: model, source: source, transform: transform, limit: limit, batch: batch, relations: &none,
                            calibration: &noCalibration, predictions: &noPredictions)
    }

    /// ``accuracy(model:source:transform:limit:batch:)``, also adding each sample's softmax to `relations`
    /// and its logits to `calibration`.
    static func accuracy(model: Model, source: any ImageSource, transform: EvalTransform, limit: Int?, batch: Int,
                         relations: inout ClassRelations.Accumulator?, calibration: inout Calibration.Accumulator?,
                         predictions: inout [Int]?, map: ClassMap? = nil) throws(PipelineError) -> (Double, Double, Int) {
        let channels = transform.channels
        let side = transform.size
        let n = min(source.count, limit ?? source.count)
        var top1 = 0, top5 = 0
        do {
            try model.setTraining(false)
            defer { try? model.setTraining(true) }
            var start = 0
            while start < n {
                let end = min(n, start + batch)
                var input: [Float] = []
                input.reserveCapacity((end - start) * channels * side * side)
                for i in start..<end { input += transform.tensor(try source.image(i)) }
                var logits = try model.forward(input, n: end - start, c: channels, h: side, w: side)
                if let map { logits = Self.mapped(logits, rows: end - start, map: map) }
                let c = logits.count / (end - start)
                for (r, i) in (start..<end).enumerated() {
                    let row = logits[(r * c)..<((r + 1) * c)]
                    let label = source.sample(i).label
                    let better = row.filter { $0 > row[row.startIndex + label] }.count
                    if better == 0 { top1 += 1 }
                    if better < 5 { top5 += 1 }
                    if relations?.c == row.count, label >= 0, label < c { relations!.add(dense: Prediction.softmax(Array(row)), label: label) }
                    calibration?.add(logits: row, label: label)
                    if predictions != nil {
                        var best = row.startIndex
                        for j in row.indices where row[j] > row[best] { best = j }
                        predictions!.append(best - row.startIndex)
                    }
                }
                start = end
            }
        } catch let e as ModelError {
            throw .failed("evaluation: \(e.description)")
        } catch let e as ImageError {
            throw .failed("evaluation: \(e.description)")
        } catch {
            throw .failed("evaluation: \(error)")
        }
        return (Double(top1) / Double(max(n, 1)), Double(top5) / Double(max(n, 1)), n)
    }

    /// Logits of rows × C model classes as log-probabilities of the map's S classes: each row's softmax
    /// summed per student class over the classes kept, renormalised (a row with no kept mass gets the map's
    /// prior). Their ranking is the mapped probabilities', and softmax of them gives those probabilities.
    static func mapped(_ logits: [Float], rows: Int, map: ClassMap) -> [Float] {
        let c = map.teacherClasses, s = map.studentClasses
        var out = [Float](repeating: 0, count: rows * s)
        for r in 0..<rows {
            let p = Prediction.softmax(Array(logits[(r * c)..<((r + 1) * c)]))
            var q = [Double](repeating: 0, count: s)
            for t in 0..<c where map.target[t] >= 0 { q[Int(map.target[t])] += p[t] }
            let total = q.reduce(0, +)
            if total <= 0 { for t in 0..<c where map.target[t] >= 0 { q[Int(map.target[t])] += 1 } }
            let norm = q.reduce(0, +)
            for j in 0..<s { out[r * s + j] = Float(Foundation.log(max(q[j] / norm, 1e-30))) }
        }
        return out
    }
}
