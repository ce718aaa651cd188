import ArgumentParser
import Foundation
import Pack
import DataPipeline

/// `tinydistill pack`: a dataset into one image-pack file, used as `--data pack:FILE`.
struct PackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Pack a dataset's images into one checksummed file, optionally pre-resized.",
        discussion: """
            Writes SRC (an ImageFolder root or any other --data value) into one SQLite file of image \
            blobs, each with an XXH64 checksum, plus the source's keys, labels and class names. Use it \
            wherever a dataset goes, as --data pack:FILE (precompute, train, stream, verify, evaluate, \
            Python): one file instead of many small ones on a shared filesystem.

            With --max-side, images whose longer side is larger are resized to it (antialiased \
            bicubic) and stored as JPEG at --quality, or as raw pixels with --format raw. Without it, \
            JPEG files are kept byte for byte: the pack then has the source's fingerprint, so stores \
            made from the folder work with the pack. Resizing or re-encoding changes the pixels the \
            teacher sees, so such a pack has its own fingerprint, and a store must be made from it.

            The run is resumable: interrupted (Ctrl-C), it keeps every batch written; run the same \
            command to continue. Other settings or another source are refused.

            --json prints one object: out, data, images, written, skipped, bad, bytes, blobBytes, \
            fingerprint, sourceFingerprint, seconds, interrupted.

            Example:
              tinydistill pack /data/imagenet/train --out in1k-320.tdpack --max-side 320
              tinydistill pack /data/imagenet/train --out in1k.tdpack
            """
    )

    @Argument(help: "The dataset to pack: an ImageFolder root or any --data value.")
    var src: String

    @Option(help: "The pack file to write (or resume).")
    var out: String

    @Option(help: "Resize images whose longer side is larger to this many pixels (default: keep sizes).")
    var maxSide: Int?

    @Option(help: "How images are held: jpeg (files kept when not resized, else re-encoded) or raw pixels.")
    var format: PackSettings.Encoding = .jpeg

    @Option(help: "JPEG quality of re-encoded images (1…100).")
    var quality: Int = 90

    @OptionGroup var threads: ThreadOptions<PackCommand>

    @OptionGroup var output: OutputOptions

    func run() throws {
        SignalFlag.install()
        var job = PackJob(options: .init(data: src, out: out, settings: .init(maxSide: maxSide, encoding: format, quality: quality),
                                         threads: threads.threads))
        let progress = ProgressLine(label: "pack", unit: "images")
        job.progress = { done, total in progress.update(done: done, total: total) }
        job.shouldStop = { SignalFlag.raised != 0 }
        let summary: PackJob.Summary
        do {
            summary = try job.run()
        } catch {
            guard case .invalid(let field, let value, let why) = error, field == "data" else { throw error }
            throw PipelineError.invalid(field: "SRC", value: value, why: why)  // the argument, not a --data flag
        }
        progress.finish()
        if output.json {
            try OutputOptions.print(summary)
        } else {
            print("images           \(summary.images)  (written now: \(summary.written), already packed: \(summary.skipped))")
            print("bad samples      \(summary.bad)")
            print(String(format: "size             %.1f MB  (%.0f bytes/image of blobs written now)", Double(summary.bytes) / 1e6,
                         Double(summary.blobBytes) / Double(max(summary.written, 1))))
            print(String(format: "wall time        %.2f s  (%.0f images/s)", summary.seconds, Double(summary.written) / max(summary.seconds, 1e-9)))
            if let f = summary.fingerprint {
                print("fingerprint      \(f)" + (f == summary.sourceFingerprint ? "  (the source's: every image kept as it was)" : "  (the source's is \(summary.sourceFingerprint))"))
            }
            print("pack             \(out)  (use --data pack:\(out))")
        }
        fflush(nil)
        if summary.interrupted {
            let resume = CommandLine.arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
            FileHandle.standardError.write(Data("interrupted; the pack keeps every batch written so far. Resume with: \(resume)\n".utf8))
            throw ExitCode(130)
        }
    }
}

extension PackCommand: ThreadDefaults {
    static let threadsHelp = "Threads decoding, resizing and encoding images."
}

extension PackSettings.Encoding: ExpressibleByArgument {}
