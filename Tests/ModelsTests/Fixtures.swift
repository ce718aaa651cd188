import Foundation

/// The test target's own fixtures (`Tests/ModelsTests/Fixtures`, copied into the test bundle), and
/// scratch folders. Nothing here reads outside the repository.
enum Fixtures {
    /// The bundled `Fixtures` folder.
    static var root: String { Bundle.module.resourcePath! + "/Fixtures" }

    /// `relative` inside the bundled fixtures, e.g. `tinyvit-reference`.
    static func path(_ relative: String) -> String { root + "/" + relative }

    /// A new empty folder under the temporary directory.
    static func temporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "td-models-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
