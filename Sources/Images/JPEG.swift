import DetCore
import CTurboJPEG

/// JPEG decode (with DCT-domain downscaling) and encode through libjpeg-turbo's TurboJPEG API.
///
/// Warnings (a truncated file, corrupt data libjpeg would paper over) are errors here: a sample
/// either decodes cleanly or is reported, never silently altered.
public enum JPEG {
    /// Width, height and channels (1 for grayscale JPEGs, else 3) without decoding.
    public static func header(_ bytes: [UInt8], path: String) throws(ImageError) -> (width: Int, height: Int, channels: Int) {
        try JPEGDecoder().header(bytes, path: path)
    }

    /// The size a JPEG of `width × height` decodes to at 1/`denominator` scale (TurboJPEG's rounding up).
    public static func scaledSize(width: Int, height: Int, denominator: Int) -> (Int, Int) {
        ((width + denominator - 1) / denominator, (height + denominator - 1) / denominator)
    }

    /// The largest of 1, 2, 4, 8 such that a crop of `cropWidth × cropHeight` source pixels, decoded at
    /// 1/d scale, still has at least `outWidth × outHeight` pixels (so the resize that follows never
    /// upsamples what full-size decoding would have downsampled). A pure function of its arguments:
    /// precompute and training make the same choice, so replay stays bit-exact.
    public static func scaleDenominator(cropWidth: Int, cropHeight: Int, outWidth: Int, outHeight: Int) -> Int {
        var d = 8
        while d > 1 && (cropWidth / d < outWidth || cropHeight / d < outHeight) { d /= 2 }
        return d
    }

    /// Decodes at 1/`denominator` scale (1, 2, 4 or 8) to gray (grayscale JPEGs) or RGB.
    public static func decode(_ bytes: [UInt8], path: String, denominator: Int = 1) throws(ImageError) -> Image {
        try JPEGDecoder().decode(bytes, path: path, denominator: denominator)
    }

    /// Encodes gray or RGB pixels as a baseline JPEG of `quality` (1…100), 4:2:0 for RGB.
    public static func encode(_ image: Image, quality: Int = 90) throws(ImageError) -> [UInt8] {
        guard image.channels == 1 || image.channels == 3 else {
            throw ImageError.invalidArgument("JPEG encode needs 1 or 3 channels, got \(image.channels)")
        }
        guard let handle = tjInitCompress() else { throw ImageError.invalidArgument("TurboJPEG could not start") }
        defer { tjDestroy(handle) }
        var out: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let format = image.channels == 1 ? TJPF_GRAY : TJPF_RGB
        let sub = image.channels == 1 ? TJSAMP_GRAY : TJSAMP_420
        let rc = image.pixels.withUnsafeBufferPointer { p in
            tjCompress2(handle, p.baseAddress, Int32(image.width), 0, Int32(image.height), Int32(format.rawValue), &out, &size,
                        Int32(sub.rawValue), Int32(quality), TJFLAG_ACCURATEDCT)
        }
        defer { if let out { tjFree(out) } }
        guard rc == 0, let out else { throw ImageError.invalidArgument("JPEG encode failed: \(String(cString: tjGetErrorStr2(handle)))") }
        return Array(UnsafeBufferPointer(start: out, count: Int(size)))
    }
}
