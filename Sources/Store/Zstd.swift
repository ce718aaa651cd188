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

    /// Decompresses one zstd frame into exactly the bytes of `dst`: a frame that is malformed, or
    /// that declares or decodes to another size, throws; nothing is allocated from what it claims.
    private func decompressFrame(_ frame: UnsafeRawBufferPointer, into dst: UnsafeMutableRawBufferPointer) throws(StoreError) {
        let declared = ZSTD_getFrameContentSize(frame.baseAddress, frame.count)
        if declared != ZSTD_CONTENTSIZE_UNKNOWN, declared != UInt64(dst.count) {
            throw StoreError.codec("zstd frame declares \(declared) bytes, its table entry says \(dst.count)")
        }
        let got = ZSTD_decompressDCtx(dctx, dst.baseAddress, dst.count, frame.baseAddress, frame.count)
        if ZSTD_isError(got) != 0 { throw StoreError.codec("zstd: \(String(cString: ZSTD_getErrorName(got)))") }
        if got != dst.count { throw StoreError.codec("zstd frame decoded to \(got) bytes, expected \(dst.count)") }
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

    /// The most bytes one compressed byte of a zstd frame can decode to. A block decodes to at most
    /// 128 KiB and takes at least 4 bytes (a 3-byte block header and the byte an RLE block repeats),
    /// and a frame adds a header of at least 6 bytes, so no frame of `p` bytes decodes to more than
    /// `p × 32768`. Sizes claimed beyond that are rejected before anything is allocated.
    static let maxExpansion = 32768

    /// Reverses ``compressSections(_:sections:)`` into the first `expectedSize` bytes of `out` (grown
    /// when shorter, never shrunk); the frames must decode to exactly `expectedSize` bytes in all.
    /// Every size in the blob's table and `expectedSize` itself are checked against the frames'
    /// compressed sizes before `out` grows, so a damaged row or table cannot make it allocate more than
    /// ``maxExpansion`` times the blob.
    func decompressSections(_ blob: UnsafeRawBufferPointer, expectedSize: Int, into out: inout [UInt8]) throws(StoreError) {
        var src = ByteSource(blob)
        let count = Int(try src.u32("frame count"))
        guard count >= 1, count <= 64 else { throw StoreError.codec("implausible frame count \(count)") }
        var table: [(Int, Int)] = []
        var total = 0
        var packedTotal = 0
        for i in 0..<count {
            let raw = Int(try src.u32("frame size"))
            let packed = Int(try src.u32("frame size"))
            guard raw <= packed * Self.maxExpansion else {
                throw StoreError.codec("frame \(i) claims \(raw) decoded bytes from \(packed) compressed bytes, more than zstd can expand to")
            }
            total += raw
            packedTotal += packed
            table.append((raw, packed))
        }
        guard packedTotal == src.remaining else {
            throw StoreError.codec("the frame table lists \(packedTotal) compressed bytes, the blob holds \(src.remaining) after it")
        }
        guard expectedSize > 0, total == expectedSize else {
            throw StoreError.codec("frames decode to \(total) bytes, the chunk row says \(expectedSize)")
        }
        out.ensureCount(expectedSize)
        var at = 0
        for (raw, packed) in table {
            let frame = try src.slice(packed, "zstd frame")
            var failure: StoreError?
            out.withUnsafeMutableBytes { all in
                do throws(StoreError) {
                    try decompressFrame(frame, into: UnsafeMutableRawBufferPointer(rebasing: all[at..<(at + raw)]))
                } catch {
                    failure = error
                }
            }
            if let failure { throw failure }
            at += raw
        }
        guard src.remaining == 0 else { throw StoreError.codec("\(src.remaining) bytes after the last frame") }
    }
}
