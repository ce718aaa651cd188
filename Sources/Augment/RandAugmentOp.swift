/// timm's RandAugment operations, the "increasing" set (`inc1`): for every op a larger magnitude
/// means a stronger change.
public enum RandAugmentOp: String, Codable, Sendable, CaseIterable {
    case autoContrast = "AutoContrast"
    case equalize = "Equalize"
    case invert = "Invert"
    case rotate = "Rotate"
    case posterizeIncreasing = "PosterizeIncreasing"
    case solarizeIncreasing = "SolarizeIncreasing"
    case solarizeAdd = "SolarizeAdd"
    case colorIncreasing = "ColorIncreasing"
    case contrastIncreasing = "ContrastIncreasing"
    case brightnessIncreasing = "BrightnessIncreasing"
    case sharpnessIncreasing = "SharpnessIncreasing"
    case shearX = "ShearX"
    case shearY = "ShearY"
    case translateXRel = "TranslateXRel"
    case translateYRel = "TranslateYRel"

    /// Whether the op's argument takes a random sign (timm's `_randomly_negate`, p 0.5).
    public var signed: Bool {
        switch self {
        case .rotate, .shearX, .shearY, .translateXRel, .translateYRel,
             .colorIncreasing, .contrastIncreasing, .brightnessIncreasing, .sharpnessIncreasing:
            return true
        default:
            return false
        }
    }

    /// Whether the op uses its magnitude at all.
    public var usesMagnitude: Bool { !(self == .autoContrast || self == .equalize || self == .invert) }

    /// The op's argument for magnitude `m` (0…10) and sign, as timm maps levels:
    /// rotate ±30·m/10 degrees; shear ±0.3·m/10; translate ±0.45·m/10 of the image size;
    /// colour/contrast/brightness/sharpness factor 1 ± 0.9·m/10; posterize keeps 4 − ⌊0.4·m⌋ bits;
    /// solarize threshold 256 − ⌊25.6·m⌋; solarize-add adds ⌊11·m⌋ below 128.
    public func argument(magnitude m: Double, negative: Bool) -> Double {
        let level = m / 10
        let sign = negative ? -1.0 : 1.0
        switch self {
        case .autoContrast, .equalize, .invert: return 0
        case .rotate: return sign * level * 30
        case .shearX, .shearY: return sign * level * 0.3
        case .translateXRel, .translateYRel: return sign * level * 0.45
        case .colorIncreasing, .contrastIncreasing, .brightnessIncreasing, .sharpnessIncreasing:
            return 1 + sign * level * 0.9
        case .posterizeIncreasing: return Double(4 - Int(level * 4))
        case .solarizeIncreasing: return Double(256 - Int(level * 256))
        case .solarizeAdd: return Double(Int(level * 110))
        }
    }
}
