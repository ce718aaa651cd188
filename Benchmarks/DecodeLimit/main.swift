// The decode-only limit of a JPEG folder: every file read from disk and fully decoded by libjpeg-turbo
// (TurboJPEG, accurate DCT, RGB) on T threads, no augmentation: what a loader of these files cannot
// beat. Benchmarks/scripts/loader-limit.sh runs it beside the loaders.
//   DecodeLimit FOLDER [threads] [rounds]  → one JSON line
import Dispatch
import Foundation
import Images

let args = CommandLine.arguments
guard args.count >= 2, let folder = try? ImageFolderSource(root: args[1]) else {
    FileHandle.standardError.write(Data("usage: DecodeLimit IMAGEFOLDER [threads] [rounds]\n".utf8))
    exit(2)
}
let threads = args.count > 2 ? Int(args[2]) ?? 2 : 2
let rounds = args.count > 3 ? Int(args[3]) ?? 1 : 1
final class Failures: @unchecked Sendable {
    let lock = NSLock()
    var messages: [String] = []
    func add(_ m: String) { lock.lock(); messages.append(m); lock.unlock() }
}
let failures = Failures()
let start = Date()
for _ in 0..<rounds {
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        guard let decoder = try? JPEGDecoder() else { return }
        var id = t
        while id < folder.count {
            do throws(ImageError) {
                let bytes = try folder.bytes(id)
                _ = try decoder.decode(bytes, path: folder.root + "/" + folder.sample(id).key)
            } catch {
                failures.add(error.description)
            }
            id += threads
        }
    }
}
let seconds = Date().timeIntervalSince(start)
guard failures.messages.isEmpty else {
    FileHandle.standardError.write(Data("DecodeLimit: \(failures.messages.count) files failed, first: \(failures.messages[0])\n".utf8))
    exit(1)
}
let images = folder.count * rounds
print("{\"implementation\": \"decode-only (libjpeg-turbo)\", \"images\": \(images), \"seconds\": \(seconds), \"images_per_s\": \(Double(images) / seconds), \"threads\": \(threads)}")
