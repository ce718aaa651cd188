import DetCore
#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// RandAugment's pixel operations with Pillow's semantics (the library timm applies them through):
/// lookup-table ops in integers, enhance ops as Pillow's float32 blend, geometric ops as Pillow's
/// affine transform with its bilinear or bicubic sampler and a constant fill. Each is a pure function
/// of its input bytes and argument; float steps use only IEEE basic operations in a fixed order.
public enum PixelOps {
    // MARK: lookup-table ops

    /// `img` with each byte `v` of channel `ch` replaced by `lut[ch][v]`, in place: the image is
    /// consumed, so when the caller gives up its copy the pixels are changed without a new buffer.
    static func applyLUT(_ img: consuming Image, _ lut: [[UInt8]]) -> Image {
        var out = consume img
        let c = out.channels
        let flat = lut.flatMap { $0 }  // channel-major, 256 entries each
        flat.withUnsafeBufferPointer { t in
            out.pixels.withUnsafeMutableBufferPointer { o in
                if c == 3 {
                    var i = 0
                    while i < o.count {
                        o[i] = t[Int(o[i])]
                        o[i + 1] = t[256 + Int(o[i + 1])]
                        o[i + 2] = t[512 + Int(o[i + 2])]
                        i += 3
                    }
                } else {
                    for i in 0..<o.count { o[i] = t[Int(o[i])] }  // one channel (the table's first)
                }
            }
        }
        return out
    }

    static func histograms(_ img: Image) -> [[Int]] {
        let c = img.channels
        var flat = [Int](repeating: 0, count: 256 * c)
        flat.withUnsafeMutableBufferPointer { h in
            img.pixels.withUnsafeBufferPointer { s in
                var i = 0
                while i < s.count {
                    for ch in 0..<c { h[ch * 256 + Int(s[i + ch])] += 1 }
                    i += c
                }
            }
        }
        return (0..<c).map { Array(flat[($0 * 256)..<(($0 + 1) * 256)]) }
    }

    /// 255 − p.
    public static func invert(_ img: consuming Image) -> Image {
        let c = img.channels
        return applyLUT(consume img, Array(repeating: (0...255).map { UInt8(255 - $0) }, count: c))
    }

    /// Keeps the `bits` most significant bits (8 or more: unchanged; 0: black).
    public static func posterize(_ img: consuming Image, bits: Int) -> Image {
        if bits >= 8 { return img }
        let mask = UInt8(truncatingIfNeeded: ~((1 << (8 - max(bits, 0))) - 1))
        let c = img.channels
        return applyLUT(consume img, Array(repeating: (0...255).map { UInt8($0) & mask }, count: c))
    }

    /// Inverts every value at or above `threshold`.
    public static func solarize(_ img: consuming Image, threshold: Int) -> Image {
        let c = img.channels
        return applyLUT(consume img, Array(repeating: (0...255).map { UInt8($0 < threshold ? $0 : 255 - $0) }, count: c))
    }

    /// Adds `add` (saturating) to every value below `threshold` (timm's solarize_add).
    public static func solarizeAdd(_ img: consuming Image, add: Int, threshold: Int = 128) -> Image {
        let c = img.channels
        return applyLUT(consume img, Array(repeating: (0...255).map { UInt8($0 < threshold ? min(255, $0 + add) : $0) }, count: c))
    }

    /// Stretches each channel's range to 0…255 (Pillow's autocontrast, no cutoff).
    public static func autoContrast(_ img: consuming Image) -> Image {
        let lut = histograms(img).map { h -> [UInt8] in
            guard let lo = h.firstIndex(where: { $0 > 0 }), let hi = h.lastIndex(where: { $0 > 0 }), hi > lo else {
                return (0...255).map { UInt8($0) }
            }
            let scale = 255.0 / Double(hi - lo)
            let offset = -Double(lo) * scale
            return (0...255).map { UInt8(min(max(Int(Double($0) * scale + offset), 0), 255)) }
        }
        return applyLUT(consume img, lut)
    }

    /// Histogram equalisation per channel (Pillow's equalize).
    public static func equalize(_ img: consuming Image) -> Image {
        let lut = histograms(img).map { h -> [UInt8] in
            let nonzero = h.filter { $0 > 0 }
            let identity = (0...255).map { UInt8($0) }
            guard nonzero.count > 1 else { return identity }
            let step = (nonzero.reduce(0, +) - nonzero.last!) / 255
            guard step > 0 else { return identity }
            var n = step / 2
            var out = [UInt8](repeating: 0, count: 256)
            for i in 0..<256 {
                out[i] = UInt8(min(n / step, 255))
                n += h[i]
            }
            return out
        }
        return applyLUT(consume img, lut)
    }

    // MARK: enhance ops: blend(degenerate, image, factor) as Pillow's ImagingBlend

    static func blend(_ degenerate: [UInt8], _ img: Image, _ factor: Double) -> Image {
        let alpha = Float(factor)
        var out = img
        let inside = alpha >= 0 && alpha <= 1
        degenerate.withUnsafeBufferPointer { d in
            img.pixels.withUnsafeBufferPointer { s in
                out.pixels.withUnsafeMutableBufferPointer { o in
                    var start = 0
                    #if arch(x86_64)
                    // 16 bytes at a time with the same float32 operations per byte. Clamping to [0, 255]
                    // before truncating is what both branches below give: inside [0, 1] the blend stays
                    // between its two bytes, so the clamp changes nothing.
                    let zero = _mm_setzero_si128(), lo = _mm_setzero_ps(), hi = _mm_set1_ps(255), f = _mm_set1_ps(alpha)
                    @inline(__always) func lanes(_ a: __m128i, _ b: __m128i) -> __m128i {
                        let fa = _mm_cvtepi32_ps(a)
                        let v = _mm_add_ps(fa, _mm_mul_ps(f, _mm_cvtepi32_ps(_mm_sub_epi32(b, a))))
                        return _mm_cvttps_epi32(_mm_min_ps(_mm_max_ps(v, lo), hi))
                    }
                    while start + 16 <= s.count {
                        let a = UnsafeRawPointer(d.baseAddress! + start).loadUnaligned(as: __m128i.self)
                        let b = UnsafeRawPointer(s.baseAddress! + start).loadUnaligned(as: __m128i.self)
                        let a0 = _mm_unpacklo_epi8(a, zero), a1 = _mm_unpackhi_epi8(a, zero)
                        let b0 = _mm_unpacklo_epi8(b, zero), b1 = _mm_unpackhi_epi8(b, zero)
                        let r0 = lanes(_mm_unpacklo_epi16(a0, zero), _mm_unpacklo_epi16(b0, zero))
                        let r1 = lanes(_mm_unpackhi_epi16(a0, zero), _mm_unpackhi_epi16(b0, zero))
                        let r2 = lanes(_mm_unpacklo_epi16(a1, zero), _mm_unpacklo_epi16(b1, zero))
                        let r3 = lanes(_mm_unpackhi_epi16(a1, zero), _mm_unpackhi_epi16(b1, zero))
                        let packed = _mm_packus_epi16(_mm_packs_epi32(r0, r1), _mm_packs_epi32(r2, r3))
                        UnsafeMutableRawPointer(o.baseAddress! + start).storeBytes(of: packed, as: __m128i.self)
                        start += 16
                    }
                    #endif
                    for i in start..<s.count {
                        let a = Int32(d[i]), b = Int32(s[i])
                        let v = Float(a) + alpha * Float(b - a)
                        if inside {
                            o[i] = UInt8(truncatingIfNeeded: Int32(v))
                        } else {
                            o[i] = v <= 0 ? 0 : v >= 255 ? 255 : UInt8(v)
                        }
                    }
                }
            }
        }
        return out
    }

    /// Pillow's RGB → L: (19595 R + 38470 G + 7471 B + 2¹⁵) >> 16.
    static func luminance(_ img: Image) -> [UInt8] {
        if img.channels == 1 { return img.pixels }
        var l = [UInt8](repeating: 0, count: img.width * img.height)
        img.pixels.withUnsafeBufferPointer { s in
            l.withUnsafeMutableBufferPointer { o in
                for p in 0..<o.count {
                    let r = Int(s[3 * p]), g = Int(s[3 * p + 1]), b = Int(s[3 * p + 2])
                    o[p] = UInt8(truncatingIfNeeded: (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)
                }
            }
        }
        return l
    }

    static func spread(_ gray: [UInt8], channels: Int) -> [UInt8] {
        if channels == 1 { return gray }
        var out = [UInt8](repeating: 0, count: gray.count * 3)
        out.withUnsafeMutableBufferPointer { o in
            for (p, v) in gray.enumerated() {
                o[3 * p] = v
                o[3 * p + 1] = v
                o[3 * p + 2] = v
            }
        }
        return out
    }

    /// Colour saturation: blend with the image's grayscale version.
    public static func color(_ img: Image, factor: Double) -> Image {
        blend(spread(luminance(img), channels: img.channels), img, factor)
    }

    /// Contrast: blend with a flat image of the rounded mean luminance.
    public static func contrast(_ img: Image, factor: Double) -> Image {
        let l = luminance(img)
        let mean = Int(Double(l.reduce(0) { $0 + Int($1) }) / Double(l.count) + 0.5)
        return blend([UInt8](repeating: UInt8(mean), count: img.pixels.count), img, factor)
    }

    /// Brightness: blend with black.
    public static func brightness(_ img: Image, factor: Double) -> Image {
        blend([UInt8](repeating: 0, count: img.pixels.count), img, factor)
    }

    /// Sharpness: blend with Pillow's SMOOTH-filtered image (3×3 kernel 1 1 1 / 1 5 1 / 1 1 1, ÷13,
    /// border pixels kept).
    public static func sharpness(_ img: Image, factor: Double) -> Image {
        let w = img.width, h = img.height, c = img.channels
        var smooth = img.pixels
        if w >= 3 && h >= 3 {
            let k1 = Float(1) / 13, k5 = Float(5) / 13
            let stride = w * c
            img.pixels.withUnsafeBufferPointer { s in
                smooth.withUnsafeMutableBufferPointer { o in
                    for y in 1..<(h - 1) {
                        let up = s.baseAddress! + (y - 1) * stride, mid = up + stride, down = mid + stride
                        let out = o.baseAddress! + y * stride
                        for i in c..<(stride - c) {
                            // Pillow's order: the row below, this row, the row above; left, centre, right.
                            var ss: Float = 0
                            ss += Float(down[i - c]) * k1 + Float(down[i]) * k1 + Float(down[i + c]) * k1
                            ss += Float(mid[i - c]) * k1 + Float(mid[i]) * k5 + Float(mid[i + c]) * k1
                            ss += Float(up[i - c]) * k1 + Float(up[i]) * k1 + Float(up[i + c]) * k1
                            out[i] = ss <= 0 ? 0 : ss >= 255 ? 255 : UInt8(ss + 0.5)
                        }
                    }
                }
            }
        }
        return blend(smooth, img, factor)
    }

    // MARK: geometric ops: Pillow's generic affine transform

    /// Output pixel (x, y) samples the input at `m · (x + ½, y + ½, 1)`; outside the input the output
    /// keeps `fill`.
    public static func affine(_ img: Image, matrix m: [Double], kind: AugmentPolicy.Interpolation, fill: [UInt8]) -> Image {
        let w = img.width, h = img.height, c = img.channels
        var out = [UInt8](repeating: 0, count: img.pixels.count)
        for p in 0..<(w * h) { for ch in 0..<c { out[p * c + ch] = fill[min(ch, fill.count - 1)] } }
        // Pixels as SIMD4<Double> lanes (one per channel): every lane sees exactly Pillow's per-band
        // IEEE operations, in Pillow's order.
        var lanes = [SIMD4<Double>](repeating: .zero, count: w * h)
        lanes.withUnsafeMutableBufferPointer { l in
            img.pixels.withUnsafeBufferPointer { s in
                if c == 3 {
                    for p in 0..<(w * h) { l[p] = SIMD4(Double(s[3 * p]), Double(s[3 * p + 1]), Double(s[3 * p + 2]), 0) }
                } else {
                    for p in 0..<(w * h) { l[p] = SIMD4(Double(s[p]), 0, 0, 0) }
                }
            }
        }
        let m0 = m[0], m1 = m[1], m2 = m[2], m3 = m[3], m4 = m[4], m5 = m[5]
        let fw = Double(w), fh = Double(h)
        lanes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<h {
                    let yo = Double(y) + 0.5
                    for x in 0..<w {
                        let xo = Double(x) + 0.5
                        var xin = m0 * xo + m1 * yo + m2
                        var yin = m3 * xo + m4 * yo + m5
                        if xin < 0 || xin >= fw || yin < 0 || yin >= fh { continue }
                        xin -= 0.5
                        yin -= 0.5
                        let fx = floorInt(xin), fy = floorInt(yin)
                        let dx = xin - Double(fx), dy = yin - Double(fy)
                        let v = kind == .bicubic
                            ? bicubicSample(src, w, h, fx, fy, dx, dy) : bilinearSample(src, w, h, fx, fy, dx, dy)
                        let base = (y * w + x) * c
                        let bytes = clampedBytes(v)
                        for ch in 0..<c { o[base + ch] = UInt8(truncatingIfNeeded: bytes >> (8 * UInt32(ch))) }
                    }
                }
            }
        }
        return Image(width: w, height: h, channels: c, pixels: out)
    }

    /// Each lane of `v` clipped to 0...255 and truncated (Pillow's 8-bit clip after a filter), packed
    /// into the bytes of a UInt32, lane 0 lowest. On x86-64, four lanes in a few SSE2 instructions: the
    /// same bytes, since truncating a value clamped to [0, 255] is what the per-lane comparisons give.
    @inline(__always) static func clampedBytes(_ v: SIMD4<Double>) -> UInt32 {
        #if arch(x86_64)
        let zero = _mm_setzero_pd(), top = _mm_set1_pd(255)
        let a = _mm_cvttpd_epi32(_mm_min_pd(_mm_max_pd(v.lowHalf, zero), top))
        let b = _mm_cvttpd_epi32(_mm_min_pd(_mm_max_pd(v.highHalf, zero), top))
        let i32 = _mm_unpacklo_epi64(a, b)
        let i16 = _mm_packs_epi32(i32, i32)
        return UInt32(bitPattern: _mm_cvtsi128_si32(_mm_packus_epi16(i16, i16)))
        #else
        var out: UInt32 = 0
        for ch in 0..<4 {
            let e = v[ch]
            out |= UInt32(e <= 0 ? 0 : e >= 255 ? 255 : UInt8(e)) << (8 * UInt32(ch))
        }
        return out
        #endif
    }

    /// ⌊v⌋ for a finite `v` in Int's range, without a call to libm's floor (x86-64's baseline has
    /// no rounding instruction): truncation, one less for a negative non-integer.
    @inline(__always) static func floorInt(_ v: Double) -> Int {
        let t = Int(v)
        return Double(t) > v ? t - 1 : t
    }

    @inline(__always) static func cubic(_ v1: SIMD4<Double>, _ v2: SIMD4<Double>, _ v3: SIMD4<Double>, _ v4: SIMD4<Double>, _ d: Double) -> SIMD4<Double> {
        let p1 = v2
        let p2 = -v1 + v3
        let p3 = 2 * (v1 - v2) + v3 - v4
        let p4 = -v1 + v2 - v3 + v4
        return p1 + d * (p2 + d * (p3 + d * p4))
    }

    /// Pillow's bicubic_filter: columns clipped to the image, the first row clipped, later rows
    /// outside the image repeating the row before.
    ///
    /// A cubic at offset 0 is exactly its second sample (`v2 + 0·(…)` adds a zero, and the samples are
    /// never −0), so a row with `dx == 0` is read, not interpolated, and `dy == 0` returns the second
    /// row: shears and translations, whose offsets are 0 along one axis, skip most of the work and
    /// give the same bits.
    @inline(__always) static func bicubicSample(
        _ src: UnsafeBufferPointer<SIMD4<Double>>, _ w: Int, _ h: Int, _ fx: Int, _ fy: Int, _ dx: Double, _ dy: Double
    ) -> SIMD4<Double> {
        let bx = fx - 1, by = fy - 1
        if bx >= 0 && bx + 3 < w && by >= 0 && by + 3 < h {
            // Inside the image (most pixels): every clip below is the identity, so skip them.
            let r1 = src.baseAddress! + by * w + bx
            @inline(__always) func inner(_ r: UnsafePointer<SIMD4<Double>>) -> SIMD4<Double> {
                dx == 0 ? r[1] : cubic(r[0], r[1], r[2], r[3], dx)
            }
            if dy == 0 { return inner(r1 + w) }
            return cubic(inner(r1), inner(r1 + w), inner(r1 + 2 * w), inner(r1 + 3 * w), dy)
        }
        let x0 = bx < 0 ? 0 : bx < w ? bx : w - 1
        let x1 = bx + 1 < 0 ? 0 : bx + 1 < w ? bx + 1 : w - 1
        let x2 = bx + 2 < 0 ? 0 : bx + 2 < w ? bx + 2 : w - 1
        let x3 = bx + 3 < 0 ? 0 : bx + 3 < w ? bx + 3 : w - 1
        @inline(__always) func row(_ r: Int) -> SIMD4<Double> {
            dx == 0 ? src[r + x1] : cubic(src[r + x0], src[r + x1], src[r + x2], src[r + x3], dx)
        }
        let inside1 = by + 1 >= 0 && by + 1 < h
        if dy == 0 { return row((inside1 ? by + 1 : by < 0 ? 0 : by < h ? by : h - 1) * w) }
        let v1 = row((by < 0 ? 0 : by < h ? by : h - 1) * w)
        var v2 = v1
        if inside1 { v2 = row((by + 1) * w) }
        var v3 = v2
        if by + 2 >= 0 && by + 2 < h { v3 = row((by + 2) * w) }
        var v4 = v3
        if by + 3 >= 0 && by + 3 < h { v4 = row((by + 3) * w) }
        return cubic(v1, v2, v3, v4, dy)
    }

    /// Pillow's bilinear_filter.
    @inline(__always) static func bilinearSample(
        _ src: UnsafeBufferPointer<SIMD4<Double>>, _ w: Int, _ h: Int, _ fx: Int, _ fy: Int, _ dx: Double, _ dy: Double
    ) -> SIMD4<Double> {
        let x0 = fx < 0 ? 0 : fx < w ? fx : w - 1
        let x1 = fx + 1 < 0 ? 0 : fx + 1 < w ? fx + 1 : w - 1
        let r0 = (fy < 0 ? 0 : fy < h ? fy : h - 1) * w
        var v1 = src[r0 + x0] + (src[r0 + x1] - src[r0 + x0]) * dx
        var v2 = v1
        if fy + 1 >= 0 && fy + 1 < h {
            let r1 = (fy + 1) * w
            v2 = src[r1 + x0] + (src[r1 + x1] - src[r1 + x0]) * dx
        }
        v1 = v1 + (v2 - v1) * dy
        return v1
    }

    /// cos and sin of `degrees` from Taylor series (IEEE basic operations only), rounded to 15
    /// decimals as Pillow's rotate rounds them.
    static func cosSin(degrees: Double) -> (Double, Double) {
        let r = degrees * (Double.pi / 180)
        var term = 1.0, cosSum = 1.0
        var sTerm = r, sinSum = r
        let r2 = r * r
        for i in 1...12 {
            term *= -r2 / Double((2 * i - 1) * (2 * i))
            cosSum += term
            sTerm *= -r2 / Double((2 * i) * (2 * i + 1))
            sinSum += sTerm
        }
        func round15(_ v: Double) -> Double { (v * 1e15).rounded(.toNearestOrEven) / 1e15 }
        return (round15(cosSum), round15(sinSum))
    }

    /// Rotation by `degrees` counter-clockwise about the centre (Pillow's Image.rotate, no expand).
    public static func rotate(_ img: Image, degrees: Double, kind: AugmentPolicy.Interpolation, fill: [UInt8]) -> Image {
        let (cs, sn) = cosSin(degrees: -degrees)
        let cx = Double(img.width) / 2, cy = Double(img.height) / 2
        // The inverse map, centred: x_in = cs·(x − cx) + sn·(y − cy) + cx, y_in = −sn·(x − cx) + cs·(y − cy) + cy.
        var m = [cs, sn, 0.0, -sn, cs, 0.0]
        m[2] = m[0] * -cx + m[1] * -cy
        m[5] = m[3] * -cx + m[4] * -cy
        m[2] += cx
        m[5] += cy
        return affine(img, matrix: m, kind: kind, fill: fill)
    }
}
