import ArgumentParser
import Foundation
import Models
import Pipeline

/// `tinydistill evaluate`: top-1/top-5 accuracy of a model on a labelled source.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Top-1 and top-5 accuracy of a model on a labelled dataset (the reference's eval transform).",
        discussion: """
            Preprocessing is the reference's evaluation transform (shorter side resized to size/0.875, \
            centre crop, normalised). Checkpoints written by tinydistill record their architecture and \
            normalisation; other safetensors weights need --arch and are normalised with ImageNet's \
            mean/std; a .pt file is loaded as TorchScript and needs --image-size and --in-chans when they \
            are not 224 and 3.

            --json prints one object with keys top1, top5, samples, parameters and seconds.

            Examples:
              tinydistill evaluate --model runs/kd/model.safetensors \\
                  --data fashion-mnist:test
              tinydistill evaluate --model teacher.pt --image-size 32 --in-chans 1 \\
                  --data fashion-mnist:test --json
            """
    )

    @Option(help: "Weights: safetensors or TorchScript .pt.")
    var model: String
    @Option(help: "Architecture (default: recorded in the checkpoint).")
    var arch: String?
    @Option(help: "Labelled dataset: fashion-mnist:test, an ImageFolder root, …")
    var data: String
    @Option(help: "Input size (default: the architecture's).")
    var imageSize: Int?
    @Option(help: "Input channels (default: the architecture's).")
    var inChans: Int?
    @Option(help: "Evaluate the first N samples only.")
    var limit: Int?
    @Flag(help: "Run a built-in architecture unfused (default: fused, BatchNorm folded into convolutions).")
    var unfused = false
    @OptionGroup var threads: ThreadOptions<Self>
    @OptionGroup var output: OutputOptions

    func run() throws {
        Torch.threads = threads.threads
        let result = try EvaluateJob.run(EvaluateOptions(model: model, arch: arch, data: data, imageSize: imageSize,
                                                         inChannels: inChans, limit: limit, fused: !unfused))
        if output.json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            print(String(decoding: try enc.encode(result), as: UTF8.self))
        } else {
            print(String(format: "%@ on %@: top-1 %.2f %%, top-5 %.2f %% (%d samples, %.1f s)", model, data,
                         result.top1 * 100, result.top5 * 100, result.samples, result.seconds))
        }
    }
}

extension EvaluateCommand: ThreadDefaults {}
