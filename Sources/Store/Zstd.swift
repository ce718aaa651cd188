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
    public init(level: Int32 = 9) {
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
        out.append(contentsOf: repeatElement(0, count: expectedSize))
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
}
