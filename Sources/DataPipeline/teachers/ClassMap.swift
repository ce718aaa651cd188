import DetCore
import Foundation
import Images
import Store

/// A many-to-one map from a teacher's classes onto a student's (`--class-map FILE`): the way one store
/// made with a 21k-class teacher serves a 1k-class student. Applied when targets are read, so the store
/// itself stays in the teacher's classes.
///
/// **File.** UTF-8 text, one `TEACHER<TAB>STUDENT` pair per line; empty lines and lines starting with
/// `#` are skipped. TEACHER is a teacher class name (the store's), or its index when the store does not
/// know its teacher's names; STUDENT is a class name of the dataset (the student's labels). Teacher
/// classes on no line are dropped.
///
/// **Targets.** A record's dense teacher target is its K stored probabilities and the uniform remainder
/// r = max(0, 1 − Σ)/(C − K) on every other teacher class. Its mapped target gives student class s the
/// mass of the teacher classes mapped onto it, m(s) = Σ p(t) over map(t) = s, renormalised over the
/// classes kept; the record then keeps the min(K, S) student classes of highest mass (ties: the lower
/// class), and the loss spreads the rest uniformly as it does for any sparse target. With a one-to-one
/// map this is the stored target exactly. A record that puts no mass on any kept class (all its mass
/// on dropped classes, none left over) gets the map's prior, m(s) ∝ |map⁻¹(s)|.
///
/// Refused, naming the file and line: a class neither side has, a teacher class mapped twice (the map
/// must be many-to-one), a student class no teacher class maps onto, a line that is not two names.
public struct ClassMap: Sendable, Equatable {
    /// Teacher classes C and student classes S.
    public let teacherClasses: Int, studentClasses: Int
    /// For each teacher class, its student class, or −1 where it is dropped.
    public let target: [Int32]
    /// The student classes' names, class s at index s.
    public let studentNames: [String]
    /// `sha256:<hex>` of the map's canonical form (``canonicalText``): what a training log records and a
    /// resume compares.
    public let digest: String
    /// The file the map was read from.
    public let path: String
    /// Teacher classes mapped onto each student class.
    let counts: [Int]
    /// Student classes by descending count (ties: lower class): the order untouched classes rank in.
    let byCount: [Int]
    /// Teacher classes kept.
    let mappedCount: Int

    /// Entries per mapped record for a store of `k` entries: min(K, S).
    public func outputK(storeK k: Int) -> Int { min(k, studentClasses) }

    /// Reads the map at `path` for a teacher of `teacherClasses` classes named `teacherNames` (nil: the
    /// store does not know them; the file then names teacher classes by index) and a student whose classes
    /// are `studentNames` (the dataset's; nil: the classes in the order the file first names them).
    /// `field` names the option in errors.
    public init(path: String, teacherClasses: Int, teacherNames: [String]?, studentNames: [String]?,
                field: String = "classMap") throws(PipelineError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalid(field: field, value: path, why: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .invalid(field: field, value: path, why: "the file is not UTF-8 text")
        }
        func refuse(_ line: Int, _ why: String) -> PipelineError { .invalid(field: field, value: "\(path):\(line)", why: why) }
        var teacherIndex: [String: Int] = [:]
        if let teacherNames {
            for (i, n) in teacherNames.enumerated() { teacherIndex[n] = i }
        }
        var studentIndex: [String: Int] = [:]
        var students = studentNames ?? []
        for (i, n) in students.enumerated() { studentIndex[n] = i }
        var target = [Int32](repeating: -1, count: teacherClasses)
        var mappedOn = [Int](repeating: 0, count: teacherClasses)  // line that mapped each teacher class
        // "\r\n" is one Character to Swift: split on scalars so that CRLF files read line by line.
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { String(String.UnicodeScalarView($0)) }
        for (i, raw) in lines.enumerated() {
            let number = i + 1
            let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : raw
            if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
            let fields = line.components(separatedBy: "\t")
            guard fields.count == 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw refuse(number, "expected a teacher class and a student class separated by one tab, found \(fields.count == 1 ? "no tab" : "\(fields.count - 1) tabs or an empty name")")
            }
            let (from, to) = (fields[0], fields[1])
            let t: Int
            if teacherNames != nil {
                guard let found = teacherIndex[from] else {
                    throw refuse(number, "\"\(from)\" is not one of the teacher's \(teacherClasses) class names"
                                 + (studentIndex[from] != nil ? " (it is a student class: the teacher's class comes first on a line)" : ""))
                }
                t = found
            } else {
                guard let found = Int(from), found >= 0, found < teacherClasses else {
                    throw refuse(number, "\"\(from)\" is not a teacher class: the store does not know its teacher's names, so name teacher classes by index, 0…\(teacherClasses - 1)")
                }
                t = found
            }
            let s: Int
            if let found = studentIndex[to] {
                s = found
            } else if studentNames == nil {
                s = students.count
                students.append(to)
                studentIndex[to] = s
            } else {
                throw refuse(number, "\"\(to)\" is not one of the dataset's \(students.count) classes (first: \(students.prefix(3).map { "\"\($0)\"" }.joined(separator: ", ")))")
            }
            guard target[t] < 0 else {
                throw refuse(number, "teacher class \"\(from)\" is mapped again (first on line \(mappedOn[t])); a class map is many-to-one: each teacher class goes to at most one student class")
            }
            target[t] = Int32(s)
            mappedOn[t] = number
        }
        var counts = [Int](repeating: 0, count: students.count)
        for s in target where s >= 0 { counts[Int(s)] += 1 }
        guard !students.isEmpty else { throw .invalid(field: field, value: path, why: "the file maps no class") }
        if let empty = counts.firstIndex(of: 0) {
            let all = counts.indices.filter { counts[$0] == 0 }
            throw .invalid(field: field, value: path,
                           why: "student class \"\(students[empty])\" gets no teacher class (\(all.count) of \(students.count) are empty); map at least one teacher class onto every class of the dataset")
        }
        self.teacherClasses = teacherClasses
        self.studentClasses = students.count
        self.target = target
        self.studentNames = students
        self.path = path
        self.counts = counts
        self.byCount = counts.indices.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
        self.mappedCount = counts.reduce(0, +)
        self.digest = "sha256:" + SHA256.hex(Array(Self.canonicalText(target: target, teacherNames: teacherNames, studentNames: students).utf8))
    }

    /// The text the digest hashes: a version line, then one `t<TAB>teacher name<TAB>s<TAB>student name` line per
    /// mapped teacher class in teacher order (the index as the name when the teacher's names are unknown).
    static func canonicalText(target: [Int32], teacherNames: [String]?, studentNames: [String]) -> String {
        var out = "tinydistill class map 1\n"
        for (t, s) in target.enumerated() where s >= 0 {
            out += "\(t)\t\(teacherNames?[t] ?? "\(t)")\t\(s)\t\(studentNames[Int(s)])\n"
        }
        return out
    }

    /// The map for the store described by `metadata` and the dataset `source` (`data` as given): its
    /// student classes are the dataset's.
    public init(path: String, metadata: StoreMetadata, source: any ImageSource, field: String = "classMap") throws(PipelineError) {
        try self.init(path: path, teacherClasses: metadata.numClasses, teacherNames: metadata.teacher.classNames,
                      studentNames: source.classNames.isEmpty ? nil : source.classNames, field: field)
    }

    /// The map readers of a store's targets with its labels use (label noise, class relations): the one
    /// at `path`, with the dataset's classes `datasetNames` (from the dataset, else as the store records
    /// them) as the student's; nil without a path. Without a map, a store whose labels are not the
    /// teacher's classes (both names known and different: precompute was given a map) is refused, since
    /// its targets and labels would be compared class by class.
    public static func reading(_ path: String?, metadata: StoreMetadata, datasetNames: [String]?,
                               field: String = "classMap") throws(PipelineError) -> ClassMap? {
        let dataset = datasetNames ?? metadata.dataset.classNames
        if let path {
            return try ClassMap(path: path, teacherClasses: metadata.numClasses, teacherNames: metadata.teacher.classNames,
                                studentNames: dataset, field: field)
        }
        if labelsInOtherClasses(metadata, datasetNames: datasetNames), let teacher = metadata.teacher.classNames, let dataset {
            throw .invalid(field: field, value: "(none)",
                           why: "the store's labels are the dataset's \(dataset.count) classes (\(dataset.prefix(3).joined(separator: ", "))\(dataset.count > 3 ? ", …" : "")), "
                               + "not its teacher's \(teacher.count) (\(teacher.prefix(3).joined(separator: ", "))\(teacher.count > 3 ? ", …" : "")) in the teacher's order; "
                               + "give the class map that relates them (--class-map FILE, as precompute was given)")
        }
        return nil
    }

    /// Whether the store's labels are another set of classes than its teacher's: both names known (the
    /// dataset's from `datasetNames`, else as the store records them) and different, as when precompute
    /// was given a map. Targets and labels then meet only through a map.
    public static func labelsInOtherClasses(_ metadata: StoreMetadata, datasetNames: [String]?) -> Bool {
        guard let teacher = metadata.teacher.classNames, let dataset = datasetNames ?? metadata.dataset.classNames else { return false }
        return dataset != teacher
    }

    /// Maps one record: `indices`/`values` (its K entries, any order) of a C-class teacher target into
    /// `outIndices`/`outValues` (``outputK(storeK:)`` entries, ascending class). `scratch` is working space
    /// for this map (``Scratch``), reused from record to record.
    public func map(indices: UnsafeBufferPointer<UInt32>, values: UnsafeBufferPointer<Float>,
                    outIndices: UnsafeMutableBufferPointer<UInt32>, outValues: UnsafeMutableBufferPointer<Float>,
                    scratch: inout Scratch) {
        let k = indices.count, kOut = outputK(storeK: k)
        var sum = 0.0
        for v in values { sum += Double(v) }
        let rest = teacherClasses > k ? max(0, 1 - sum) / Double(teacherClasses - k) : 0
        // Touched student classes: their mass beyond the remainder share r·count(s). The lists live in
        // `scratch`, so that a record allocates nothing.
        scratch.touched.removeAll(keepingCapacity: true)
        scratch.candidates.removeAll(keepingCapacity: true)
        var total = rest * Double(mappedCount)
        for q in 0..<k {
            let t = Int(indices[q])
            guard t < teacherClasses else { continue }
            let s = Int(target[t])
            guard s >= 0 else { continue }
            if !scratch.seen[s] { scratch.seen[s] = true; scratch.touched.append(s) }
            let extra = Double(values[q]) - rest
            scratch.mass[s] += extra
            total += extra
        }
        let prior = total <= 0
        func mass(_ s: Int) -> Double { prior ? Double(counts[s]) : rest * Double(counts[s]) + scratch.mass[s] }
        // Candidates: the touched classes and the first kOut untouched ones by count (an untouched class's
        // mass, r·count(s), orders them by count).
        for s in scratch.touched { scratch.candidates.append((s, mass(s))) }
        var untouched = 0
        for s in byCount {
            if untouched == kOut { break }
            if scratch.seen[s] { continue }
            scratch.candidates.append((s, mass(s)))
            untouched += 1
        }
        scratch.candidates.sort { $0.m != $1.m ? $0.m > $1.m : $0.s < $1.s }
        scratch.candidates[..<kOut].sort { $0.s < $1.s }
        let norm = prior ? Double(mappedCount) : total
        for q in 0..<kOut {
            let c = scratch.candidates[q]
            outIndices[q] = UInt32(c.s)
            outValues[q] = Float(max(0, c.m) / norm)
        }
        for s in scratch.touched { scratch.mass[s] = 0; scratch.seen[s] = false }
    }

    /// Per-student-class working space of ``map(indices:values:outIndices:outValues:scratch:)``.
    public struct Scratch: Sendable {
        var mass: [Double], seen: [Bool]
        var touched: [Int] = [], candidates: [(s: Int, m: Double)] = []
        /// Space for `map`'s student classes.
        public init(_ map: ClassMap) {
            mass = [Double](repeating: 0, count: map.studentClasses)
            seen = [Bool](repeating: false, count: map.studentClasses)
        }
    }

    /// `columns` (records of a C-class store) in the student's classes: each record mapped as
    /// ``map(indices:values:outIndices:outValues:scratch:)``; sample ids and seeds unchanged.
    public func apply(_ columns: RecordColumns) -> RecordColumns {
        let k = columns.k, kOut = outputK(storeK: k), n = columns.count
        var indices = [UInt32](repeating: 0, count: n * kOut)
        var values = [Float](repeating: 0, count: n * kOut)
        var scratch = Scratch(self)
        columns.indices.withUnsafeBufferPointer { ci in
            columns.values.withUnsafeBufferPointer { cv in
                indices.withUnsafeMutableBufferPointer { oi in
                    values.withUnsafeMutableBufferPointer { ov in
                        for r in 0..<n {
                            map(indices: UnsafeBufferPointer(rebasing: ci[(r * k)..<((r + 1) * k)]),
                                values: UnsafeBufferPointer(rebasing: cv[(r * k)..<((r + 1) * k)]),
                                outIndices: UnsafeMutableBufferPointer(rebasing: oi[(r * kOut)..<((r + 1) * kOut)]),
                                outValues: UnsafeMutableBufferPointer(rebasing: ov[(r * kOut)..<((r + 1) * kOut)]),
                                scratch: &scratch)
                        }
                    }
                }
            }
        }
        return RecordColumns(epoch: columns.epoch, k: kOut, sampleIDs: columns.sampleIDs, seeds: columns.seeds,
                             indices: indices, values: values)
    }
}
