/// A failure reading a dataset or an image; every case names the file (or folder) at fault.
public enum ImageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file or folder does not exist or cannot be read.
    case unreadable(path: String, detail: String)
    /// The bytes are not a format we decode.
    case unsupportedFormat(path: String, detail: String)
    /// A JPEG or PNG that fails to decode (corrupt or truncated).
    case corrupt(path: String, detail: String)
    /// A dataset layout problem (empty class folder, IDX headers that disagree, no images).
    case badDataset(path: String, detail: String)
    /// An argument that cannot be used (scale, size).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .unreadable(let p, let d): return "\(p): cannot read (\(d))"
        case .unsupportedFormat(let p, let d): return "\(p): unsupported image format (\(d)); JPEG and PNG are supported"
        case .corrupt(let p, let d): return "\(p): corrupt or truncated image (\(d))"
        case .badDataset(let p, let d): return "\(p): \(d)"
        case .invalidArgument(let m): return m
        }
    }
}
