import Foundation

/// Locates `../shared/fixtures` next to the repository (or `TINYDISTILL_SHARED`).
enum SharedFixtures {
    static var root: String {
        if let env = ProcessInfo.processInfo.environment["TINYDISTILL_SHARED"] { return env }
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repo.deletingLastPathComponent().appendingPathComponent("shared").path
    }

    static func path(_ relative: String) -> String { root + "/fixtures/" + relative }

    static func temporaryFolder() -> String {
        let path = NSTemporaryDirectory() + "td-models-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
