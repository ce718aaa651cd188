import DetCore
import Foundation

/// An augmentation policy (`schemas/augment-policy.schema.json`): what `AugParams.decode` draws and
/// what the pixel stage applies. Stored in a store's metadata as canonical JSON with its hash.
public struct AugmentPolicy: Codable, Sendable, Equatable {
    /// Resampling filter for the crop resize and RandAugment's geometric ops.
    public enum Interpolation: String, Codable, Sendable { case bilinear, bicubic }

    /// torchvision's RandomResizedCrop.
    public struct Crop: Codable, Sendable, Equatable {
        /// Range of the crop's area as a fraction of the image's.
        public var scale: [Double]
        /// Range of the crop's aspect ratio (width / height), drawn log-uniformly.
        public var ratio: [Double]
        /// Attempts before the centre-crop fallback.
        public var attempts: Int
    }

    /// timm's RandAugment.
    public struct RandAugment: Codable, Sendable, Equatable {
        /// The ops to choose from.
        public var ops: [RandAugmentOp]
        /// Ops drawn per image, with replacement.
        public var numOps: Int
        /// Magnitude (0…magnitudeMax) and its per-application Gaussian spread.
        public var magnitude: Double, magnitudeStd: Double, magnitudeMax: Double
        /// Probability that each drawn op is applied.
        public var probability: Double
        enum CodingKeys: String, CodingKey {
            case ops
            case numOps = "num_ops"
            case magnitude
            case magnitudeStd = "magnitude_std"
            case magnitudeMax = "magnitude_max"
            case probability
        }
    }

    /// timm's RandomErasing.
    public struct Erasing: Codable, Sendable, Equatable {
        /// Probability of erasing.
        public var probability: Double
        /// `pixel`: per-pixel N(0, 1) noise after normalisation.
        public var mode: String
        /// Range of the erased area as a fraction of the image's.
        public var area: [Double]
        /// Range of the erased box's aspect ratio, drawn log-uniformly.
        public var aspect: [Double]
        /// Attempts to place a box that fits.
        public var attempts: Int
    }

    /// timm's Mixup/CutMix in pair mode.
    public struct Mix: Codable, Sendable, Equatable {
        /// Beta(α, α) parameters; 0 disables that kind.
        public var mixupAlpha: Double, cutmixAlpha: Double
        /// Probability of mixing at all, and of CutMix rather than Mixup when both are on.
        public var probability: Double, switchProbability: Double
        enum CodingKeys: String, CodingKey {
            case mixupAlpha = "mixup_alpha"
            case cutmixAlpha = "cutmix_alpha"
            case probability
            case switchProbability = "switch_probability"
        }
    }

    /// Policy format version.
    public var version: Int
    /// Side of the square output, in pixels.
    public var outputSize: Int
    /// Resampling filter.
    public var interpolation: Interpolation
    /// The random resized crop.
    public var crop: Crop
    /// Horizontal flip probability.
    public var hflip: Double
    /// RandAugment, or nil for none.
    public var randAugment: RandAugment?
    /// Random erasing, or nil for none.
    public var erasing: Erasing?
    /// Mixup/CutMix, or nil for none.
    public var mix: Mix?
    /// Normalisation mean and standard deviation per channel (RGB; gray uses the first).
    public var mean: [Double], std: [Double]

    enum CodingKeys: String, CodingKey {
        case version
        case outputSize = "output_size"
        case interpolation, crop, hflip
        case randAugment = "rand_augment"
        case erasing, mix, mean, std
    }

    /// The TinyViT ImageNet-21k distillation recipe (DESIGN.md §4) at `outputSize`: RandomResizedCrop
    /// (0.08–1, 3/4–4/3), bicubic, flip 0.5, RandAugment rand-m9-mstd0.5-inc1, random erasing 0.25
    /// (pixel mode), Mixup/CutMix off, ImageNet mean/std.
    public static func tinyViT(outputSize: Int = 224) -> AugmentPolicy {
        AugmentPolicy(
            version: 1, outputSize: outputSize, interpolation: .bicubic,
            crop: Crop(scale: [0.08, 1.0], ratio: [3.0 / 4.0, 4.0 / 3.0], attempts: 10),
            hflip: 0.5,
            randAugment: RandAugment(
                ops: RandAugmentOp.allCases, numOps: 2, magnitude: 9, magnitudeStd: 0.5, magnitudeMax: 10, probability: 0.5),
            erasing: Erasing(probability: 0.25, mode: "pixel", area: [0.02, 1.0 / 3.0], aspect: [0.3, 1 / 0.3], attempts: 10),
            mix: nil,
            mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
    }

    /// The fill value of geometric ops per channel: round(255 × mean), as timm passes `img_mean`.
    public var fill: [UInt8] { mean.map { UInt8(min(255, max(0, (255 * $0).rounded()))) } }

    /// Canonical JSON: sorted keys, no whitespace; the input to ``hash``.
    public func canonicalJSON() -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! enc.encode(self), as: UTF8.self)
    }

    /// `xxh64:` and 16 hex digits of the canonical JSON.
    public var hash: String {
        "xxh64:" + XXH64.hex(XXH64.hash(Array(canonicalJSON().utf8)))
    }

    /// Parses and validates a policy document; errors name `source` and the field at fault.
    public static func parse(_ json: [UInt8], source: String) throws(AugmentError) -> AugmentPolicy {
        try rejectUnknownFields(json, source: source)
        let policy: AugmentPolicy
        do {
            policy = try JSONDecoder().decode(AugmentPolicy.self, from: Data(json))
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw AugmentError.badPolicy(source: source, detail: "missing field \((ctx.codingPath + [key]).map(\.stringValue).joined(separator: "."))")
        } catch let DecodingError.valueNotFound(_, ctx) {
            throw AugmentError.badPolicy(source: source, detail: "\(ctx.codingPath.map(\.stringValue).joined(separator: ".")) is null; give a value")
        } catch let DecodingError.typeMismatch(_, ctx) {
            throw AugmentError.badPolicy(source: source, detail: "wrong type at \(ctx.codingPath.map(\.stringValue).joined(separator: ".")): \(ctx.debugDescription)")
        } catch let DecodingError.dataCorrupted(ctx) {
            throw AugmentError.badPolicy(source: source, detail: "\(ctx.codingPath.map(\.stringValue).joined(separator: ".")): \(ctx.debugDescription)")
        } catch {
            throw AugmentError.badPolicy(source: source, detail: "\(error)")
        }
        try policy.validate(source: source)
        return policy
    }

    /// The fields each object of a policy document may have.
    static let knownFields: [String: Set<String>] = [
        "": ["version", "output_size", "interpolation", "crop", "hflip", "rand_augment", "erasing", "mix", "mean", "std"],
        "crop": ["scale", "ratio", "attempts"],
        "rand_augment": ["ops", "num_ops", "magnitude", "magnitude_std", "magnitude_max", "probability"],
        "erasing": ["probability", "mode", "area", "aspect", "attempts"],
        "mix": ["mixup_alpha", "cutmix_alpha", "probability", "switch_probability"],
    ]

    /// Refuses a field the format does not have: a misspelt `rand_augmnet` would otherwise be ignored and
    /// silently turn RandAugment off.
    static func rejectUnknownFields(_ json: [UInt8], source: String) throws(AugmentError) {
        // Documents that are not JSON objects fail in the decoder with their own message.
        guard let top = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else { return }
        func check(_ object: [String: Any], _ path: String) throws(AugmentError) {
            guard let allowed = knownFields[path] else { return }
            for key in object.keys.sorted() where !allowed.contains(key) {
                let field = path.isEmpty ? key : path + "." + key
                throw .badPolicy(source: source, detail: "unknown field \(field); known fields\(path.isEmpty ? "" : " of " + path): "
                                 + allowed.sorted().joined(separator: ", "))
            }
        }
        try check(top, "")
        for (key, value) in top {
            if let nested = value as? [String: Any] { try check(nested, key) }
        }
    }

    /// Checks ranges; the first problem names its field.
    public func validate(source: String) throws(AugmentError) {
        func bad(_ field: String, _ why: String) -> AugmentError { .badPolicy(source: source, detail: "\(field): \(why)") }
        func range(_ r: [Double], _ field: String, within lo: Double, _ hi: Double) throws(AugmentError) {
            guard r.count == 2, r[0].isFinite, r[1].isFinite, r[0] > lo || (lo == 0 && r[0] >= 0), r[0] <= r[1], r[1] <= hi else {
                throw bad(field, "expected [low, high] with \(lo) < low ≤ high ≤ \(hi)")
            }
        }
        guard version == 1 else { throw bad("version", "only version 1 exists") }
        guard (1...4096).contains(outputSize) else { throw bad("output_size", "must be in 1…4096") }
        try range(crop.scale, "crop.scale", within: 0, 1)
        guard crop.scale[0] > 0 else { throw bad("crop.scale", "the low end must be > 0") }
        try range(crop.ratio, "crop.ratio", within: 0, 100)
        // The crop's log-ratio is drawn between log(low) and log(high): a zero low end has no logarithm.
        guard crop.ratio[0] > 0 else { throw bad("crop.ratio", "the low end must be > 0") }
        guard (1...100).contains(crop.attempts) else { throw bad("crop.attempts", "must be in 1…100") }
        guard (0...1).contains(hflip) else { throw bad("hflip", "a probability in [0, 1]") }
        if let ra = randAugment {
            guard !ra.ops.isEmpty else { throw bad("rand_augment.ops", "needs at least one op") }
            guard (0...16).contains(ra.numOps) else { throw bad("rand_augment.num_ops", "must be in 0…16") }
            guard ra.magnitudeMax > 0, (0...ra.magnitudeMax).contains(ra.magnitude) else {
                throw bad("rand_augment.magnitude", "must be in 0…magnitude_max")
            }
            guard ra.magnitudeStd >= 0, ra.magnitudeStd.isFinite else { throw bad("rand_augment.magnitude_std", "must be ≥ 0") }
            guard (0...1).contains(ra.probability) else { throw bad("rand_augment.probability", "a probability in [0, 1]") }
        }
        if let e = erasing {
            guard (0...1).contains(e.probability) else { throw bad("erasing.probability", "a probability in [0, 1]") }
            guard e.mode == "pixel" else { throw bad("erasing.mode", "only \"pixel\" is supported") }
            try range(e.area, "erasing.area", within: 0, 1)
            try range(e.aspect, "erasing.aspect", within: 0, 100)
            guard e.area[0] > 0, e.aspect[0] > 0 else { throw bad("erasing", "area and aspect must be > 0") }
            guard (1...100).contains(e.attempts) else { throw bad("erasing.attempts", "must be in 1…100") }
        }
        if let m = mix {
            guard m.mixupAlpha >= 0, m.cutmixAlpha >= 0, m.mixupAlpha + m.cutmixAlpha > 0 else {
                throw bad("mix", "mixup_alpha and cutmix_alpha must be ≥ 0, one of them > 0")
            }
            guard (0...1).contains(m.probability), (0...1).contains(m.switchProbability) else {
                throw bad("mix", "probabilities must be in [0, 1]")
            }
        }
        guard mean.count == 3, std.count == 3, std.allSatisfy({ $0 > 0 }) else {
            throw bad("mean/std", "three values each, std > 0")
        }
    }
}

/// Failures of the augment module.
public enum AugmentError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A policy document that does not parse or validate.
    case badPolicy(source: String, detail: String)
    /// An image the parameters cannot apply to.
    case badImage(String)

    public var description: String {
        switch self {
        case .badPolicy(let s, let d): return "\(s): invalid augmentation policy: \(d)"
        case .badImage(let m): return m
        }
    }
}
