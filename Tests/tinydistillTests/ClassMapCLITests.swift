import Foundation
import Images
import Store
import Testing

/// Issue 28's case through the binary, on real images and the committed teacher: an ImageFolder of
/// Fashion-MNIST whose folders sort otherwise than the teacher's classes is refused with the remedy; with
/// `--class-map`, or with folders renamed into the teacher's order (for a teacher without names), the
/// label-noise suspects are the samples whose label was really changed.
@Suite struct ClassMapCLITests {
    static let teacher = PrecomputeImagesCLITests.repo.appendingPathComponent("models/fashion-mnist-teacher.safetensors").path
    /// The teacher's classes as folder names, in its order; an ImageFolder sorts them ankle-boot, bag, coat, …
    static let folders = ["t-shirt-top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"]
    static let teacherNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    static let images = 200, flipped = 8

    /// The first 200 test images as an ImageFolder with folder names `names` (teacher order), the first 8
    /// trousers put in the bag folder (a known label error); returns the root and the flipped keys.
    func folder(_ names: [String], in d: URL) throws -> (String, Set<String>) {
        let source = try IDXSource(fashionMNIST: "test")
        let root = d.appendingPathComponent("data").path
        for name in names { try FileManager.default.createDirectory(atPath: root + "/" + name, withIntermediateDirectories: true) }
        var flips = Set<String>()
        for i in 0..<Self.images {
            var label = source.sample(i).label
            if label == 1 && flips.count < Self.flipped { label = 8 }
            let key = names[label] + "/" + String(format: "img%05d.png", i)
            if label != source.sample(i).label { flips.insert(key) }
            try Data(try PNG.encode(try source.image(i))).write(to: URL(fileURLWithPath: root + "/" + key))
        }
        return (root, flips)
    }

    func precompute(_ data: String, teacher: String = Self.teacher, out: String, _ extra: [String] = []) throws -> CLI.Result {
        try CLI.run(["precompute", "--data", data, "--teacher", teacher, "--policy", PrecomputeImagesCLITests.policy, "--epochs", "2",
                     "--topk", "10", "--out", out] + extra)
    }

    /// The suspects `inspect --label-noise --json` lists at confidence 0.7: (key, label name, teacher name).
    func suspects(_ store: String, _ extra: [String] = []) throws -> [(String, String, String)] {
        let r = try CLI.run(["inspect", store, "--label-noise", "--min-confidence", "0.7", "--json"] + extra)
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let list = try #require(doc["suspects"] as? [[String: Any]])
        return list.map { ($0["key"] as? String ?? "", $0["label_name"] as? String ?? "", $0["teacher_name"] as? String ?? "") }
    }

    /// The found suspects are the flipped samples: all but at most one of them, named as trouser labelled
    /// bag, and few others (a teacher read in the wrong class order makes nearly every sample a suspect).
    func expectFlipsFound(_ found: [(String, String, String)], _ flips: Set<String>, trouser: String, bag: String) {
        let keys = Set(found.map(\.0))
        #expect(flips.subtracting(keys).count <= 1, "flipped samples not found: \(flips.subtracting(keys).sorted())")
        for s in found where flips.contains(s.0) { #expect(s.1 == bag && s.2 == trouser, "\(s)") }
        #expect(found.count <= flips.count + 6, "\(found.count) suspects for \(flips.count) flipped: \(found.map(\.0))")
    }

    @Test func aFolderOrderOtherThanTheTeachersIsRefusedNamingTheClassMap() throws {
        let d = try tempDir()
        let (data, _) = try folder(Self.folders, in: d)
        let out = d.appendingPathComponent("s.tdstore").path
        let r = try precompute(data, out: out)
        #expect(r.status == 2)
        #expect(r.stderr.contains("--data \(data): the dataset's classes are not the teacher's"), "\(r.stderr)")
        #expect(r.stderr.contains("--class-map FILE"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func theSameFolderWithAClassMapGivesTheRightSuspects() throws {
        let d = try tempDir()
        let (data, flips) = try folder(Self.folders, in: d)
        let map = d.appendingPathComponent("map.tsv").path
        try Data(zip(Self.teacherNames, Self.folders).map { "\($0)\t\($1)\n" }.joined().utf8).write(to: URL(fileURLWithPath: map))
        let out = d.appendingPathComponent("s.tdstore").path
        let r = try precompute(data, out: out, ["--class-map", map])
        #expect(r.status == 0, "\(r.stderr)")
        let meta = try StoreReader(path: out).metadata
        #expect(meta.teacher.classNames == Self.teacherNames && meta.numClasses == 10)
        #expect(meta.dataset.classNames == Self.folders.sorted())
        // Without the map, its labels and targets are not compared class by class.
        let refused = try CLI.run(["inspect", out, "--label-noise"])
        #expect(refused.status == 2 && refused.stderr.contains("give the class map"), "\(refused.stderr)")
        let summary = try CLI.run(["inspect", out]).stdout
        #expect(summary.contains("teacher acc      not measured"), "\(summary)")
        expectFlipsFound(try suspects(out, ["--class-map", map]), flips, trouser: "trouser", bag: "bag")
        let mapped = try CLI.run(["inspect", out, "--class-map", map, "--json"]).stdout
        let acc = try #require((try JSONSerialization.jsonObject(with: Data(mapped.utf8)) as? [String: Any])?["teacher_accuracy"] as? Double)
        #expect(acc > 0.8, "teacher accuracy through the map: \(acc)")
        // verify checks the map against the store's teacher and the data; stream reads through it.
        #expect(try CLI.run(["verify", out, "--data", data, "--class-map", map]).status == 0)
        let s = try CLI.run(["stream", "--store", out, "--data", data, "--class-map", map, "--batch", "50", "--json"])
        #expect(s.status == 0, "\(s.stderr)")
        // evaluate: the teacher's classes are not the folders', so its accuracy needs the map too.
        let unmapped = try CLI.run(["evaluate", "--model", Self.teacher, "--data", data])
        #expect(unmapped.status == 2 && unmapped.stderr.contains("--class-map"), "\(unmapped.stderr)")
        let e = try CLI.run(["evaluate", "--model", Self.teacher, "--data", data, "--class-map", map, "--json"])
        let top1 = try #require((try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])?["top1"] as? Double)
        #expect(top1 > 0.8, "\(e.stderr)")
    }

    @Test func foldersRenamedIntoTheTeachersOrderGiveTheRightSuspectsForATeacherWithoutNames() throws {
        let d = try tempDir()
        let renamed = Self.folders.enumerated().map { String(format: "%02d-", $0.offset) + $0.element }
        let (data, flips) = try folder(renamed, in: d)
        let teacher = d.appendingPathComponent("nameless.safetensors").path
        try Self.withoutClassNames(Self.teacher, to: teacher)
        let out = d.appendingPathComponent("s.tdstore").path
        let r = try precompute(data, teacher: teacher, out: out)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try StoreReader(path: out).metadata.teacher.classNames == nil)
        expectFlipsFound(try suspects(out), flips, trouser: "01-trouser", bag: "08-bag")
    }

    /// A copy of the safetensors file at `path` without its `tinydistill.class_names` metadata (tensors
    /// unchanged): a teacher that does not know its names.
    static func withoutClassNames(_ path: String, to copy: String) throws {
        let blob = try Data(contentsOf: URL(fileURLWithPath: path))
        let size = Int(blob.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        var header = try #require(try JSONSerialization.jsonObject(with: blob.subdata(in: 8..<(8 + size))) as? [String: Any])
        var meta = header["__metadata__"] as? [String: Any] ?? [:]
        #expect(meta.removeValue(forKey: "tinydistill.class_names") != nil)
        header["__metadata__"] = meta
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        var out = Data((0..<8).map { UInt8(truncatingIfNeeded: UInt64(json.count) >> (8 * UInt64($0))) })
        out.append(json)
        out.append(blob.subdata(in: (8 + size)..<blob.count))
        try out.write(to: URL(fileURLWithPath: copy))
    }
}
