import Foundation
import Store

/// The samples whose teacher, averaged over every stored view (all epochs), confidently disagrees with
/// the dataset label: the TinyViT paper's use of a pretrained model to find mislabelled images.
///
/// One pass: for every epoch and shard a cursor walks its chunks in sample order, and the cursors are
/// merged by sample id, so each sample's views are gathered, scored and dropped before the next sample:
/// memory is the chunks in flight and the suspects kept, never the records.
public struct LabelNoise: Sendable, Codable, Equatable {
    /// One suspect.
    public struct Suspect: Sendable, Codable, Equatable {
        public var sample: Int
        public var key: String
        public var label: Int, labelName: String
        /// The class with the highest mean probability over the views, its mean probability, and the
        /// label's.
        public var teacherClass: Int, teacherName: String
        public var meanProbability: Double
        public var labelProbability: Double
        /// Share of the views whose top-1 class is the teacher's class.
        public var agreement: Double
        /// Views (records) of the sample.
        public var views: Int
        /// meanProbability − labelProbability: how far the teacher leans away from the label.
        public var score: Double

        enum CodingKeys: String, CodingKey {
            case sample, key, label, labelName = "label_name", teacherClass = "teacher_class", teacherName = "teacher_name"
            case meanProbability = "mean_probability", labelProbability = "label_probability", agreement, views, score
        }
    }

    /// The threshold on the teacher's mean probability, samples with a label, and the suspects (highest
    /// score first).
    public var minConfidence: Double
    public var samples: Int
    public var suspects: [Suspect]

    enum CodingKeys: String, CodingKey { case minConfidence = "min_confidence", samples, suspects }

    /// Ranks the suspects of `paths` (a store or its shards): samples whose teacher class is not their
    /// label, with a mean probability of at least `minConfidence`. `classNames` are the dataset's (nil: as
    /// the store records them); with `classMap` (a file, ``ClassMap``) the teacher's targets are compared
    /// with the labels in the dataset's classes. A store whose labels are not its teacher's classes needs
    /// the map (``ClassMap/reading(_:metadata:datasetNames:field:)``).
    public static func make(paths: [String], minConfidence: Double = 0.9, classNames names: [String]? = nil,
                            classMap: String? = nil) throws(PipelineError) -> LabelNoise {
        guard minConfidence > 0, minConfidence <= 1 else {
            throw .invalid(field: "minConfidence", value: "\(minConfidence)", why: "must be in (0, 1]")
        }
        let store: ShardedStore
        do { store = try ShardedStore(paths: paths) } catch { throw .store(error) }
        let meta = store.metadata
        let map = try ClassMap.reading(classMap, metadata: meta, datasetNames: names)
        let c = map?.studentClasses ?? meta.numClasses
        // Labels are the dataset's classes; the teacher's are the same ones (checked above) or mapped onto them.
        let labelNames = map?.studentNames ?? names ?? meta.dataset.classNames
        let teacherNames = map?.studentNames ?? meta.teacher.classNames ?? labelNames
        let stored: [Int32?]?
        do { stored = try store.labels() } catch { throw .store(error) }
        guard let labels = stored else {
            throw .invalid(field: "data", value: paths.joined(separator: " "), why: "the store lists no sample labels; label noise needs them")
        }
        func name(_ i: Int, _ names: [String]?) -> String { names.flatMap { i < $0.count ? $0[i] : nil } ?? "class \(i)" }
        var cursors: [Cursor] = []
        do {
            for (s, reader) in store.readers.enumerated() {
                for e in 0..<meta.epochs { cursors.append(Cursor(shard: s, chunks: try reader.chunks(epoch: e), map: map)) }
            }
        } catch { throw .store(error) }
        var suspects: [Suspect] = []
        var labelled = 0
        do {
            for sample in 0..<meta.dataset.sampleCount {
                var views: [(classes: ArraySlice<UInt32>, values: ArraySlice<Float>)] = []
                for i in cursors.indices {
                    if let view = try cursors[i].take(sample, store: store) { views.append(view) }
                }
                guard !views.isEmpty, sample < labels.count, let l = labels[sample], l >= 0, Int(l) < c else { continue }
                labelled += 1
                let label = Int(l)
                // Mean dense probability of each class any view stores (a view's uniform remainder where it
                // does not store the class).
                var candidates = Set<UInt32>()
                var remainders: [Double] = []
                var top1: [UInt32] = []
                for v in views {
                    let k = v.classes.count
                    let mass = v.values.reduce(0) { $0 + Double($1) }
                    remainders.append(c > k ? max(0, 1 - mass) / Double(c - k) : 0)
                    var best = v.classes.startIndex
                    for j in v.classes.indices where v.values[j] > v.values[best] || (v.values[j] == v.values[best] && v.classes[j] < v.classes[best]) { best = j }
                    top1.append(v.classes[best])
                    candidates.formUnion(v.classes)
                }
                func mean(_ cls: UInt32) -> Double {
                    var total = 0.0
                    for (v, u) in zip(views, remainders) {
                        if let j = v.classes.firstIndex(of: cls) { total += Double(v.values[j]) } else { total += u }
                    }
                    return total / Double(views.count)
                }
                let means = candidates.map { ($0, mean($0)) }
                guard let (teacher, p) = means.max(by: { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 > $1.0 }) else { continue }
                guard Int(teacher) != label, p >= minConfidence else { continue }
                let q = mean(UInt32(label))
                let key = (try? store.readers[0].sample(sample))??.key ?? "sample \(sample)"
                suspects.append(Suspect(sample: sample, key: key, label: label, labelName: name(label, labelNames), teacherClass: Int(teacher),
                                        teacherName: name(Int(teacher), teacherNames), meanProbability: p, labelProbability: q,
                                        agreement: Double(top1.filter { $0 == teacher }.count) / Double(views.count),
                                        views: views.count, score: p - q))
            }
        } catch let e as StoreError {
            throw .store(e)
        } catch {
            throw .failed("\(paths.joined(separator: " ")): \(error)")
        }
        suspects.sort { $0.score != $1.score ? $0.score > $1.score : $0.sample < $1.sample }
        return LabelNoise(minConfidence: minConfidence, samples: labelled, suspects: suspects)
    }

    /// The suspects as an exclusion list: one sample key per line, after a comment line.
    public var exclusionList: String {
        "# tinydistill label-noise suspects (min confidence \(minConfidence)): one sample key per line\n"
            + suspects.map { $0.key + "\n" }.joined()
    }

    /// One epoch of one shard, read chunk by chunk in sample order.
    struct Cursor {
        let shard: Int
        let chunks: [ChunkInfo]
        /// The map each chunk's targets go through, or nil.
        let map: ClassMap?
        var next = 0
        var columns: RecordColumns?
        var row = 0

        init(shard: Int, chunks: [ChunkInfo], map: ClassMap? = nil) {
            self.shard = shard
            self.chunks = chunks.sorted { $0.minSample < $1.minSample }
            self.map = map
        }

        /// The view of `sample` when this cursor holds one (samples are asked for in increasing order).
        mutating func take(_ sample: Int, store: ShardedStore) throws(StoreError) -> (classes: ArraySlice<UInt32>, values: ArraySlice<Float>)? {
            while true {
                if let cols = columns, row < cols.count {
                    let s = Int(cols.sampleIDs[row])
                    if s > sample { return nil }
                    let k = cols.k
                    let i = row
                    row += 1
                    if s == sample { return (cols.indices[(i * k)..<((i + 1) * k)], cols.values[(i * k)..<((i + 1) * k)]) }
                    continue
                }
                guard next < chunks.count, chunks[next].minSample <= sample else { return nil }
                let cols = try store.readers[shard].chunk(epoch: chunks[next].epoch, chunk: chunks[next].chunk)
                columns = map.map { $0.apply(cols) } ?? cols
                row = 0
                next += 1
            }
        }
    }
}
