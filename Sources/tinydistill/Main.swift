import ArgumentParser
import Foundation
import Models
import DataPipeline
import Store

/// Entry point: runs the command and maps failures to exit 1 (work failed) or 2 (usage).
@main
enum Main {
    static func main() {
        Torch.keepFreedMemory()
        do {
            var command = try TinyDistill.parseAsRoot()
            try command.run()
        } catch let error as StoreError {
            fail(error.description)
        } catch let error as PipelineError {
            let message = error.describe(naming: FlagName.of)
            switch error {
            case .invalid: usage(message)
            case .interrupted:
                FileHandle.standardError.write(Data("\(message)\n".utf8))
                exit(130)
            case .store, .failed: fail(message)
            }
        } catch let error as CLIFailure {
            fail(error.message)
        } catch {
            let code = TinyDistill.exitCode(for: error)
            if code == .success || code.rawValue == 1 || code.rawValue == 130 {
                TinyDistill.exit(withError: error)
            }
            // ArgumentParser's message already says "Error: …" and shows the usage and where help is.
            FileHandle.standardError.write(Data("\(TinyDistill.fullMessage(for: error))\n".utf8))
            exit(2)
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        exit(1)
    }

    static func usage(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\nSee 'tinydistill --help'.\n".utf8))
        exit(2)
    }
}

/// A failure already phrased for the user (exit 1).
struct CLIFailure: Error {
    let message: String
}
