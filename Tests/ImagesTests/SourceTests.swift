import Foundation
import Testing
@testable import Images

@Suite struct IDXSourceTests {
    /// Debian's dataset-fashion-mnist (installed by scripts/bootstrap), read as shipped (gzip).
    @Test func readsFashionMNISTAsShipped() throws {
        let train = try IDXSource(fashionMNIST: "train")
        #expect(train.count == 60_000 && train.rows == 28 && train.cols == 28)
        #expect((0..<10).map { train.sample($0).label } == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
        let first = try train.image(0)
        #expect(first.channels == 1 && first.pixels.count == 784)
        #expect(first.pixels.reduce(0) { $0 + Int($1) } == 76_247)
        #expect(train.sample(59_999).key == "train/59999")
        let test = try IDXSource(fashionMNIST: "test")
        #expect(test.count == 10_000)
        #expect(try test.image(0).pixels.reduce(0) { $0 + Int($1) } == 33_456)
        #expect(train.fingerprint != test.fingerprint)
        #expect(train.fingerprint.hasPrefix("60000-"))
    }

    @Test func truncatedOrMismatchedFilesNameTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("idx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func be(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 255), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
        let images = dir.appendingPathComponent("i").path, labels = dir.appendingPathComponent("l").path
        try Data(be(2051) + be(3) + be(2) + be(2) + [UInt8](repeating: 7, count: 11)).write(to: URL(fileURLWithPath: images))
        try Data(be(2049) + be(3) + [1, 2, 3]).write(to: URL(fileURLWithPath: labels))
        #expect(throws: ImageError.badDataset(path: images, detail: "holds 11 pixel bytes, the header promises 12 (truncated?)")) {
            try IDXSource(images: images, labels: labels, split: "t", classNames: ["a", "b", "c", "d"], source: "t")
        }
        try Data(be(2051) + be(3) + be(2) + be(2) + [UInt8](repeating: 7, count: 12)).write(to: URL(fileURLWithPath: images))
        let ok = try IDXSource(images: images, labels: labels, split: "t", classNames: ["a", "b", "c", "d"], source: "t")
        #expect(try ok.image(2).pixels == [7, 7, 7, 7])
        #expect(throws: ImageError.self) { try IDXSource(images: labels, labels: images, split: "t", classNames: ["a"], source: "t") }
        let gz = dir.appendingPathComponent("bad.gz").path
        try Data([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]).write(to: URL(fileURLWithPath: gz))
        do {
            _ = try IDXSource(images: gz, labels: labels, split: "t", classNames: ["a"], source: "t")
            Issue.record("corrupt gzip accepted")
        } catch {
            #expect(error.description.hasPrefix(gz))
        }
    }
}

@Suite struct ImageFolderSourceTests {
    func makeTree(_ files: [String: [UInt8]]) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("folder-\(UUID().uuidString)")
        for (rel, bytes) in files {
            let url = root.appendingPathComponent(rel)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        return root
    }

    @Test func sortedClassNamesGiveLabelsAndKeysAreRelativePaths() throws {
        let synth = try SyntheticImageSource(count: 3, width: 16, height: 12, seed: 1)
        let jpg = try JPEG.encode(try synth.image(0)), png = try PNG.encode(try synth.image(1))
        let root = try makeTree([
            "zebra/b.png": png, "zebra/a.JPG": jpg, "ant/x/deep.jpeg": jpg, "ant/notes.txt": Array("hi".utf8),
            "moose/1.png": png,
        ])
        defer { try? FileManager.default.removeItem(at: root) }
        let src = try ImageFolderSource(root: root.path)
        #expect(src.classNames == ["ant", "moose", "zebra"])
        #expect((0..<src.count).map { src.sample($0).key } == ["ant/x/deep.jpeg", "moose/1.png", "zebra/a.JPG", "zebra/b.png"])
        #expect((0..<src.count).map { src.sample($0).label } == [0, 1, 2, 2])
        #expect(try src.image(3) == synth.image(1))
        #expect(try src.image(0).width == 16)
        let again = try ImageFolderSource(root: root.path)
        #expect(again.fingerprint == src.fingerprint)
    }

    @Test func anEmptyClassFolderIsAnErrorNamingIt() throws {
        let root = try makeTree(["cat/1.png": try PNG.encode(try SyntheticImageSource(count: 1, width: 4, height: 4).image(0)), "dog/readme.md": [1]])
        defer { try? FileManager.default.removeItem(at: root) }
        do {
            _ = try ImageFolderSource(root: root.path)
            Issue.record("empty class accepted")
        } catch {
            #expect(error.description.contains("dog"))
        }
        #expect(throws: ImageError.unreadable(path: "/nonexistent/folder", detail: "no such folder")) {
            try ImageFolderSource(root: "/nonexistent/folder")
        }
    }

    @Test func badFilesAreListedWithTheirReason() throws {
        let good = try PNG.encode(try SyntheticImageSource(count: 1, width: 8, height: 8).image(0))
        let root = try makeTree([
            "a/good.png": good, "a/fake.jpg": Array("not an image".utf8), "b/cut.png": Array(good.prefix(30)),
        ])
        defer { try? FileManager.default.removeItem(at: root) }
        let src = try ImageFolderSource(root: root.path)
        let bad = src.scanForBadSamples()
        #expect(bad.map(\.0.key) == ["a/fake.jpg", "b/cut.png"])
        #expect(bad[0].1.description.contains("unsupported image format"))
        #expect(bad[1].1.description.contains("cut.png"))
    }
}
