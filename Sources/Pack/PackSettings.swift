/// How `tinydistill pack` stores each image: what the pack's fingerprint mixes in whenever it changes
/// the pixels a sample decodes to.
public struct PackSettings: Sendable, Equatable, Codable {
    /// How image blobs are held.
    public enum Encoding: String, Sendable, Codable, CaseIterable {
        /// JPEG files: a source JPEG that needs no resize is kept byte for byte; anything else is encoded
        /// at ``PackSettings/quality`` (4:2:0 for RGB).
        case jpeg
        /// Decoded uint8 pixels (HWC), no compression: the fastest to read, the largest on disk.
        case raw
    }

    /// Images larger than this on their longer side are resized (Pillow-exact antialiased bicubic) so
    /// that side equals it; nil keeps every image's size.
    public var maxSide: Int?
    /// How blobs are held.
    public var encoding: Encoding
    /// JPEG quality (1…100) of re-encoded images.
    public var quality: Int

    /// Settings; see each field.
    public init(maxSide: Int? = nil, encoding: Encoding = .jpeg, quality: Int = 90) {
        self.maxSide = maxSide
        self.encoding = encoding
        self.quality = quality
    }

    /// Checks the ranges; the error names the field (`max_side`, `quality`).
    public func validate() throws(PackError) {
        if let maxSide, maxSide < 8 || maxSide > 1 << 15 {
            throw .invalid(field: "max_side", value: String(maxSide), why: "must be between 8 and 32768 pixels")
        }
        guard (1...100).contains(quality) else {
            throw .invalid(field: "quality", value: String(quality), why: "must be between 1 and 100")
        }
    }

    /// The size an image of `width × height` is stored at.
    public func storedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        guard let maxSide, max(width, height) > maxSide else { return (width, height) }
        let scale = Double(maxSide) / Double(max(width, height))
        return (max(1, min(maxSide, Int((Double(width) * scale).rounded()))),
                max(1, min(maxSide, Int((Double(height) * scale).rounded()))))
    }

    /// The salt of a pack's fingerprint when some image is not its source's own pixels.
    var fingerprintSalt: String {
        "tdpack max_side=\(maxSide.map(String.init) ?? "none") encoding=\(encoding.rawValue) quality=\(quality) resize=bicubic"
    }
}
