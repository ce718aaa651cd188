import DetCore
import Augment
import FuzzSupport

/// What an accepted policy must allow: drawing parameters for any seed and image size, boxes that lie
/// inside their images, and (for small outputs) augmented pixels and normalised planes of the right size.
enum PolicyDraws {
    static let sizes = [(1, 1), (5, 3), (37, 29)]

    /// `.accepted`, or the first broken property as `.misbehaved`.
    static func check(_ policy: AugmentPolicy) -> FuzzOutcome {
        let side = policy.outputSize
        for (width, height) in sizes {
            for seed in [0, 1, 0xDEAD_BEEF, UInt64.max] as [UInt64] {
                let p = AugParams.decode(seed: seed, policy: policy, width: width, height: height)
                let c = p.crop
                guard c.width > 0, c.height > 0, c.x >= 0, c.y >= 0, c.x + c.width <= width, c.y + c.height <= height else {
                    return .misbehaved("seed \(seed), \(width)×\(height): crop \(c) outside the image")
                }
                if let e = p.erase {
                    guard e.width > 0, e.height > 0, e.x >= 0, e.y >= 0, e.x + e.width <= side, e.y + e.height <= side else {
                        return .misbehaved("seed \(seed): erased box \(e) outside the \(side)² output")
                    }
                }
                if let ra = policy.randAugment, p.steps.count != ra.numOps {
                    return .misbehaved("seed \(seed): \(p.steps.count) RandAugment steps, policy asks for \(ra.numOps)")
                }
                if let m = p.mix, !(m.lambda >= 0 && m.lambda <= 1) { return .misbehaved("seed \(seed): mix λ \(m.lambda) outside [0, 1]") }
                guard side <= 24 else { continue }
                let image = Image(width: width, height: height, channels: 3,
                                        pixels: (0..<(width * height * 3)).map { UInt8(truncatingIfNeeded: $0 &* 37) })
                let augmenter = Augmenter(policy: policy)
                let out = augmenter.pixels(image, p)
                guard out.width == side, out.height == side, out.channels == 3, out.pixels.count == side * side * 3 else {
                    return .misbehaved("seed \(seed): augmented image \(out.width)×\(out.height)×\(out.channels), expected \(side)²×3")
                }
                let planes = augmenter.normalized(out, p)
                guard planes.count == side * side * 3 else { return .misbehaved("seed \(seed): \(planes.count) normalised values") }
                if let bad = planes.first(where: { !$0.isFinite }) { return .misbehaved("seed \(seed): non-finite normalised value \(bad)") }
            }
        }
        return .accepted
    }
}
