/// Everything that can go wrong building, loading, running or training a model.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    /// A config, shape, option or argument the model refuses.
    case invalidArgument(String)
    /// A tensor name the model or optimiser does not have.
    case notFound(String)
    /// The operation does not apply to this kind of model (for example training a TorchScript teacher).
    case unsupported(String)
    /// libtorch raised an error.
    case torch(String)
    /// A safetensors file is malformed, truncated or claims impossible sizes.
    case badSafetensors(path: String, reason: String)
    /// A weights file does not match the model: missing, unexpected or differently shaped tensors.
    case weightsMismatch(path: String, reason: String)
    /// An architecture name or config file we cannot build.
    case unknownArchitecture(String)
    /// A file could not be read or written.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidArgument(let m): return m
        case .notFound(let m): return m
        case .unsupported(let m): return m
        case .torch(let m): return "libtorch: \(m)"
        case .badSafetensors(let path, let reason): return "\(path): not a valid safetensors file: \(reason)"
        case .weightsMismatch(let path, let reason): return "\(path): weights do not fit the model: \(reason)"
        case .unknownArchitecture(let m): return m
        case .io(let path, let reason): return "\(path): \(reason)"
        }
    }
}
