import ArgumentParser
import Foundation
import Images
import Models
import DataPipeline
import ModelJobs

/// `tinydistill predict`: the top classes a model gives images, with the reference's eval preprocessing.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Print the top-5 classes and probabilities a model gives images.",
        discussion: """
            Preprocessing is the reference's evaluation transform: shorter side resized to size/0.875 \
            (bicubic), centre crop to size, normalised with ImageNet mean/std (or the mean/std the \
            checkpoint's metadata states). Inputs are JPEG/PNG files or dataset samples written SRC@ID \
            (e.g. fashion-mnist:test@0). --arch may be omitted for checkpoints written by tinydistill \
            (they record their architecture); a .pt file is loaded as TorchScript.

            Class names come from --names, else --data, else the dataset of the first SRC@ID input. \
            --json prints a list with one object per input: [{"input", "top": [{"index", "name", \
            "probability"}]}].

            Examples:
              tinydistill predict --model student.safetensors photo.jpg
              tinydistill predict --model w.safetensors --arch tinyvit-5m \\
                  --names classes.txt a.jpg b.png
              tinydistill predict --model teacher.safetensors --data fashion-mnist:test \\
                  fashion-mnist:test@0 --json
            """
    )

    @Option(help: "Weights: safetensors (built-in architecture) or a TorchScript .pt file.")
    var model: String

    @Option(help: "Architecture: \(Architecture.presetNames.joined(separator: ", ")) or a JSON config file.")
    var arch: String?

    @Option(help: "Override the architecture's class count.")
    var classes: Int?

    @Option(help: "Input size (default: the architecture's).")
    var imageSize: Int?

    @Option(help: "Input channels (default: the architecture's).")
    var inChans: Int?

    @Option(help: "A file with one class name per line.")
    var names: String?

    @Option(help: "A dataset whose class names label the output (fashion-mnist:test, an ImageFolder root).")
    var data: String?

    @Option(help: "How many classes to print per image.")
    var top: Int = 5

    @Flag(help: "Run a built-in architecture unfused (default: fused, BatchNorm folded into convolutions).")
    var unfused = false

    @OptionGroup var threads: ThreadOptions<Self>

    @OptionGroup var output: OutputOptions

    @Argument(help: "Images (JPEG/PNG) or dataset samples SRC@ID.")
    var inputs: [String]

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one image") }
        guard (1...1000).contains(top) else { throw ValidationError("--top must be in 1…1000") }
    }

    func run() throws {
        Torch.threads = threads.threads
        let predictions = try PredictJob.run(PredictOptions(
            model: model, arch: arch, classes: classes, imageSize: imageSize, inChannels: inChans, names: names, data: data,
            top: top, fused: !unfused, inputs: inputs))
        if output.json {
            try OutputOptions.print(predictions)
            return
        }
        for p in predictions {
            print(p.input)
            for (rank, e) in p.top.enumerated() {
                let label = e.name.map { "\($0) (\(e.index))" } ?? "class \(e.index)"
                print(String(format: "  %d. %6.2f%%  %@", rank + 1, e.probability * 100, label))
            }
        }
    }
}

extension PredictCommand: ThreadDefaults {}
