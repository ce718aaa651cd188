#if arch(x86_64)
import _Builtin_intrinsics.intel

/// SSE2 inner loops of ``Resample`` that give exactly its 32-bit integer sums.
///
/// SSE2 (the x86-64 baseline) has no 32-bit multiply; a compiler emulates one with two `pmuludq` and
/// shuffles. These loops use `pmaddwd` (16-bit × 16-bit, adjacent pairs summed into 32 bits) instead,
/// two taps at a time, on split weights: every 22-bit fixed-point weight `w` is `hi · 2¹¹ + lo` with
/// `lo` in 0..<2048 and `hi` a small signed number, both 16-bit. Σ px·w is then (Σ px·hi) · 2¹¹ +
/// Σ px·lo, and wrapping 32-bit addition is associative, so the result is Pillow's sum to the bit
/// whatever the order of the taps. The final `clip8` is SSE2's saturating packs: `v >> 22` saturated to
/// 0...255 is what clipping `v` gives.
enum ResampleSSE2 {
    static let split: Int32 = 11

    /// Per output position `xx`, `pairs` tap pairs of 16 Int16: the pair's (hi, hi') repeated four
    /// times, then its (lo, lo') four times. Taps past the position's count are zero.
    static func pairTable(weights: [Int32], ksize: Int, count: Int) -> (pairs: Int, table: [Int16]) {
        let pairs = (ksize + 1) / 2
        var table = [Int16](repeating: 0, count: count * pairs * 16)
        for xx in 0..<count {
            for p in 0..<pairs {
                let base = (xx * pairs + p) * 16
                for t in 0..<2 where 2 * p + t < ksize {
                    let w = weights[xx * ksize + 2 * p + t]
                    for lane in 0..<4 {
                        table[base + lane * 2 + t] = Int16(truncatingIfNeeded: w >> split)
                        table[base + 8 + lane * 2 + t] = Int16(truncatingIfNeeded: w & ((1 << split) - 1))
                    }
                }
            }
        }
        return (pairs, table)
    }

    /// (acc_hi << 11) + acc_lo + half, shifted down by the precision and saturated to bytes in the low lanes.
    @inline(__always) static func finish(_ hi: __m128i, _ lo: __m128i, _ half: __m128i) -> __m128i {
        let v = _mm_add_epi32(_mm_add_epi32(_mm_slli_epi32(hi, split), lo), half)
        return _mm_srai_epi32(v, Int32(Resample.precisionBits))
    }

    /// Four vectors of split sums (hi and lo halves) fed two taps at a time by `pmaddwd`: the four rows
    /// of the horizontal pass, or four 4-byte groups of the vertical pass.
    struct Sums4 {
        var h0 = _mm_setzero_si128(), h1 = _mm_setzero_si128(), h2 = _mm_setzero_si128(), h3 = _mm_setzero_si128()
        var l0 = _mm_setzero_si128(), l1 = _mm_setzero_si128(), l2 = _mm_setzero_si128(), l3 = _mm_setzero_si128()

        /// Adds each pair-interleaved pixel vector times the split weights `wh`, `wl`.
        @inline(__always) mutating func add(_ p0: __m128i, _ p1: __m128i, _ p2: __m128i, _ p3: __m128i, _ wh: __m128i, _ wl: __m128i) {
            h0 = _mm_add_epi32(h0, _mm_madd_epi16(p0, wh)); l0 = _mm_add_epi32(l0, _mm_madd_epi16(p0, wl))
            h1 = _mm_add_epi32(h1, _mm_madd_epi16(p1, wh)); l1 = _mm_add_epi32(l1, _mm_madd_epi16(p1, wl))
            h2 = _mm_add_epi32(h2, _mm_madd_epi16(p2, wh)); l2 = _mm_add_epi32(l2, _mm_madd_epi16(p2, wl))
            h3 = _mm_add_epi32(h3, _mm_madd_epi16(p3, wh)); l3 = _mm_add_epi32(l3, _mm_madd_epi16(p3, wl))
        }

        /// The 16 clipped bytes, vector 0's four lanes first.
        @inline(__always) func bytes(_ half: __m128i) -> __m128i {
            _mm_packus_epi16(_mm_packs_epi32(finish(h0, l0, half), finish(h1, l1, half)),
                             _mm_packs_epi32(finish(h2, l2, half), finish(h3, l3, half)))
        }
    }

    /// How ``pixelRGB`` may store its 3 bytes: exactly, or as one 4-byte store that also writes the byte
    /// after them (`.spillAfter`) or before them (`.spillBefore`), a byte of a neighbour written later.
    enum Store { case exact, spillAfter, spillBefore }

    /// One output pixel of the horizontal pass over 3-channel pixels, if its taps can be read with
    /// 8-byte loads inside `[p, end)`; returns false (writing nothing) when they cannot, and the caller
    /// computes that pixel with the scalar loop.
    @inline(__always)
    static func pixelRGB(_ p: UnsafePointer<UInt8>, taps: Int, end: UnsafePointer<UInt8>, table: UnsafePointer<Int16>,
                         half: __m128i, into out: UnsafeMutablePointer<UInt8>, store: Store) -> Bool {
        // The usual tap counts as constants, so each loop below is unrolled.
        switch (taps + 1) / 2 {
        case 2: return pixelRGB(p, pairs: 2, end: end, table: table, half: half, into: out, store: store)
        case 3: return pixelRGB(p, pairs: 3, end: end, table: table, half: half, into: out, store: store)
        case 4: return pixelRGB(p, pairs: 4, end: end, table: table, half: half, into: out, store: store)
        case 5: return pixelRGB(p, pairs: 5, end: end, table: table, half: half, into: out, store: store)
        case let n: return pixelRGB(p, pairs: n, end: end, table: table, half: half, into: out, store: store)
        }
    }

    @inline(__always)
    static func pixelRGB(_ p: UnsafePointer<UInt8>, pairs: Int, end: UnsafePointer<UInt8>, table: UnsafePointer<Int16>,
                         half: __m128i, into out: UnsafeMutablePointer<UInt8>, store: Store) -> Bool {
        guard p + 6 * pairs + 2 <= end else { return false }  // the last 8-byte load ends there
        let zero = _mm_setzero_si128()
        var hi = zero, lo = zero
        let raw = UnsafeRawPointer(p)
        let t = UnsafeRawPointer(table)
        for i in 0..<pairs {
            // [r0 g0 b0 r1 g1 b1 r2 g2] and the same 3 bytes on, [r1 g1 b1 r2 g2 0 0 0]: interleaved bytes
            // give the pairs (r0 r1)(g0 g1)(b0 b1)(junk).
            let a = _mm_cvtsi64_si128(Int64(bitPattern: raw.loadUnaligned(fromByteOffset: 6 * i, as: UInt64.self)))
            let b = _mm_srli_epi64(a, 24)
            let px = _mm_unpacklo_epi8(_mm_unpacklo_epi8(a, b), zero)
            hi = _mm_add_epi32(hi, _mm_madd_epi16(px, t.loadUnaligned(fromByteOffset: 32 * i, as: __m128i.self)))
            lo = _mm_add_epi32(lo, _mm_madd_epi16(px, t.loadUnaligned(fromByteOffset: 32 * i + 16, as: __m128i.self)))
        }
        let v = finish(hi, lo, half)
        let bytes = _mm_packus_epi16(_mm_packs_epi32(v, v), zero)
        write(UInt32(bitPattern: _mm_cvtsi128_si32(bytes)), to: out, store)
        return true
    }

    /// Writes the low three bytes of `rgb` at `out` as `store` allows.
    @inline(__always) static func write(_ rgb: UInt32, to out: UnsafeMutablePointer<UInt8>, _ store: Store) {
        switch store {
        case .spillAfter: UnsafeMutableRawPointer(out).storeBytes(of: rgb, as: UInt32.self)
        case .spillBefore: UnsafeMutableRawPointer(out - 1).storeBytes(of: rgb << 8, as: UInt32.self)
        case .exact:
            out[0] = UInt8(truncatingIfNeeded: rgb)
            out[1] = UInt8(truncatingIfNeeded: rgb >> 8)
            out[2] = UInt8(truncatingIfNeeded: rgb >> 16)
        }
    }

    /// ``pixelRGB(_:taps:end:table:half:into:store:)`` for the same output position in four consecutive
    /// rows (`rowStride` bytes apart in, `outStride` out), which share their taps' offsets and weights:
    /// each weight vector is loaded once for the four. False (writing nothing) when the last row's taps
    /// cannot be read inside `[p, end)`.
    @inline(__always)
    static func pixelsRGB4(_ p: UnsafePointer<UInt8>, rowStride: Int, taps: Int, end: UnsafePointer<UInt8>,
                           table: UnsafePointer<Int16>, half: __m128i, into out: UnsafeMutablePointer<UInt8>,
                           outStride: Int, store: Store) -> Bool {
        switch (taps + 1) / 2 {
        case 2: return pixelsRGB4(p, rowStride: rowStride, pairs: 2, end: end, table: table, half: half, into: out, outStride: outStride, store: store)
        case 3: return pixelsRGB4(p, rowStride: rowStride, pairs: 3, end: end, table: table, half: half, into: out, outStride: outStride, store: store)
        case 4: return pixelsRGB4(p, rowStride: rowStride, pairs: 4, end: end, table: table, half: half, into: out, outStride: outStride, store: store)
        case 5: return pixelsRGB4(p, rowStride: rowStride, pairs: 5, end: end, table: table, half: half, into: out, outStride: outStride, store: store)
        case let n: return pixelsRGB4(p, rowStride: rowStride, pairs: n, end: end, table: table, half: half, into: out, outStride: outStride, store: store)
        }
    }

    @inline(__always)
    static func pixelsRGB4(_ p: UnsafePointer<UInt8>, rowStride: Int, pairs: Int, end: UnsafePointer<UInt8>,
                           table: UnsafePointer<Int16>, half: __m128i, into out: UnsafeMutablePointer<UInt8>,
                           outStride: Int, store: Store) -> Bool {
        guard p + 3 * rowStride + 6 * pairs + 2 <= end else { return false }
        let zero = _mm_setzero_si128()
        var sums = Sums4()
        let raw = UnsafeRawPointer(p)
        let t = UnsafeRawPointer(table)
        @inline(__always) func taps(_ offset: Int) -> __m128i {
            let a = _mm_cvtsi64_si128(Int64(bitPattern: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            return _mm_unpacklo_epi8(_mm_unpacklo_epi8(a, _mm_srli_epi64(a, 24)), zero)
        }
        for i in 0..<pairs {
            let wh = t.loadUnaligned(fromByteOffset: 32 * i, as: __m128i.self)
            let wl = t.loadUnaligned(fromByteOffset: 32 * i + 16, as: __m128i.self)
            sums.add(taps(6 * i), taps(rowStride + 6 * i), taps(2 * rowStride + 6 * i), taps(3 * rowStride + 6 * i), wh, wl)
        }
        let bytes = sums.bytes(half)  // rows 0..3, four bytes each (the fourth is junk)
        for r in 0..<4 {
            let rgb = UInt32(bitPattern: _mm_cvtsi128_si32(_mm_srli_epi64(r < 2 ? bytes : _mm_unpackhi_epi64(bytes, bytes), Int32(32 * (r & 1)))))
            write(rgb, to: out + r * outStride, store)
        }
        return true
    }

    /// The vertical pass: output row `yy` is Σ over its taps of `weights[yy, t] · row(ymin + t)`, for
    /// every byte of the row, 16 bytes at a time with two taps per `pmaddwd`. Returns the number of bytes
    /// per row it wrote (a multiple of 16); the caller finishes the rest of each row.
    static func vertical(_ s: UnsafePointer<UInt8>, stride: Int, bounds: [Int], ksize: Int, weights: UnsafePointer<Int32>,
                         rows oh: Int, into o: UnsafeMutablePointer<UInt8>) -> Int {
        let width = stride & ~15
        guard width > 0 else { return 0 }
        let half = _mm_set1_epi32(1 << Int32(Resample.precisionBits - 1))
        let zero = _mm_setzero_si128()
        let pairs = (ksize + 1) / 2
        var hiW = [Int32](repeating: 0, count: pairs), loW = [Int32](repeating: 0, count: pairs)
        var rowOffset = [Int](repeating: 0, count: pairs * 2)
        for yy in 0..<oh {
            let ymin = bounds[yy * 2], ymax = bounds[yy * 2 + 1]
            let n = (ymax + 1) / 2
            for i in 0..<n {
                let w0 = weights[yy * ksize + 2 * i]
                let w1 = 2 * i + 1 < ymax ? weights[yy * ksize + 2 * i + 1] : 0
                let mask: Int32 = (1 << split) - 1
                hiW[i] = Int32(bitPattern: UInt32(UInt16(truncatingIfNeeded: w0 >> split)) | UInt32(UInt16(truncatingIfNeeded: w1 >> split)) << 16)
                loW[i] = Int32(bitPattern: UInt32(UInt16(truncatingIfNeeded: w0 & mask)) | UInt32(UInt16(truncatingIfNeeded: w1 & mask)) << 16)
                rowOffset[2 * i] = (ymin + 2 * i) * stride
                // A missing second tap has weight 0: read the first row again rather than past the image.
                rowOffset[2 * i + 1] = 2 * i + 1 < ymax ? (ymin + 2 * i + 1) * stride : (ymin + 2 * i) * stride
            }
            let orow = UnsafeMutableRawPointer(o + yy * stride)
            var x = 0
            while x < width {
                var sums = Sums4()
                for i in 0..<n {
                    let a = UnsafeRawPointer(s + rowOffset[2 * i] + x).loadUnaligned(as: __m128i.self)
                    let b = UnsafeRawPointer(s + rowOffset[2 * i + 1] + x).loadUnaligned(as: __m128i.self)
                    let wh = _mm_set1_epi32(hiW[i]), wl = _mm_set1_epi32(loW[i])
                    let abLo = _mm_unpacklo_epi8(a, b), abHi = _mm_unpackhi_epi8(a, b)
                    sums.add(_mm_unpacklo_epi8(abLo, zero), _mm_unpackhi_epi8(abLo, zero),
                             _mm_unpacklo_epi8(abHi, zero), _mm_unpackhi_epi8(abHi, zero), wh, wl)
                }
                orow.storeBytes(of: sums.bytes(half), toByteOffset: x, as: __m128i.self)
                x += 16
            }
        }
        return width
    }
}
#endif
