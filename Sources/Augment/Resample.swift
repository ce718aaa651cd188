import DetCore
#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// Separable antialiased resizing with the coefficients and 22-bit fixed-point accumulation of
/// Pillow's `Image.resize` (Resample.c), so a crop resized here matches torchvision's
/// RandomResizedCrop on PIL images byte for byte: coefficients come from IEEE double arithmetic on
/// polynomials (the same on every machine), pixels from integer arithmetic.
public enum Resample {
    static let precisionBits = 22

    @inline(__always) static func filter(_ kind: AugmentPolicy.Interpolation, _ v: Double) -> Double {
        let x = abs(v)
        switch kind {
        case .bilinear:
            return x < 1 ? 1 - x : 0
        case .bicubic:
            let a = -0.5
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        }
    }

    static func support(_ kind: AugmentPolicy.Interpolation) -> Double { kind == .bilinear ? 1 : 2 }

    /// Per output position: first input index, tap count, and `ksize` fixed-point weights.
    static func coefficients(inSize: Int, outSize: Int, kind: AugmentPolicy.Interpolation) -> (bounds: [Int], ksize: Int, weights: [Int32]) {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let sup = support(kind) * filterScale
        let ksize = Int(sup.rounded(.up)) * 2 + 1
        var bounds = [Int](repeating: 0, count: outSize * 2)
        var weights = [Int32](repeating: 0, count: outSize * ksize)
        var pre = [Double](repeating: 0, count: ksize)
        for xx in 0..<outSize {
            let center = (Double(xx) + 0.5) * scale
            let ss = 1 / filterScale
            let xmin = max(Int(center - sup + 0.5), 0)
            let xmax = min(Int(center + sup + 0.5), inSize) - xmin
            var ww = 0.0
            for x in 0..<xmax {
                let w = filter(kind, (Double(x + xmin) - center + 0.5) * ss)
                pre[x] = w
                ww += w
            }
            for x in 0..<xmax {
                var w = pre[x]
                if ww != 0 { w /= ww }
                let fixed = w < 0 ? Int32(-0.5 + w * Double(1 << precisionBits)) : Int32(0.5 + w * Double(1 << precisionBits))
                weights[xx * ksize + x] = fixed
            }
            bounds[xx * 2] = xmin
            bounds[xx * 2 + 1] = xmax
        }
        return (bounds, ksize, weights)
    }

    @inline(__always) static func clip8(_ v: Int32) -> UInt8 {
        if v >= Int32(255) << precisionBits { return 255 }
        if v <= 0 { return 0 }
        return UInt8(truncatingIfNeeded: v >> precisionBits)
    }

    /// Resizes `src` (rows packed, `channels` interleaved) from `w × h` to `ow × oh`.
    public static func resize(_ src: [UInt8], width w: Int, height h: Int, channels c: Int, toWidth ow: Int, height oh: Int,
                              kind: AugmentPolicy.Interpolation) -> [UInt8] {
        resize(src, width: w, height: h, channels: c, crop: (0, 0, w, h), toWidth: ow, height: oh, kind: kind)
    }

    /// Resizes the `crop` box (x, y, width, height, inside the image) of `src` (`w × h`, `channels`
    /// interleaved) to `ow × oh`, reading the box in place: crop and resize in one pass, the same
    /// bytes as cropping first.
    ///
    /// The sums are Pillow's 32-bit integer ones. Integer addition wraps and is associative, so
    /// adding the three channels of a tap as one SIMD vector gives exactly Pillow's per-channel result.
    ///
    /// With `mirrored`, the result is flipped left to right (the bytes of resizing, then
    /// `flippedHorizontally()`): the horizontal pass writes each output pixel to its mirrored column,
    /// and the vertical pass, which treats every column alike, commutes with the flip.
    public static func resize(_ src: [UInt8], width w: Int, height h: Int, channels c: Int, crop: (x: Int, y: Int, width: Int, height: Int),
                              toWidth ow: Int, height oh: Int, kind: AugmentPolicy.Interpolation, mirrored: Bool = false) -> [UInt8] {
        precondition(crop.x >= 0 && crop.y >= 0 && crop.x + crop.width <= w && crop.y + crop.height <= h, "crop outside the image")
        let cw = crop.width, ch = crop.height
        let half: Int32 = 1 << (precisionBits - 1)
        // Pass 1 (horizontal): the crop's rows, from the source in place, into `cur` (cw' × ch).
        var cur: [UInt8]
        var curWidth: Int
        if ow != cw {
            let (bounds, ksize, k) = coefficients(inSize: cw, outSize: ow, kind: kind)
            cur = [UInt8](repeating: 0, count: ow * ch * c)
            curWidth = ow
            #if arch(x86_64)
            let (pairs, table) = c == 3 ? ResampleSSE2.pairTable(weights: k, ksize: ksize, count: ow) : (0, [Int16]())
            let halfSSE = _mm_set1_epi32(half)
            #else
            let table = [Int16]()
            #endif
            table.withUnsafeBufferPointer { pairTable in
            src.withUnsafeBufferPointer { s in
                k.withUnsafeBufferPointer { k in
                    cur.withUnsafeMutableBufferPointer { o in
                        let end = s.baseAddress! + s.count
                        // One output pixel of row y (the scalar loops, or SSE2 where its loads fit).
                        @inline(__always) func pixel(_ y: Int, _ xx: Int) {
                            let row = s.baseAddress! + ((crop.y + y) * w + crop.x) * c
                            let orow = o.baseAddress! + y * ow * c
                            let xmin = bounds[xx * 2], xmax = bounds[xx * 2 + 1]
                            let kw = k.baseAddress! + xx * ksize
                            let p = row + xmin * c
                            let xo = mirrored ? ow - 1 - xx : xx
                            #if arch(x86_64)
                            // Pixels are written in order of xx: the neighbour that xo moves towards comes later.
                            let store: ResampleSSE2.Store = xx == ow - 1 ? .exact : mirrored ? .spillBefore : .spillAfter
                            if c == 3 && ResampleSSE2.pixelRGB(p, taps: xmax, end: end, table: pairTable.baseAddress! + xx * pairs * 16,
                                                               half: halfSSE, into: orow + xo * 3, store: store) {
                                return
                            }
                            #endif
                            if c == 3 && p + 3 * xmax + 1 <= end {
                                // 4-byte loads (the fourth lane, the next pixel's red, is dropped).
                                var acc = SIMD4<Int32>(repeating: half)
                                for x in 0..<xmax {
                                    let px = UnsafeRawPointer(p + 3 * x).loadUnaligned(as: SIMD4<UInt8>.self)
                                    acc &+= SIMD4<Int32>(truncatingIfNeeded: px) &* SIMD4(repeating: kw[x])
                                }
                                orow[xo * 3] = clip8(acc[0])
                                orow[xo * 3 + 1] = clip8(acc[1])
                                orow[xo * 3 + 2] = clip8(acc[2])
                            } else {
                                for chn in 0..<c {
                                    var ss = half
                                    for x in 0..<xmax { ss &+= Int32(p[x * c + chn]) &* kw[x] }
                                    orow[xo * c + chn] = clip8(ss)
                                }
                            }
                        }
                        var y = 0
                        #if arch(x86_64)
                        // Four rows at a time: they share each output position's taps and weights.
                        while c == 3 && y + 4 <= ch {
                            let row = s.baseAddress! + ((crop.y + y) * w + crop.x) * 3
                            let orow = o.baseAddress! + y * ow * 3
                            for xx in 0..<ow {
                                let xmin = bounds[xx * 2], xmax = bounds[xx * 2 + 1]
                                let xo = mirrored ? ow - 1 - xx : xx
                                let store: ResampleSSE2.Store = xx == ow - 1 ? .exact : mirrored ? .spillBefore : .spillAfter
                                if !ResampleSSE2.pixelsRGB4(row + xmin * 3, rowStride: w * 3, taps: xmax, end: end,
                                                            table: pairTable.baseAddress! + xx * pairs * 16, half: halfSSE,
                                                            into: orow + xo * 3, outStride: ow * 3, store: store) {
                                    for r in 0..<4 { pixel(y + r, xx) }
                                }
                            }
                            y += 4
                        }
                        #endif
                        while y < ch {
                            for xx in 0..<ow { pixel(y, xx) }
                            y += 1
                        }
                    }
                }
            }
            }
        } else if crop == (0, 0, w, h) && !mirrored {
            cur = src
            curWidth = w
        } else {
            cur = [UInt8](repeating: 0, count: cw * ch * c)
            curWidth = cw
            src.withUnsafeBufferPointer { s in
                cur.withUnsafeMutableBufferPointer { o in
                    for y in 0..<ch {
                        let from = s.baseAddress! + ((crop.y + y) * w + crop.x) * c
                        let to = o.baseAddress! + y * cw * c
                        if mirrored {
                            for x in 0..<cw { for chn in 0..<c { to[(cw - 1 - x) * c + chn] = from[x * c + chn] } }
                        } else {
                            to.update(from: from, count: cw * c)
                        }
                    }
                }
            }
        }
        // Pass 2 (vertical): row by row, the same sums as Pillow's column loop, in the same order per pixel.
        guard oh != ch else { return cur }
        let (bounds, ksize, k) = coefficients(inSize: ch, outSize: oh, kind: kind)
        let stride = curWidth * c
        var out = [UInt8](repeating: 0, count: stride * oh)
        var acc = [Int32](repeating: 0, count: stride)
        cur.withUnsafeBufferPointer { s in
            k.withUnsafeBufferPointer { k in
                out.withUnsafeMutableBufferPointer { o in
                    acc.withUnsafeMutableBufferPointer { acc in
                        #if arch(x86_64)
                        let done = ResampleSSE2.vertical(s.baseAddress!, stride: stride, bounds: bounds, ksize: ksize,
                                                         weights: k.baseAddress!, rows: oh, into: o.baseAddress!)
                        #else
                        let done = 0
                        #endif
                        guard done < stride else { return }
                        for yy in 0..<oh {
                            let ymin = bounds[yy * 2], ymax = bounds[yy * 2 + 1]
                            for x in done..<stride { acc[x] = half }
                            for y in 0..<ymax {
                                let wgt = k[yy * ksize + y]
                                let row = s.baseAddress! + (y + ymin) * stride
                                for x in done..<stride { acc[x] &+= Int32(row[x]) &* wgt }
                            }
                            let orow = o.baseAddress! + yy * stride
                            for x in done..<stride { orow[x] = clip8(acc[x]) }
                        }
                    }
                }
            }
        }
        return out
    }
}
