import Foundation

/// Replays fuzz inputs outside libFuzzer: every file named, and every file inside each folder named.
public enum ReplayDriver {
    /// Runs `check` over the inputs, prints one line per input with `--verbose` and a summary line
    /// (`N inputs: A accepted, R rejected, M misbehaved`), and returns the exit status: 0 when all
    /// behaved, 1 when one misbehaved, 2 for a usage error. A crashing input ends the process (the crash
    /// is the report).
    public static func run(name: String, arguments: [String], check: ([UInt8]) -> FuzzOutcome) -> Int32 {
        let verbose = arguments.contains("--verbose")
        let paths = arguments.filter { $0 != "--verbose" }
        guard !paths.isEmpty, !paths.contains("--help") else {
            FileHandle.standardError.write(Data("usage: \(name) [--verbose] FILE|DIR...  (replays fuzz inputs; exit 1 if one misbehaves)\n".utf8))
            return 2
        }
        var files: [String] = []
        for arg in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: arg, isDirectory: &isDir) else {
                FileHandle.standardError.write(Data("\(name): \(arg): no such file or folder\n".utf8))
                return 2
            }
            if isDir.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: arg)) ?? []
                files += names.filter { !$0.hasPrefix(".") }.sorted().map { (arg as NSString).appendingPathComponent($0) }
            } else {
                files.append(arg)
            }
        }
        var accepted = 0, rejected = 0, misbehaved = 0
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                FileHandle.standardError.write(Data("\(name): \(file): cannot read\n".utf8))
                misbehaved += 1
                continue
            }
            switch check([UInt8](data)) {
            case .accepted:
                accepted += 1
                if verbose { print("\(file): accepted") }
            case .rejected(let why):
                rejected += 1
                if verbose { print("\(file): rejected: \(why)") }
            case .misbehaved(let problem):
                misbehaved += 1
                FileHandle.standardError.write(Data("\(name): \(file): MISBEHAVED: \(problem)\n".utf8))
            }
        }
        print("\(name): \(files.count) inputs: \(accepted) accepted, \(rejected) rejected, \(misbehaved) misbehaved")
        return misbehaved == 0 ? 0 : 1
    }
}
