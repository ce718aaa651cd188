import CZstd

/// A pair of reusable zstd contexts (one compression, one decompression).
///
/// Contexts are expensive to create, so a writer or reader keeps one `Zstd` for its lifetime.
/// Not thread-safe: use one instance per thread.
public final class Zstd {
    private let cctx: OpaquePointer
    private let dctx: OpaquePointer
    /// The compression level used by ``compress(_:)``.
    public let level: Int32

    /// Creates contexts compressing at `level` (1…19; 0 means zstd's default).
    public init(level: Int32 = 1) {
        self.level = level
        cctx = ZSTD_createCCtx()
        dctx = ZSTD_createDCtx()
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)
    }

    deinit {
        ZSTD_freeCCtx(cctx)
        ZSTD_freeDCtx(dctx)
    }

    /// Compresses `input` into a new zstd frame.
    public func compress(_ input: UnsafeRawBufferPointer) throws(StoreError) -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var out = [UInt8](repeating: 0, count: bound)
        let written = out.withUnsafeMutableBytes { dst in
            ZSTD_compress2(cctx, dst.baseAddress, bound, input.baseAddress, input.count)
        }
        if ZSTD_isError(written) != 0 {
            throw StoreError.codec("zstd compression failed: \(String(cString: ZSTD_getErrorName(written)))")
        }
        out.removeSubrange(written...)
        return out
    }

    /// Decompresses one zstd frame that must decode to exactly `expectedSize` bytes.
    ///
    /// A frame that is malformed or decodes to another size throws; nothing larger than
    /// `expectedSize` is ever allocated, whatever the frame header claims.
    public func decompress(_ input: UnsafeRawBufferPointer, expectedSize: Int, into out: inout [UInt8]) throws(StoreError) {
        out.removeAll(keepingCapacity: true)
        guard expectedSize >= 0, expectedSize <= 1 << 31 else {
            throw StoreError.codec("implausible decoded size \(expectedSize)")
        }
        let declared = ZSTD_getFrameContentSize(input.baseAddress, input.count)
        if declared != ZSTD_CONTENTSIZE_UNKNOWN, declared != UInt64(expectedSize) {
            throw StoreError.codec("zstd frame declares \(declared) bytes, chunk row says \(expectedSize)")
        }
        out.appendZeros(expectedSize)
        let got = out.withUnsafeMutableBytes { dst in
            ZSTD_decompressDCtx(dctx, dst.baseAddress, expectedSize, input.baseAddress, input.count)
        }
        if ZSTD_isError(got) != 0 {
            throw StoreError.codec("zstd: \(String(cString: ZSTD_getErrorName(got)))")
        }
        if got != expectedSize {
            throw StoreError.codec("zstd frame decoded to \(got) bytes, expected \(expectedSize)")
        }
    }

    /// Compresses `bytes` as one zstd frame per section (`sections` holds ascending start offsets,
    /// the first 0). Blob layout: u32 frame count, then per frame u32 decoded size and u32
    /// compressed size, then the frames.
    func compressSections(_ bytes: [UInt8], sections: [Int]) throws(StoreError) -> [UInt8] {
        var frames: [[UInt8]] = []
        var sizes: [Int] = []
        for (i, start) in sections.enumerated() {
            let end = i + 1 < sections.count ? sections[i + 1] : bytes.count
            var frame: [UInt8] = []
            var err: StoreError?
            bytes.withUnsafeBytes { raw in
                do throws(StoreError) {
                    frame = try compress(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
                } catch { err = error }
            }
            if let err { throw err }
            frames.append(frame)
            sizes.append(end - start)
        }
        var out = ByteSink(capacity: 4 + 8 * frames.count + frames.reduce(0) { $0 + $1.count })
        out.u32(UInt32(frames.count))
        for (f, size) in zip(frames, sizes) {
            out.u32(UInt32(size))
            out.u32(UInt32(f.count))
        }
        for f in frames { out.bytes.append(contentsOf: f) }
        return out.bytes
    }

    /// Reverses ``compressSections(_:sections:)`` into the first `expectedSize` bytes of `out` (grown
    /// when shorter, never shrunk); the frames must decode to exactly `expectedSize` bytes in all.
    func decompressSections(_ blob: UnsafeRawBufferPointer, expectedSize: Int, into out: inout [UInt8]) throws(StoreError) {
        var src = ByteSource(blob)
        let count = Int(try src.u32("frame count"))
        guard count >= 1, count <= 64 else { throw StoreError.codec("implausible frame count \(count)") }
        var table: [(Int, Int)] = []
        var total = 0
        for _ in 0..<count {
            let raw = Int(try src.u32("frame size"))
            let packed = Int(try src.u32("frame size"))
            total += raw
            table.append((raw, packed))
        }
        guard expectedSize > 0, total == expectedSize else {
            throw StoreError.codec("frames decode to \(total) bytes, the chunk row says \(expectedSize)")
        }
        if out.count != expectedSize {
            out.removeAll(keepingCapacity: true)
            out.appendZeros(expectedSize)
        }
        var at = 0
        for (raw, packed) in table {
            let frame = try src.slice(packed, "zstd frame")
            let declared = ZSTD_getFrameContentSize(frame.baseAddress, frame.count)
            if declared != ZSTD_CONTENTSIZE_UNKNOWN, declared != UInt64(raw) {
                throw StoreError.codec("zstd frame declares \(declared) bytes, its table entry says \(raw)")
            }
            let got = out.withUnsafeMutableBytes { dst in
                ZSTD_decompressDCtx(dctx, dst.baseAddress! + at, raw, frame.baseAddress, frame.count)
            }
            if ZSTD_isError(got) != 0 { throw StoreError.codec("zstd: \(String(cString: ZSTD_getErrorName(got)))") }
            if got != raw { throw StoreError.codec("zstd frame decoded to \(got) bytes, expected \(raw)") }
            at += raw
        }
        guard src.remaining == 0 else { throw StoreError.codec("\(src.remaining) bytes after the last frame") }
    }
}
