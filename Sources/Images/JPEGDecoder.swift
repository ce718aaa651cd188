import DetCore
import CImageCodecs
import CTurboJPEG

/// One TurboJPEG decompressor, reused for a header read and the decode that follows (or for many
/// images): creating one allocates libjpeg's state. Not thread-safe: one per thread or per image.
public final class JPEGDecoder {
    private let handle: tjhandle

    /// A decoder; throws only when TurboJPEG cannot allocate one.
    public init() throws(ImageError) {
        guard let h = tjInitDecompress() else { throw ImageError.invalidArgument("TurboJPEG could not start") }
        handle = h
    }

    deinit { tjDestroy(handle) }

    /// Width, height and channels (1 for grayscale JPEGs, else 3) without decoding.
    public func header(_ bytes: [UInt8], path: String) throws(ImageError) -> (width: Int, height: Int, channels: Int) {
        var w: Int32 = 0, h: Int32 = 0, sub: Int32 = 0, space: Int32 = 0
        let rc = bytes.withUnsafeBufferPointer { b in
            tjDecompressHeader3(handle, b.baseAddress, UInt(b.count), &w, &h, &sub, &space)
        }
        if rc != 0 { throw ImageError.corrupt(path: path, detail: String(cString: tjGetErrorStr2(handle))) }
        guard w > 0, h > 0, w <= 1 << 15, h <= 1 << 15 else {
            throw ImageError.corrupt(path: path, detail: "implausible size \(w)×\(h)")
        }
        return (Int(w), Int(h), space == Int32(TJCS_GRAY.rawValue) ? 1 : 3)
    }

    /// Decodes at 1/`denominator` scale (1, 2, 4 or 8) to gray (grayscale JPEGs) or RGB. Warnings
    /// (truncation, corrupt data) are errors.
    public func decode(_ bytes: [UInt8], path: String, denominator: Int = 1) throws(ImageError) -> Image {
        guard [1, 2, 4, 8].contains(denominator) else {
            throw ImageError.invalidArgument("JPEG scale 1/\(denominator) is not one of 1, 1/2, 1/4, 1/8")
        }
        let (w, h, channels) = try header(bytes, path: path)
        let (sw, sh) = JPEG.scaledSize(width: w, height: h, denominator: denominator)
        var pixels = [UInt8](repeating: 0, count: sw * sh * channels)
        let format = channels == 1 ? TJPF_GRAY : TJPF_RGB
        let flags = TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING
        let rc = bytes.withUnsafeBufferPointer { b in
            pixels.withUnsafeMutableBufferPointer { p in
                tjDecompress2(handle, b.baseAddress, UInt(b.count), p.baseAddress, Int32(sw), 0, Int32(sh), Int32(format.rawValue), flags)
            }
        }
        if rc != 0 { throw ImageError.corrupt(path: path, detail: String(cString: tjGetErrorStr2(handle))) }
        return Image(width: sw, height: sh, channels: channels, pixels: pixels)
    }
}

extension JPEGDecoder {
    /// Rows `y0..<y1` and columns `x0..<x1` of the JPEG scaled by 1/`denominator`, decoded without the
    /// rest of the image (libjpeg's `jpeg_crop_scanline` and `jpeg_skip_scanlines`): the pixels are those
    /// of ``decode(_:path:denominator:)`` in that region. Returns the decoded block, which starts at
    /// column `originX` (columns are widened to iMCU boundaries) and row `y0`, or nil when region
    /// decoding does not cover the image (a colour space other than gray, YCbCr or RGB).
    public static func decodeRegion(_ bytes: [UInt8], path: String, denominator: Int, x0: Int, y0: Int, x1: Int,
                                    y1: Int) throws(ImageError) -> (image: Image, originX: Int)? {
        var out: UnsafeMutablePointer<UInt8>?
        var ox: Int32 = 0, ow: Int32 = 0, c: Int32 = 0
        var err = [CChar](repeating: 0, count: 256)
        let rc = bytes.withUnsafeBufferPointer { b in
            td_jpeg_decode_region(b.baseAddress, b.count, Int32(denominator), Int32(x0), Int32(y0), Int32(x1), Int32(y1),
                                  &out, &ox, &ow, &c, &err, err.count)
        }
        if rc == 2 { return nil }
        if rc != 0 { throw ImageError.corrupt(path: path, detail: String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) }
        guard let out else { return nil }
        defer { td_free(out) }
        let rows = y1 - y0
        let pixels = Array(UnsafeBufferPointer(start: out, count: Int(ow) * rows * Int(c)))
        return (Image(width: Int(ow), height: rows, channels: Int(c), pixels: pixels), Int(ox))
    }
}
