import DetCore
import CImageCodecs

/// PNG decode and encode through libpng.
public enum PNG {
    /// Decodes to gray or RGB, 8 bits: palettes expand, 16-bit samples keep their high byte (as PIL
    /// does), alpha is dropped.
    public static func decode(_ bytes: [UInt8], path: String) throws(ImageError) -> Image {
        var out: UnsafeMutablePointer<UInt8>?
        var w: Int32 = 0, h: Int32 = 0, c: Int32 = 0
        var err = [CChar](repeating: 0, count: 256)
        let rc = bytes.withUnsafeBufferPointer { b in
            td_png_decode(b.baseAddress, b.count, &out, &w, &h, &c, &err, err.count)
        }
        guard rc == 0, let out else {
            let message = String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if message.hasPrefix("not a PNG") { throw ImageError.unsupportedFormat(path: path, detail: message) }
            throw ImageError.corrupt(path: path, detail: message.isEmpty ? "libpng failed" : message)
        }
        defer { td_free(out) }
        let n = Int(w) * Int(h) * Int(c)
        return Image(width: Int(w), height: Int(h), channels: Int(c), pixels: Array(UnsafeBufferPointer(start: out, count: n)))
    }

    /// Encodes an image (1–4 channels) as PNG.
    public static func encode(_ image: Image) throws(ImageError) -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var err = [CChar](repeating: 0, count: 256)
        let rc = image.pixels.withUnsafeBufferPointer { p in
            td_png_encode(p.baseAddress, Int32(image.width), Int32(image.height), Int32(image.channels), &out, &size, &err, err.count)
        }
        guard rc == 0, let out else {
            throw ImageError.invalidArgument("PNG encode failed: " + String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        defer { td_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }
}
