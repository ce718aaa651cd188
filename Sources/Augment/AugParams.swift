import DetCore
import Foundation

/// The explicit augmentation of one record, decoded from its seed: everything the pixel stage needs,
/// nothing random left. Printing it explains a record (`inspect --record`).
public struct AugParams: Sendable, Equatable, CustomStringConvertible {
    /// A box in pixels: left, top, width, height.
    public struct Box: Sendable, Equatable {
        public var x: Int, y: Int, width: Int, height: Int
        /// Creates a box.
        public init(x: Int, y: Int, width: Int, height: Int) {
            self.x = x
            self.y = y
            self.width = width
            self.height = height
        }
    }

    /// One RandAugment slot: the op drawn, whether it applies, its magnitude and its argument.
    public struct Step: Sendable, Equatable {
        /// The op.
        public var op: RandAugmentOp
        /// False when the slot's probability draw skipped it.
        public var applied: Bool
        /// Magnitude after the Gaussian spread and clipping to [0, magnitude_max].
        public var magnitude: Double
        /// Whether the argument's sign was flipped (signed ops only).
        public var negative: Bool
        /// The op's argument (``RandAugmentOp/argument(magnitude:negative:)``).
        public var argument: Double

        /// Creates a step.
        public init(op: RandAugmentOp, applied: Bool, magnitude: Double, negative: Bool, argument: Double) {
            self.op = op
            self.applied = applied
            self.magnitude = magnitude
            self.negative = negative
            self.argument = argument
        }
    }

    /// Mixup or CutMix with a partner sample (pair mode).
    public struct Mix: Sendable, Equatable {
        /// True for CutMix, false for Mixup.
        public var cutmix: Bool
        /// The weight of this sample (corrected to the box's real area for CutMix).
        public var lambda: Double
        /// The pasted box in output pixels (CutMix only).
        public var box: Box?
        /// A uniform draw choosing the partner: ``partner(count:sample:)``.
        public var partnerDraw: UInt64

        /// The partner among `count` samples: any sample but `sample` itself, uniformly.
        public func partner(count: Int, sample: Int) -> Int {
            guard count > 1 else { return sample }
            let p = Int(partnerDraw.multipliedFullWidth(by: UInt64(count - 1)).high)
            return p >= sample ? p + 1 : p
        }
    }

    /// The seed it was decoded from.
    public var seed: UInt64
    /// The crop in source pixels (RandomResizedCrop), resized to the output size.
    public var crop: Box
    /// Whether the crop-attempt loop fell back to the centre crop.
    public var cropFallback: Bool
    /// Horizontal flip.
    public var flip: Bool
    /// RandAugment slots in order.
    public var steps: [Step]
    /// The erased box in output pixels, or nil.
    public var erase: Box?
    /// Seed of the erased box's N(0, 1) noise.
    public var eraseNoiseSeed: UInt64
    /// Mixup/CutMix, or nil.
    public var mix: Mix?

    /// Decodes `seed` under `policy` for a source image of `width × height` pixels. A pure function:
    /// the same arguments give the same parameters on any machine, thread or order (counter-based RNG,
    /// logarithms from ``DetMath``).
    ///
    /// Draw order: crop attempts (area, log-ratio, then top and left of a crop that fits), flip,
    /// per RandAugment slot (op, apply?, magnitude noise, sign), erasing (apply?, attempts: area,
    /// log-aspect, top, left; noise seed), mix (apply?, CutMix?, λ, box centre, partner).
    public static func decode(seed: UInt64, policy: AugmentPolicy, width: Int, height: Int) -> AugParams {
        precondition(width > 0 && height > 0, "image size must be positive")
        var rng = AugRNG(seed: seed)
        // RandomResizedCrop (torchvision).
        let area = Double(width * height)
        let logLo = DetMath.log(policy.crop.ratio[0]), logHi = DetMath.log(policy.crop.ratio[1])
        var crop: Box?
        for _ in 0..<policy.crop.attempts {
            let target = area * rng.uniform(policy.crop.scale[0], policy.crop.scale[1])
            let aspect = DetMath.exp(rng.uniform(logLo, logHi))
            let w = Int((target * aspect).squareRoot().rounded(.toNearestOrEven))
            let h = Int((target / aspect).squareRoot().rounded(.toNearestOrEven))
            if w > 0 && h > 0 && w <= width && h <= height {
                let top = rng.int(0, height - h)
                let left = rng.int(0, width - w)
                crop = Box(x: left, y: top, width: w, height: h)
                break
            }
        }
        let fallback = crop == nil
        if crop == nil {
            let inRatio = Double(width) / Double(height)
            var w = width, h = height
            // At least one pixel each way: on a 1-pixel-high (or wide) image the ratio clamp can round to 0
            // (torchvision then fails); found by FuzzPolicy. No draw torchvision accepts changes.
            if inRatio < policy.crop.ratio[0] {
                h = max(1, Int((Double(w) / policy.crop.ratio[0]).rounded(.toNearestOrEven)))
            } else if inRatio > policy.crop.ratio[1] {
                w = max(1, Int((Double(h) * policy.crop.ratio[1]).rounded(.toNearestOrEven)))
            }
            crop = Box(x: (width - w) / 2, y: (height - h) / 2, width: w, height: h)
        }
        let flip = rng.bernoulli(policy.hflip)
        // RandAugment (timm): ops with replacement, each applied with its probability.
        var steps: [Step] = []
        if let ra = policy.randAugment {
            for _ in 0..<ra.numOps {
                let op = ra.ops[rng.int(0, ra.ops.count - 1)]
                let applied = rng.bernoulli(ra.probability)
                var m = ra.magnitude
                if ra.magnitudeStd > 0 { m += ra.magnitudeStd * rng.normal() }
                m = min(max(m, 0), ra.magnitudeMax)
                let negative = op.signed ? rng.bernoulli(0.5) : false
                steps.append(Step(op: op, applied: applied, magnitude: m, negative: negative,
                                  argument: op.argument(magnitude: m, negative: negative)))
            }
        }
        // RandomErasing (timm), on the output image.
        let side = policy.outputSize
        var erase: Box?
        var noiseSeed: UInt64 = 0
        if let e = policy.erasing, rng.bernoulli(e.probability) {
            let outArea = Double(side * side)
            let aLo = DetMath.log(e.aspect[0]), aHi = DetMath.log(e.aspect[1])
            for _ in 0..<e.attempts {
                let target = rng.uniform(e.area[0], e.area[1]) * outArea
                let aspect = DetMath.exp(rng.uniform(aLo, aHi))
                let h = Int((target * aspect).squareRoot().rounded(.toNearestOrEven))
                let w = Int((target / aspect).squareRoot().rounded(.toNearestOrEven))
                if w < side && h < side {
                    let top = rng.int(0, side - h)
                    let left = rng.int(0, side - w)
                    erase = Box(x: left, y: top, width: w, height: h)
                    break
                }
            }
            noiseSeed = rng.next()
        }
        // Mixup / CutMix (timm), pair mode.
        var mix: Mix?
        if let m = policy.mix, rng.bernoulli(m.probability) {
            let cutmix = m.mixupAlpha > 0 && m.cutmixAlpha > 0 ? rng.bernoulli(m.switchProbability) : m.cutmixAlpha > 0
            let alpha = cutmix ? m.cutmixAlpha : m.mixupAlpha
            var lambda = rng.beta(alpha, alpha)
            var box: Box?
            if cutmix {
                let ratio = (1 - lambda).squareRoot()
                let ch = Int(Double(side) * ratio), cw = Int(Double(side) * ratio)
                let cy = rng.int(0, side - 1), cx = rng.int(0, side - 1)
                let y0 = min(max(cy - ch / 2, 0), side), y1 = min(max(cy + ch / 2, 0), side)
                let x0 = min(max(cx - cw / 2, 0), side), x1 = min(max(cx + cw / 2, 0), side)
                box = Box(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
                lambda = 1 - Double((x1 - x0) * (y1 - y0)) / Double(side * side)
            }
            mix = Mix(cutmix: cutmix, lambda: lambda, box: box, partnerDraw: rng.next())
        }
        return AugParams(seed: seed, crop: crop!, cropFallback: fallback, flip: flip, steps: steps, erase: erase,
                         eraseNoiseSeed: noiseSeed, mix: mix)
    }

    public var description: String {
        func box(_ b: Box) -> String { "\(b.width)×\(b.height) at (\(b.x), \(b.y))" }
        var lines = ["seed 0x\(String(seed, radix: 16))"]
        lines.append("crop \(box(crop))" + (cropFallback ? " (centre fallback)" : ""))
        lines.append("flip \(flip ? "yes" : "no")")
        for (i, s) in steps.enumerated() {
            let arg = s.op.usesMagnitude ? String(format: " m=%.2f arg=%.4g", s.magnitude, s.argument) : ""
            lines.append("op\(i + 1) \(s.op.rawValue)\(arg)\(s.applied ? "" : " (skipped)")")
        }
        lines.append("erase " + (erase.map(box) ?? "no"))
        if let m = mix {
            lines.append(m.cutmix ? "cutmix λ=\(String(format: "%.4f", m.lambda)) box \(m.box.map(box) ?? "-")"
                                  : "mixup λ=\(String(format: "%.4f", m.lambda))")
        }
        return lines.joined(separator: "\n")
    }
}
