import Store

/// A teacher the caller runs itself (a PyTorch model on a GPU, through the C ABI and the Python
/// package): the stage hands it rendered batches and takes back its top-K (``TeacherStage/write(_:)``).
/// The store records the caller's own description of it: a name and a digest of its weights, which
/// `verify` and `inspect` report and a resume must match.
public struct CallerTeacher: Teacher {
    /// The class count, or 0 while it is unknown: neither given nor named, it is taken from the first write
    /// of logits or probabilities (``TeacherStage/write(_:numClasses:)``).
    public let numClasses: Int
    public let inputChannels: Int?
    public var requiredInputSize: Int? { nil }
    public let metadata: StoreMetadata.Teacher
    public let input: TeacherInput

    /// A teacher of `numClasses` classes named `name` with weights digest `digest`, reading `channels`
    /// channels (nil: the dataset's own) as normalised float32 planes or, with `pixels`, uint8 pixels.
    /// `classNames`, when given, are recorded in the store and compared with the dataset's; the class
    /// count may then be left out (nil), else it must equal their count. Without either, the stage takes
    /// the class count from the first write. Errors name the field at fault.
    public init(name: String, digest: String, numClasses: Int?, channels: Int? = nil,
                pixels: TeacherInput = .planes, classNames: [String]? = nil) throws(PipelineError) {
        guard !name.isEmpty, name.utf8.count <= 256 else {
            throw .invalid(field: "teacherName", value: name, why: "give a name of 1…256 bytes (for example the model's class and config)")
        }
        guard !digest.isEmpty, digest.utf8.count <= 256 else {
            throw .invalid(field: "teacherDigest", value: digest, why: "give a digest of the weights of 1…256 bytes (for example a SHA-256)")
        }
        if let classNames { try TeacherClassNames.check(classNames, field: "classNames", value: "\(classNames.count) names", count: numClasses) }
        let numClasses = numClasses ?? classNames?.count ?? 0
        guard numClasses == 0 || (numClasses >= 2 && numClasses <= 1 << 24) else {
            throw .invalid(field: "numClasses", value: "\(numClasses)", why: "a teacher has 2…16,777,216 classes")
        }
        if let channels, ![1, 3].contains(channels) {
            throw .invalid(field: "channels", value: "\(channels)", why: "images are rendered with 1 or 3 channels")
        }
        guard pixels != .pixelHash else {
            throw .invalid(field: "pixels", value: "hash", why: "a caller's teacher reads float32 planes or uint8 pixels")
        }
        self.numClasses = numClasses
        inputChannels = channels
        input = pixels
        metadata = .init(architecture: "caller:" + name, weightsHash: digest, classNames: classNames)
    }

    public func topK(_ batch: RenderedBatch, into targets: inout TopKBatch) throws(PipelineError) {
        throw .failed("the caller computes this teacher's top-K and writes it to the stage")
    }

    public func probabilities(_ batch: RenderedBatch, into dense: inout [Float]) throws(PipelineError) {
        throw .failed("the caller computes this teacher's probabilities and writes them to the stage")
    }
}
