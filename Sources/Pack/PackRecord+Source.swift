import Augment
import DetCore
import Images

extension PackRecord {
    /// Sample `id` of `source` as `settings` store it.
    ///
    /// A file the source holds (an ImageFolder's JPEG or PNG) that needs no resize is kept byte for
    /// byte under the `jpeg` encoding. Anything else is decoded, resized so its longer side is
    /// ``PackSettings/maxSide`` when larger (antialiased bicubic, Pillow's coefficients), then encoded
    /// as JPEG at ``PackSettings/quality`` or kept as raw pixels. A sample whose image cannot be read
    /// becomes a ``Kind/bad`` record carrying the error, never a hole in the ids.
    public static func make(from source: any ImageSource, id: Int, settings: PackSettings) -> PackRecord {
        let sample = source.sample(id)
        func record(_ kind: Kind, _ img: (Int, Int, Int), verbatim: Bool, _ data: [UInt8]) -> PackRecord {
            PackRecord(id: id, key: sample.key, label: sample.label, width: img.0, height: img.1, channels: img.2, kind: kind,
                       verbatim: verbatim, data: data)
        }
        do throws(ImageError) {
            var decoded: Image
            var verbatimPixels = true
            if let files = source as? any EncodedImageSource, let (bytes, path) = try files.encoded(id) {
                let format = bytes.withUnsafeBytes { ImageFormat.detect($0) }
                if settings.encoding == .jpeg, format == .jpeg {
                    let (w, h, c) = try JPEG.header(bytes, path: path)
                    if settings.storedSize(width: w, height: h) == (w, h) {
                        _ = try JPEG.decode(bytes, path: path)  // a file that cannot decode is a bad record, not a kept one
                        return record(.jpeg, (w, h, c), verbatim: true, bytes)
                    }
                }
                decoded = try ImageFormat.decode(bytes, path: path)
                if settings.encoding == .jpeg, format == .png, settings.storedSize(width: decoded.width, height: decoded.height) == (decoded.width, decoded.height) {
                    return record(.png, (decoded.width, decoded.height, decoded.channels), verbatim: true, bytes)
                }
                // Rendering decoded pixels skips the JPEG path's DCT scaling and region decoding: other pixels.
                verbatimPixels = format != .jpeg
            } else {
                decoded = try source.image(id)
            }
            let (w, h) = settings.storedSize(width: decoded.width, height: decoded.height)
            if (w, h) != (decoded.width, decoded.height) {
                decoded = Image(width: w, height: h, channels: decoded.channels,
                                pixels: Resample.resize(decoded.pixels, width: decoded.width, height: decoded.height,
                                                        channels: decoded.channels, toWidth: w, height: h, kind: .bicubic))
                verbatimPixels = false
            }
            let shape = (decoded.width, decoded.height, decoded.channels)
            switch settings.encoding {
            case .raw: return record(.raw, shape, verbatim: verbatimPixels, decoded.pixels)
            case .jpeg: return record(.jpeg, shape, verbatim: false, try JPEG.encode(decoded, quality: settings.quality))
            }
        } catch {
            return record(.bad, (0, 0, 0), verbatim: true, Array(error.description.utf8))
        }
    }
}
