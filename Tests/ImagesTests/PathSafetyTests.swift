import Foundation
import Images
import Testing

/// ImageFolder keys come only from scanning the dataset root, and every key resolves inside it: no
/// absolute keys, no `.` or `..` components, whatever the file and folder names look like.
@Suite struct PathSafetyTests {
    @Test func everyKeyResolvesInsideTheRoot() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("tinydistill-paths-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let root = base.appendingPathComponent("data")
        let png = try PNG.encode(try SyntheticImageSource(count: 1, width: 4, height: 3, channels: 3, seed: 1).image(0))
        // Names that look like path tricks but are ordinary names inside the root (`..png` and `...png`
        // start with a dot: hidden files, which the scan skips).
        let hidden = ["cat/..png", "cat/...png"]
        let files = hidden + ["cat/x..png", "cat/a..b.png", "cat/sub/..x/deep.png", "dog/-rf.png", "dog/ sp ace.png",
                     "dog/%2e%2e%2fescape.png", "dog/back\\slash.png"]
        for f in files {
            let url = root.appendingPathComponent(f)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(png).write(to: url)
        }
        // A file beside the root, which no key may reach.
        try Data(png).write(to: base.appendingPathComponent("secret.png"))
        let source = try ImageFolderSource(root: root.path)
        #expect(source.count == files.count - hidden.count)
        let rootPath = root.standardizedFileURL.path + "/"
        for id in 0..<source.count {
            let key = source.sample(id).key
            #expect(!key.hasPrefix("/"), "\(key)")
            #expect(!key.split(separator: "/", omittingEmptySubsequences: false).contains { $0 == ".." || $0 == "." || $0.isEmpty }, "\(key)")
            let resolved = URL(fileURLWithPath: root.path + "/" + key).standardizedFileURL.path
            #expect(resolved.hasPrefix(rootPath), "\(key) resolves to \(resolved)")
            #expect(try source.image(id).width == 4)
        }
        #expect(Set((0..<source.count).map { source.sample($0).key }) == Set(files).subtracting(hidden))
    }
}
