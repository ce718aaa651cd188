import DetCore

/// Applies decoded ``AugParams`` to pixels: crop, resize to the output size and flip (one pass) → RandAugment
/// steps (uint8, Pillow semantics), then normalisation and random erasing (float32).
public struct Augmenter: Sendable {
    /// The policy.
    public let policy: AugmentPolicy

    /// An augmenter for `policy`.
    public init(policy: AugmentPolicy) { self.policy = policy }

    /// The augmented uint8 image (before normalisation and erasing).
    public func pixels(_ image: Image, _ params: AugParams) -> Image {
        let side = policy.outputSize
        let box = params.crop
        var img = Image(
            width: side, height: side, channels: image.channels,
            pixels: Resample.resize(image.pixels, width: image.width, height: image.height, channels: image.channels,
                                    crop: (box.x, box.y, box.width, box.height), toWidth: side, height: side,
                                    kind: policy.interpolation, mirrored: params.flip))
        let fill = image.channels == 1 ? [policy.fill[0]] : policy.fill
        for step in params.steps where step.applied {
            img = Self.apply(step, to: consume img, kind: policy.interpolation, fill: fill)
        }
        return img
    }

    /// One RandAugment step.
    public static func apply(_ step: AugParams.Step, to img: consuming Image, kind: AugmentPolicy.Interpolation, fill: [UInt8]) -> Image {
        let a = step.argument
        switch step.op {
        case .autoContrast: return PixelOps.autoContrast(consume img)
        case .equalize: return PixelOps.equalize(consume img)
        case .invert: return PixelOps.invert(consume img)
        case .rotate: return a == 0 ? img : PixelOps.rotate(img, degrees: a, kind: kind, fill: fill)
        case .posterizeIncreasing: return PixelOps.posterize(consume img, bits: Int(a))
        case .solarizeIncreasing: return PixelOps.solarize(consume img, threshold: Int(a))
        case .solarizeAdd: return PixelOps.solarizeAdd(consume img, add: Int(a))
        case .colorIncreasing: return PixelOps.color(img, factor: a)
        case .contrastIncreasing: return PixelOps.contrast(img, factor: a)
        case .brightnessIncreasing: return PixelOps.brightness(img, factor: a)
        case .sharpnessIncreasing: return PixelOps.sharpness(img, factor: a)
        case .shearX: return PixelOps.affine(img, matrix: [1, a, 0, 0, 1, 0], kind: kind, fill: fill)
        case .shearY: return PixelOps.affine(img, matrix: [1, 0, 0, a, 1, 0], kind: kind, fill: fill)
        case .translateXRel: return PixelOps.affine(img, matrix: [1, 0, a * Double(img.width), 0, 1, 0], kind: kind, fill: fill)
        case .translateYRel: return PixelOps.affine(img, matrix: [1, 0, 0, 0, 1, a * Double(img.height)], kind: kind, fill: fill)
        }
    }

    /// Normalised float32 CHW planes: (p/255 − mean)/std per channel, then the erased box filled with
    /// N(0, 1) noise drawn from the params' noise seed (row-major, channel-major), as timm's pixel mode.
    public func normalized(_ img: Image, _ params: AugParams) -> [Float] {
        var out = [Float](repeating: 0, count: img.channels * img.width * img.height)
        out.withUnsafeMutableBufferPointer { normalize(img, params, into: $0) }
        return out
    }

    /// ``normalized(_:_:)`` written into `out` (at least channels × width × height floats), so a batch
    /// is filled in place.
    public func normalize(_ img: Image, _ params: AugParams, into out: UnsafeMutableBufferPointer<Float>) {
        let c = img.channels, n = img.width * img.height
        precondition(out.count >= c * n, "the output slot holds \(out.count) floats, the image needs \(c * n)")
        // Per channel: a 256-entry table of (v/255 − mean)/std (the divisions done once per byte value,
        // not per pixel), then one pass that writes the channel's plane contiguously.
        img.pixels.withUnsafeBufferPointer { s in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 256) { table in
                for ch in 0..<c {
                    let mean = Float(policy.mean[ch]), std = Float(policy.std[ch])
                    for v in 0..<256 { table[v] = (Float(v) / 255 - mean) / std }
                    let dst = out.baseAddress! + ch * n
                    let src = s.baseAddress! + ch
                    for p in 0..<n { dst[p] = table[Int(src[p * c])] }
                }
            }
        }
        if let e = params.erase {
            var rng = AugRNG(seed: params.eraseNoiseSeed)
            for ch in 0..<c {
                for y in e.y..<(e.y + e.height) {
                    rng.fillNormals(UnsafeMutableBufferPointer(rebasing: out[(ch * n + y * img.width + e.x)...].prefix(e.width)))
                }
            }
        }
    }
}

extension Augmenter {
    /// Mixes this sample's normalised planes `a` with its partner's `b` (same shape) as the params'
    /// Mixup (λ·a + (1 − λ)·b) or CutMix (b pasted into the box); returns `a` unchanged without mix.
    public func mixed(_ a: [Float], with b: [Float], params: AugParams, channels: Int) -> [Float] {
        guard let m = params.mix else { return a }
        precondition(a.count == b.count)
        let side = policy.outputSize, n = side * side
        var out = a
        if m.cutmix, let box = m.box {
            for ch in 0..<channels {
                for y in box.y..<(box.y + box.height) {
                    for x in box.x..<(box.x + box.width) { out[ch * n + y * side + x] = b[ch * n + y * side + x] }
                }
            }
        } else {
            let l = Float(m.lambda)
            for i in 0..<out.count { out[i] = a[i] * l + b[i] * (1 - l) }
        }
        return out
    }
}
