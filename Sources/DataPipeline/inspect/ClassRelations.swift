import DetCore
import Foundation
import Store

/// What a store's targets say about how classes relate (the TinyViT paper's Figure 7): the Pearson
/// correlation between classes of the stored probability vectors, each class's mean target entropy, and
/// the pairs of classes the teacher confuses most. One streaming pass over the chunks; memory O(C²)
/// (the classes' co-moments), never O(records).
///
/// Every record is its dense target: the K stored probabilities at their classes and the uniform
/// remainder u = max(0, 1 − Σ)/(C − K) everywhere else. Written p = u·1 + d with d non-zero on the K
/// stored classes only, Σ pᵢpⱼ = Σu² + Σu·dᵢ + Σu·dⱼ + Σdᵢdⱼ, so a record costs O(K²), not O(C²).
public struct ClassRelations: Sendable, Codable, Equatable {
    /// Two classes the teacher confuses: the mean probability each gets on samples labelled as the other,
    /// averaged over the two directions, and their correlation.
    public struct Pair: Sendable, Codable, Equatable {
        public var a: Int, b: Int
        public var nameA: String, nameB: String
        public var mass: Double
        public var correlation: Double?
        enum CodingKeys: String, CodingKey {
            case a, b, nameA = "name_a", nameB = "name_b", mass, correlation
        }
    }

    /// Classes C and records read.
    public var numClasses: Int
    public var records: Int
    /// Class names (the dataset's, or `class N`).
    public var classNames: [String]
    /// Mean entropy (nats) of the targets of the records labelled with each class (by their top-1 class
    /// when the store has no labels); nil for a class with no record.
    public var meanEntropy: [Double?]
    /// The most confused pairs, most confused first.
    public var confusedPairs: [Pair]
    /// The C × C Pearson correlation, row-major (nil where a class's probability never varies).
    public var correlation: [Double?]

    /// Largest C this computes (the co-moment matrix is C² doubles).
    public static let maxClasses = 4096

    enum CodingKeys: String, CodingKey {
        case numClasses = "num_classes", records, classNames = "class_names", meanEntropy = "mean_entropy"
        case confusedPairs = "confused_pairs", correlation
    }

    /// Reads `paths` (a store or its shards) once. `classNames` are the dataset's (nil: as the store
    /// records them, else the teacher's, else `class N`); `pairs` is how many confused pairs to keep. With
    /// `classMap` (a file, ``ClassMap``) the relations are those of the targets mapped onto the dataset's
    /// classes; a store whose labels are not its teacher's classes needs it.
    public static func make(paths: [String], classNames names: [String]? = nil, pairs: Int = 10,
                            classMap: String? = nil) throws(PipelineError) -> ClassRelations {
        let store: ShardedStore
        do { store = try ShardedStore(paths: paths) } catch { throw .store(error) }
        let map = try ClassMap.reading(classMap, metadata: store.metadata, datasetNames: names)
        let c = map?.studentClasses ?? store.metadata.numClasses
        let names = map?.studentNames ?? names ?? store.metadata.dataset.classNames ?? store.metadata.teacher.classNames
        guard c <= maxClasses else {
            throw .invalid(field: "classCorrelation", value: paths.joined(separator: " "),
                           why: "the store has C = \(c) classes; class relations are computed for C ≤ \(maxClasses)")
        }
        let labels: [Int32?]?
        do { labels = try store.labels() } catch { throw .store(error) }
        var acc = Accumulator(classes: c)
        do {
            try store.forEachChunk { cols in acc.add(map.map { $0.apply(cols) } ?? cols, labels: labels) }
        } catch let e as StoreError {
            throw .store(e)
        } catch {
            throw .failed("\(paths.joined(separator: " ")): \(error)")
        }
        let classNames = (0..<c).map { i in names.flatMap { i < $0.count ? $0[i] : nil } ?? "class \(i)" }
        return acc.result(classNames: classNames, pairs: pairs)
    }

    /// The Pearson correlation between the off-diagonal entries of this matrix and `other`'s (the same C):
    /// how much of the class relations the two share (the TinyViT paper's claim that a student inherits
    /// its teacher's). Entries undefined in either are skipped; nil when fewer than two remain.
    public func matrixCorrelation(with other: ClassRelations) -> Double? {
        guard other.numClasses == numClasses else { return nil }
        var xs: [Double] = [], ys: [Double] = []
        for i in 0..<numClasses {
            for j in 0..<numClasses where i != j {
                if let x = correlation[i * numClasses + j], let y = other.correlation[i * numClasses + j] { xs.append(x); ys.append(y) }
            }
        }
        guard xs.count >= 2 else { return nil }
        let n = Double(xs.count)
        let mx = xs.reduce(0, +) / n, my = ys.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (x, y) in zip(xs, ys) { sxy += (x - mx) * (y - my); sxx += (x - mx) * (x - mx); syy += (y - my) * (y - my) }
        guard sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }

    /// The correlation as an RGB picture, `cell` pixels per class (blue −1, white 0, red +1; grey where
    /// undefined).
    public func heatmap(cell: Int) -> Image {
        let side = numClasses * cell
        var px = [UInt8](repeating: 0, count: side * side * 3)
        for i in 0..<numClasses {
            for j in 0..<numClasses {
                let rgb: (UInt8, UInt8, UInt8)
                if let r = correlation[i * numClasses + j] {
                    let t = max(-1, min(1, r))
                    let fade = UInt8((255 * (1 - abs(t))).rounded())
                    rgb = t >= 0 ? (255, fade, fade) : (fade, fade, 255)
                } else {
                    rgb = (160, 160, 160)
                }
                for y in (i * cell)..<((i + 1) * cell) {
                    for x in (j * cell)..<((j + 1) * cell) {
                        let o = (y * side + x) * 3
                        px[o] = rgb.0; px[o + 1] = rgb.1; px[o + 2] = rgb.2
                    }
                }
            }
        }
        return Image(width: side, height: side, channels: 3, pixels: px)
    }

    /// The running sums of one pass.
    package struct Accumulator {
        package let c: Int
        var records = 0
        var sumU = 0.0, sumU2 = 0.0
        var sumD: [Double]        // Σ dᵢ
        var sumUD: [Double]       // Σ u·dᵢ
        var sumDD: [Double]       // Σ dᵢdⱼ, C × C
        var entropy: [Double], entropyCount: [Int]
        var labelU: [Double]      // per label: Σ u over its records
        var labelD: [Double]      // per label × class: Σ dⱼ over its records, C × C
        var labelCount: [Int]

        package init(classes c: Int) {
            self.c = c
            sumD = [Double](repeating: 0, count: c)
            sumUD = sumD
            sumDD = [Double](repeating: 0, count: c * c)
            entropy = sumD
            entropyCount = [Int](repeating: 0, count: c)
            labelU = sumD
            labelD = sumDD
            labelCount = entropyCount
        }

        mutating func add(_ cols: RecordColumns, labels: [Int32?]?) {
            let k = cols.k
            for r in 0..<cols.count {
                let base = r * k
                var mass = 0.0
                for q in 0..<k { mass += Double(cols.values[base + q]) }
                let u = c > k ? max(0, 1 - mass) / Double(c - k) : 0
                var h = 0.0
                for q in 0..<k {
                    let v = Double(cols.values[base + q])
                    if v > 0 { h -= v * log(v) }
                }
                if u > 0 { h -= Double(c - k) * u * log(u) }
                let sample = Int(cols.sampleIDs[r])
                let label: Int
                if let labels, sample < labels.count, let l = labels[sample], l >= 0, Int(l) < c {
                    label = Int(l)
                } else {
                    label = Int(cols.indices[cols.top1Position(r)])
                }
                records += 1
                sumU += u
                sumU2 += u * u
                entropy[label] += h
                entropyCount[label] += 1
                labelU[label] += u
                labelCount[label] += 1
                for q in 0..<k {
                    let i = Int(cols.indices[base + q])
                    let di = Double(cols.values[base + q]) - u
                    sumD[i] += di
                    sumUD[i] += u * di
                    labelD[label * c + i] += di
                    for s in 0..<k {
                        sumDD[i * c + Int(cols.indices[base + s])] += di * (Double(cols.values[base + s]) - u)
                    }
                }
            }
        }

        /// One dense probability row (a model's softmax) with its label: the sparse sums with u = 0 and every
        /// class stored, O(C²).
        package mutating func add(dense p: [Double], label: Int) {
            var h = 0.0
            for v in p where v > 0 { h -= v * log(v) }
            records += 1
            entropy[label] += h
            entropyCount[label] += 1
            labelCount[label] += 1
            for i in 0..<c where p[i] != 0 {
                sumD[i] += p[i]
                labelD[label * c + i] += p[i]
                for j in 0..<c { sumDD[i * c + j] += p[i] * p[j] }
            }
        }

        package func result(classNames: [String], pairs: Int) -> ClassRelations {
            let n = Double(max(records, 1))
            let mean = (0..<c).map { (sumU + sumD[$0]) / n }
            var corr = [Double?](repeating: nil, count: c * c)
            func cov(_ i: Int, _ j: Int) -> Double {
                (sumU2 + sumUD[i] + sumUD[j] + sumDD[i * c + j]) / n - mean[i] * mean[j]
            }
            let sd = (0..<c).map { cov($0, $0).squareRoot() }
            for i in 0..<c {
                for j in 0..<c where sd[i] > 1e-12 && sd[j] > 1e-12 {
                    corr[i * c + j] = max(-1, min(1, cov(i, j) / (sd[i] * sd[j])))
                }
            }
            // P(class j | label i): the mean probability class j gets on records labelled i.
            func confusion(_ i: Int, _ j: Int) -> Double? {
                labelCount[i] > 0 ? (labelU[i] + labelD[i * c + j]) / Double(labelCount[i]) : nil
            }
            var found: [Pair] = []
            for i in 0..<c {
                for j in (i + 1)..<max(c, i + 1) {
                    let both = [confusion(i, j), confusion(j, i)].compactMap { $0 }
                    guard !both.isEmpty else { continue }
                    found.append(Pair(a: i, b: j, nameA: classNames[i], nameB: classNames[j],
                                      mass: both.reduce(0, +) / Double(both.count), correlation: corr[i * c + j]))
                }
            }
            found.sort { $0.mass != $1.mass ? $0.mass > $1.mass : ($0.a, $0.b) < ($1.a, $1.b) }
            return ClassRelations(
                numClasses: c, records: records, classNames: classNames,
                meanEntropy: (0..<c).map { entropyCount[$0] > 0 ? entropy[$0] / Double(entropyCount[$0]) : nil },
                confusedPairs: Array(found.prefix(pairs)), correlation: corr)
        }
    }
}
