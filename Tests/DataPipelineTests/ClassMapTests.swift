import Augment
import Foundation
@testable import DataPipeline
import Store
import Testing

/// ``ClassMap``: reading a map file against both sides' classes, the refusals (file, line, reason), and
/// the mapped targets (summed per student class, renormalised, min(K, S) entries).
@Suite struct ClassMapTests {
    static let teacher = ["cat", "lion", "dog", "wolf", "car"]

    func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("classmap-\(UUID().uuidString).tsv").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func map(_ text: String, students: [String]? = ["feline", "canine"], teacher: [String]? = Self.teacher) throws -> ClassMap {
        try ClassMap(path: try file(text), teacherClasses: 5, teacherNames: teacher, studentNames: students)
    }

    /// The refusal's value (file:line) and reason.
    func refusal(_ text: String, students: [String]? = ["feline", "canine"], teacher: [String]? = Self.teacher) throws -> (String, String) {
        do {
            _ = try map(text, students: students, teacher: teacher)
        } catch let error as PipelineError {
            guard case .invalid(let field, let value, let why) = error else { return ("", "\(error)") }
            #expect(field == "classMap")
            return (value, why)
        }
        Issue.record("the map was accepted")
        return ("", "")
    }

    @Test func tabSeparatedPairsMapManyToOneAndLeaveUnmappedClassesDropped() throws {
        let m = try map("# comment\ncat\tfeline\nlion\tfeline\n\ndog\tcanine\r\nwolf\tcanine\n")
        #expect(m.target == [0, 0, 1, 1, -1])
        #expect(m.studentClasses == 2 && m.studentNames == ["feline", "canine"])
        #expect(m.outputK(storeK: 3) == 2 && m.outputK(storeK: 1) == 1)
        #expect(m.digest.hasPrefix("sha256:") && m.digest.count == 7 + 64)
    }

    @Test func theDigestFollowsTheMappingNotTheFileText() throws {
        let a = try map("cat\tfeline\nlion\tfeline\ndog\tcanine\n")
        let b = try map("# the same map, reordered\ndog\tcanine\nlion\tfeline\ncat\tfeline\n")
        let c = try map("cat\tfeline\nlion\tcanine\ndog\tcanine\n")
        #expect(a.digest == b.digest)
        #expect(a.digest != c.digest)
    }

    @Test func aClassNeitherSideHasIsRefusedWithItsLine() throws {
        let (at, why) = try refusal("cat\tfeline\ntiger\tfeline\ndog\tcanine\n")
        #expect(at.hasSuffix(".tsv:2") && why.contains("\"tiger\" is not one of the teacher's 5 class names"), "\(at) \(why)")
        let (at2, why2) = try refusal("cat\tfeline\ndog\tbird\n")
        #expect(at2.hasSuffix(":2") && why2.contains("\"bird\" is not one of the dataset's 2 classes"), "\(at2) \(why2)")
    }

    @Test func aTeacherClassMappedTwiceIsRefusedAsNotManyToOne() throws {
        let (at, why) = try refusal("cat\tfeline\ndog\tcanine\ncat\tcanine\n")
        #expect(at.hasSuffix(":3") && why.contains("mapped again (first on line 1)") && why.contains("many-to-one"), "\(at) \(why)")
    }

    @Test func aStudentClassNoTeacherClassMapsOntoIsRefused() throws {
        let (_, why) = try refusal("cat\tfeline\nlion\tfeline\n")
        #expect(why.contains("student class \"canine\" gets no teacher class"), "\(why)")
    }

    @Test func aLineThatIsNotTwoNamesIsRefused() throws {
        let (at, why) = try refusal("cat\tfeline\ndog canine\n")
        #expect(at.hasSuffix(":2") && why.contains("separated by one tab"), "\(at) \(why)")
        let (at3, why3) = try refusal("cat\tfeline\tx\n")
        #expect(at3.hasSuffix(":1") && why3.contains("2 tabs"), "\(at3) \(why3)")
    }

    @Test func aTeacherWithoutNamesIsMappedByIndex() throws {
        let m = try map("0\tfeline\n1\tfeline\n2\tcanine\n", teacher: nil)
        #expect(m.target == [0, 0, 1, -1, -1])
        let (_, why) = try refusal("cat\tfeline\n", teacher: nil)
        #expect(why.contains("name teacher classes by index, 0…4"), "\(why)")
    }

    @Test func withoutTheDatasetsNamesStudentClassesComeInTheFilesOrder() throws {
        let m = try map("dog\tcanine\ncat\tfeline\nwolf\tcanine\n", students: nil)
        #expect(m.studentNames == ["canine", "feline"] && m.target == [1, -1, 0, 0, -1])
    }

    func mapped(_ m: ClassMap, _ indices: [UInt32], _ values: [Float]) -> ([UInt32], [Float]) {
        let cols = m.apply(RecordColumns(epoch: 0, k: indices.count, sampleIDs: [0], seeds: [0], indices: indices, values: values))
        return (cols.indices, cols.values)
    }

    @Test func aTargetIsSummedPerStudentClassAndRenormalisedOverTheClassesKept() throws {
        let m = try map("cat\tfeline\nlion\tfeline\ndog\tcanine\n")  // wolf and car dropped
        // K = 2 of C = 5: the remainder 0.2 is spread as 0.2/3 on lion, wolf and car.
        let (i, v) = mapped(m, [0, 2], [0.6, 0.2])
        let r = 0.2 / 3.0
        let feline = 0.6 + r, canine = 0.2, total = feline + canine
        #expect(i == [0, 1])
        #expect(abs(Double(v[0]) - feline / total) < 1e-6 && abs(Double(v[1]) - canine / total) < 1e-6, "\(v)")
    }

    @Test func aOneToOneMapGivesTheStoredTargetUnderItsNewIndices() throws {
        let m = try ClassMap(path: try file("cat\tc\nlion\tl\ndog\td\nwolf\tw\ncar\tr\n"), teacherClasses: 5,
                             teacherNames: Self.teacher, studentNames: ["r", "w", "d", "l", "c"])
        let (i, v) = mapped(m, [1, 4, 0], [0.5, 0.3, 0.1])
        #expect(i == [0, 3, 4])                       // car → r (0), lion → l (3), cat → c (4)
        #expect(zip(v, [0.3, 0.5, 0.1] as [Float]).allSatisfy { abs($0 - $1) < 1e-6 }, "\(v)")
    }

    @Test func aRecordWithAllItsMassOnDroppedClassesGetsTheMapsPrior() throws {
        let m = try map("cat\tfeline\nlion\tfeline\ndog\tcanine\n")
        let (i, v) = mapped(m, [3, 4], [0.5, 0.5])    // wolf and car: dropped, nothing left over
        #expect(i == [0, 1])
        #expect(abs(v[0] - 2.0 / 3) < 1e-6 && abs(v[1] - 1.0 / 3) < 1e-6, "\(v)")
    }

    @Test func withMoreStudentClassesThanTheRecordTouchesTheLargestGroupsFillTheEntries() throws {
        let m = try ClassMap(path: try file("cat\ta\nlion\tb\ndog\tb\nwolf\tb\ncar\tc\n"), teacherClasses: 5,
                             teacherNames: Self.teacher, studentNames: ["a", "b", "c"])
        // K = 2: cat 0.7, car 0.1; the remainder 0.2/3 on each of lion, dog, wolf (all b): b = 0.2.
        let (i, v) = mapped(m, [0, 4], [0.7, 0.1])
        #expect(i == [0, 1])
        #expect(abs(v[0] - 0.7) < 1e-6 && abs(v[1] - 0.2) < 1e-6, "\(v)")
    }

    @Test func aStoreWhoseLabelsAreNotItsTeachersClassesNeedsTheMap() throws {
        var meta = StoreMetadata(numClasses: 5, topK: 2, valueCodec: .fp16, epochs: 1, runSeed: 0,
                                 teacher: .init(architecture: "x", weightsHash: "h", classNames: Self.teacher),
                                 dataset: .init(source: "d", sampleCount: 1, fingerprint: "f", classNames: ["feline", "canine"]))
        #expect(throws: PipelineError.self) { _ = try ClassMap.reading(nil, metadata: meta, datasetNames: nil) }
        #expect(try ClassMap.reading(try file("cat\tfeline\ndog\tcanine\n"), metadata: meta, datasetNames: nil)?.studentClasses == 2)
        meta.dataset.classNames = Self.teacher
        #expect(try ClassMap.reading(nil, metadata: meta, datasetNames: nil) == nil)
    }

    @Test func theLoaderHandsOutTargetsInTheDatasetsClasses() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("classmap-loader-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let data = "synthetic-images:60:32x32x3:2:3"   // 3 classes: class0, class1, class2
        try Data(AugmentPolicy.tinyViT(outputSize: 32).canonicalJSON().utf8).write(to: URL(fileURLWithPath: dir + "/policy.json"))
        _ = try PrecomputeJob(options: PrecomputeOptions(data: data, teacher: "synthetic:6", policy: dir + "/policy.json",
                                                          epochs: 1, topK: 4, seed: 3, out: dir + "/s.tdstore", chunkRecords: 16)).run()
        let mapPath = try file("0\tclass0\n1\tclass0\n2\tclass1\n3\tclass1\n4\tclass2\n")  // teacher class 5 dropped
        var options = LoaderOptions(batch: 20, seed: 1, shuffleChunks: 2, dropLast: false)
        let plain = try Loader(storePaths: [dir + "/s.tdstore"], data: data, options: options)
        options.classMap = mapPath
        let loader = try Loader(storePaths: [dir + "/s.tdstore"], data: data, options: options)
        #expect(plain.numClasses == 6 && plain.k == 4)
        #expect(loader.numClasses == 3 && loader.k == 3 && loader.classMap?.studentNames == ["class0", "class1", "class2"])
        let map = try #require(loader.classMap)
        let a = try plain.batches(epoch: 0), b = try loader.batches(epoch: 0)
        var rows = 0
        while let x = try a.next(), let y = try b.next() {
            #expect(x.sampleIDs == y.sampleIDs && x.labels == y.labels)
            for r in 0..<x.n {
                // Each row is the plain row mapped (the same order of records; entries by descending value).
                let want = map.apply(RecordColumns(epoch: 0, k: 4, sampleIDs: [0], seeds: [0],
                                                   indices: x.indices[(r * 4)..<(r * 4 + 4)].map { UInt32($0) },
                                                   values: Array(x.values[(r * 4)..<(r * 4 + 4)])))
                let got = Dictionary(uniqueKeysWithValues: (0..<3).map { (UInt32(y.indices[r * 3 + $0]), y.values[r * 3 + $0]) })
                let expected = Dictionary(uniqueKeysWithValues: zip(want.indices, want.values))
                #expect(got == expected)
                #expect(abs(y.values[(r * 3)..<(r * 3 + 3)].reduce(0, +) - 1) < 1e-5)  // S = K: every class is kept
            }
            rows += x.n
        }
        #expect(rows == 60)
    }
}
