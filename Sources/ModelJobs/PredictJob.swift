import DataPipeline
import DetCore
import Foundation
import Images
import Models

/// Settings of `predict`: a model, the inputs and where class names come from.
public struct PredictOptions: Sendable, Equatable {
    /// Weights (safetensors or TorchScript) and their architecture (nil: recorded in the checkpoint).
    public var model: String
    public var arch: String?
    /// Overrides of the architecture's class count, input size and channels.
    public var classes: Int?
    public var imageSize: Int?
    public var inChannels: Int?
    /// A file with one class name per line, or a dataset whose class names label the output.
    public var names: String?
    public var data: String?
    /// Classes printed per input.
    public var top: Int
    /// Run a built-in architecture fused (the default).
    public var fused: Bool
    /// Image files (JPEG/PNG) or dataset samples written `SRC@ID` (`fashion-mnist:test@0`).
    public var inputs: [String]

    /// Creates options.
    public init(model: String, arch: String? = nil, classes: Int? = nil, imageSize: Int? = nil, inChannels: Int? = nil,
                names: String? = nil, data: String? = nil, top: Int = 5, fused: Bool = true, inputs: [String]) {
        self.model = model
        self.arch = arch
        self.classes = classes
        self.imageSize = imageSize
        self.inChannels = inChannels
        self.names = names
        self.data = data
        self.top = top
        self.fused = fused
        self.inputs = inputs
    }
}

/// `predict`: the top classes a model gives images or dataset samples, through the reference's evaluation
/// transform, with class names from a file, a dataset or the inputs' own dataset.
public enum PredictJob {
    /// Runs the model on every input.
    public static func run(_ options: PredictOptions) throws(PipelineError) -> [Prediction] {
        guard !options.inputs.isEmpty else { throw .invalid(field: "inputs", value: "", why: "give at least one image") }
        guard (1...1000).contains(options.top) else { throw .invalid(field: "top", value: "\(options.top)", why: "must be in 1…1000") }
        let opened = try EvaluationModel(path: options.model, arch: options.arch, classes: options.classes,
                                         imageSize: options.imageSize, inChannels: options.inChannels, fused: options.fused)
        var classNames = try names(options)
        var images: [(path: String, image: Image)] = []
        var sources: [String: any ImageSource] = [:]
        for input in options.inputs {
            let (image, datasetNames) = try decode(input, sources: &sources)
            images.append((input, image))
            if classNames == nil { classNames = datasetNames }
        }
        do {
            return try Prediction.run(model: opened.model, transform: opened.transform, images: images, k: options.top,
                                      classNames: classNames)
        } catch {
            throw .failed(error.description)
        }
    }

    /// Class names from `names` (a file) or `data` (a dataset), or nil.
    static func names(_ options: PredictOptions) throws(PipelineError) -> [String]? {
        if let path = options.names {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw .failed("\(path): cannot read the class names file")
            }
            return text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        }
        guard let data = options.data else { return nil }
        do { return try DataSource.open(data).classNames } catch { throw .failed(error.description) }
    }

    /// The image of `input` (a file, or `SRC@ID` when no such file exists) and, for a dataset sample, the
    /// dataset's class names. Datasets opened once are kept in `sources`.
    static func decode(_ input: String, sources: inout [String: any ImageSource]) throws(PipelineError) -> (Image, [String]?) {
        if let at = input.lastIndex(of: "@"), !FileManager.default.fileExists(atPath: input) {
            let spec = String(input[..<at])
            guard let id = Int(input[input.index(after: at)...]) else {
                throw .failed("\(input): expected SRC@ID with an integer ID")
            }
            let source: any ImageSource
            if let known = sources[spec] {
                source = known
            } else {
                do { source = try DataSource.open(spec, field: "input") } catch { throw .failed(error.description) }
                sources[spec] = source
            }
            guard (0..<source.count).contains(id) else {
                throw .failed("\(input): \(spec) has samples 0…\(source.count - 1)")
            }
            do { return (try source.image(id), source.classNames) } catch { throw .failed(error.description) }
        }
        guard let bytes = FileManager.default.contents(atPath: input) else {
            throw .failed("\(input): cannot read the image (missing file or no permission)")
        }
        do { return (try ImageFormat.decode([UInt8](bytes), path: input), nil) } catch { throw .failed(error.description) }
    }
}
