import DetCore
import Foundation
import Images
import Store
import Testing

/// `precompute --teacher-classes` through the binary: an ImageFolder whose folders sort otherwise than the
/// teacher's classes is refused with the remedy, and folders renamed into the teacher's order are accepted,
/// their names recorded and shown by inspect.
@Suite struct TeacherClassesCLITests {
    /// Fashion-MNIST's classes as folder names, in the teacher's (the IDX files') order.
    static let teacherOrder = ["t-shirt-top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"]

    /// An ImageFolder with one folder per name, 3 gray 28×28 PNGs each.
    func folder(_ names: [String], in d: URL) throws -> String {
        let root = d.appendingPathComponent("data").path
        for (c, name) in names.enumerated() {
            try FileManager.default.createDirectory(atPath: root + "/" + name, withIntermediateDirectories: true)
            for i in 0..<3 {
                let png = try PNG.encode(Image(width: 28, height: 28, channels: 1,
                                               pixels: (0..<784).map { UInt8(truncatingIfNeeded: $0 * (c + 1) + i) }))
                try Data(png).write(to: URL(fileURLWithPath: "\(root)/\(name)/\(i).png"))
            }
        }
        return root
    }

    func precompute(_ data: String, names: String, out: String) throws -> CLI.Result {
        try CLI.run(["precompute", "--data", data, "--teacher", "synthetic:10", "--teacher-classes", names, "--epochs", "1",
                     "--topk", "3", "--out", out, "--policy", PrecomputeImagesCLITests.policy])
    }

    @Test func foldersSortedOtherwiseThanTheTeachersClassesAreRefusedWithTheRemedy() throws {
        let d = try tempDir()
        let data = try folder(Self.teacherOrder, in: d)   // ImageFolder sorts them: ankle-boot, bag, coat, …
        let names = d.appendingPathComponent("classes.txt").path
        try Data((Self.teacherOrder.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: names))
        let out = d.appendingPathComponent("s.tdstore").path
        let r = try precompute(data, names: names, out: out)
        #expect(r.status != 0)
        #expect(r.stderr.contains("--data") && r.stderr.contains("another order"), "\(r.stderr)")
        #expect(r.stderr.contains("class 0 is \"ankle-boot\" here but \"t-shirt-top\" to the teacher"), "\(r.stderr)")
        #expect(r.stderr.contains("sort into the teacher's order"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func foldersRenamedIntoTheTeachersOrderAreAcceptedAndInspectShowsTheNames() throws {
        let d = try tempDir()
        let renamed = Self.teacherOrder.enumerated().map { String(format: "%02d-", $0.offset) + $0.element }
        let data = try folder(renamed, in: d)
        let names = d.appendingPathComponent("classes.json").path
        try JSONSerialization.data(withJSONObject: renamed).write(to: URL(fileURLWithPath: names))
        let out = d.appendingPathComponent("s.tdstore").path
        let r = try precompute(data, names: names, out: out)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try StoreReader(path: out).metadata.teacher.classNames == renamed)
        let text = try CLI.run(["inspect", out]).stdout
        #expect(text.contains("10 named (00-t-shirt-top, 01-trouser, 02-pullover, …; sha256:"), "\(text)")
        let json = try CLI.run(["inspect", out, "--json"]).stdout
        #expect(json.contains("\"class_names_digest\""))
    }

    @Test func aStoreWithoutNamesSaysTheyAreUnknown() throws {
        let d = try tempDir()
        let out = d.appendingPathComponent("s.tdstore").path
        #expect(try CLI.run(["precompute", "--data", "synthetic:50", "--teacher", "synthetic:10", "--epochs", "1", "--topk", "2",
                             "--out", out]).status == 0)
        #expect(try CLI.run(["inspect", out]).stdout.contains("names unknown"))
    }
}
