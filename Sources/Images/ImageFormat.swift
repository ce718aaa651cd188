import DetCore

/// The encoded formats the images module reads, told apart by their first bytes (never by name).
public enum ImageFormat: String, Sendable {
    case jpeg, png

    /// The format of `bytes`, or nil when it is neither JPEG nor PNG.
    public static func detect(_ bytes: UnsafeRawBufferPointer) -> ImageFormat? {
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF { return .jpeg }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if bytes.count >= 8, (0..<8).allSatisfy({ bytes[$0] == png[$0] }) { return .png }
        return nil
    }

    /// Decodes `bytes` (from `path`, for messages) at full size.
    public static func decode(_ bytes: [UInt8], path: String) throws(ImageError) -> Image {
        let format = bytes.withUnsafeBytes { detect($0) }
        switch format {
        case .jpeg: return try JPEG.decode(bytes, path: path)
        case .png: return try PNG.decode(bytes, path: path)
        case nil:
            let head = bytes.prefix(4).map { String($0, radix: 16) }.joined(separator: " ")
            throw ImageError.unsupportedFormat(path: path, detail: bytes.isEmpty ? "empty file" : "first bytes \(head)")
        }
    }
}
