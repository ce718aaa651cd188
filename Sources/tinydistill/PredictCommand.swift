import ArgumentParser
import Foundation
import Images
import Models
import Pipeline

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
        let (loaded, meta): (Model, [String: String])
        do {
            (loaded, meta) = try Model.load(path: model, arch: arch, classes: classes, imageSize: imageSize, inChannels: inChans,
                                            fused: !unfused)
        } catch {
            throw CLIFailure(message: error.description)
        }
        let size = imageSize ?? loaded.architecture?.imageSize ?? 224
        let channels = inChans ?? loaded.architecture?.inChannels ?? 3
        let transform = EvalTransform(size: size, channels: channels, mean: Self.doubles(meta["tinydistill.mean"]),
                                      std: Self.doubles(meta["tinydistill.std"]))
        var classNames: [String]?
        if let names {
            guard let text = try? String(contentsOfFile: names, encoding: .utf8) else {
                throw CLIFailure(message: "\(names): cannot read the class names file")
            }
            classNames = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        } else if let data {
            do { classNames = try DataSource.open(data).classNames } catch { throw CLIFailure(message: error.description) }
        }
        var images: [(path: String, image: Image)] = []
        var sources: [String: any ImageSource] = [:]
        for input in inputs {
            if let at = input.lastIndex(of: "@"), !FileManager.default.fileExists(atPath: input) {
                let spec = String(input[..<at])
                guard let id = Int(input[input.index(after: at)...]) else {
                    throw CLIFailure(message: "\(input): expected SRC@ID with an integer ID")
                }
                do {
                    let source = try sources[spec] ?? DataSource.open(spec, option: "input")
                    sources[spec] = source
                    guard (0..<source.count).contains(id) else {
                        throw CLIFailure(message: "\(input): \(spec) has samples 0…\(source.count - 1)")
                    }
                    if classNames == nil { classNames = source.classNames }
                    images.append((input, try source.image(id)))
                } catch let e as PipelineError {
                    throw CLIFailure(message: e.description)
                } catch let e as ImageError {
                    throw CLIFailure(message: e.description)
                }
                continue
            }
            guard let bytes = FileManager.default.contents(atPath: input) else {
                throw CLIFailure(message: "\(input): cannot read the image (missing file or no permission)")
            }
            do {
                images.append((input, try ImageFormat.decode([UInt8](bytes), path: input)))
            } catch {
                throw CLIFailure(message: error.description)
            }
        }
        let predictions: [Prediction]
        do {
            predictions = try Prediction.run(model: loaded, transform: transform, images: images, k: top, classNames: classNames)
        } catch {
            throw CLIFailure(message: error.description)
        }
        if output.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(predictions), as: UTF8.self))
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

    static func doubles(_ text: String?) -> [Double]? {
        guard let text, let data = text.data(using: .utf8),
              let values = try? JSONDecoder().decode([Double].self, from: data), !values.isEmpty else { return nil }
        return values
    }
}

extension PredictCommand: ThreadDefaults {}
