import Foundation
import Testing

/// Replays the fuzz targets' committed seeds (Fuzz/corpus) and every input that once crashed or
/// misbehaved (Fuzz/regressions) through the plain builds of the targets, the same checks libFuzzer
/// runs: each input must end in a clean typed error or a consistent result.
@Suite struct FuzzRegressionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs the replay driver `target` (built beside the test bundle) over `folders`.
    func replay(_ target: String, _ folders: [String]) throws -> (status: Int32, output: String) {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(target)
        let binary = FileManager.default.isExecutableFile(atPath: beside.path)
            ? beside : Self.root.appendingPathComponent(".build/debug/\(target)")
        let p = Process()
        p.executableURL = binary
        p.arguments = ["--verbose"] + folders.map { Self.root.appendingPathComponent($0).path }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// A folder the tests need is not in the repository.
    struct MissingFolder: Error, CustomStringConvertible {
        let folder: String
        var description: String { "\(folder) is missing from the repository (every target keeps its corpus, regressions and open folders, empty ones with a .keep file)" }
    }

    /// Files in a folder of the repository (hidden files such as `.keep` aside); a missing folder is an error.
    func files(_ folder: String) throws -> [String] {
        let path = Self.root.appendingPathComponent(folder).path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw MissingFolder(folder: folder)
        }
        return try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }
    }

    @Test(arguments: ["FuzzChunkDecoder", "FuzzSafetensors", "FuzzPolicy"])
    func seedsAreValidAndRegressionsFailCleanly(_ target: String) throws {
        // Every seed is a valid input (so fuzzing starts from the decoder's deep paths).
        let seeds = try files("Fuzz/corpus/\(target)")
        #expect(seeds.count >= 3)
        let s = try replay(target, ["Fuzz/corpus/\(target)"])
        #expect(s.status == 0, "\(s.output)")
        #expect(s.output.contains("\(target): \(seeds.count) inputs: \(seeds.count) accepted, 0 rejected, 0 misbehaved"), "\(s.output)")
        // Every past finding now ends in a clean rejection or a consistent result, never a crash (a target
        // without findings replays an empty folder and says so).
        let regressions = try files("Fuzz/regressions/\(target)")
        let r = try replay(target, ["Fuzz/regressions/\(target)"])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("\(target): \(regressions.count) inputs:") && r.output.contains(", 0 misbehaved"), "\(r.output)")
    }

    /// Findings whose fix is pending (Fuzz/open/README.md) still reproduce; once one stops, this fails:
    /// move its input to Fuzz/regressions. With none open, the folder replays clean.
    @Test(arguments: ["FuzzChunkDecoder", "FuzzSafetensors", "FuzzPolicy"])
    func openFindingsStillReproduce(_ target: String) throws {
        let open = try files("Fuzz/open/\(target)")
        let r = try replay(target, ["Fuzz/open/\(target)"])
        #expect(r.output.contains("\(target): \(open.count) inputs:"), "\(r.output)")
        if open.isEmpty {
            #expect(r.status == 0, "\(r.output)")
        } else {
            withKnownIssue("open finding in Fuzz/open/\(target) (see Fuzz/open/README.md)") {
                #expect(r.status == 0, "\(r.output)")
            }
        }
    }

    @Test func aMissingFolderFailsInsteadOfPassing() {
        #expect(throws: MissingFolder.self) { try files("Fuzz/regressions/NoSuchTarget") }
    }

    @Test func aMissingInputFolderIsAUsageError() throws {
        let r = try replay("FuzzPolicy", ["Fuzz/corpus/no-such-folder"])
        #expect(r.status == 2, "\(r.output)")
    }
}
