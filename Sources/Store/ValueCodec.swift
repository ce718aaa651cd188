import Foundation

/// How a store keeps the K probabilities of a record. Fixed per store.
public enum ValueCodec: String, Codable, Sendable, CaseIterable {
    /// Lossless: the exact IEEE half-precision bits of each probability, as the TinyViT reference stores them.
    case fp16
    /// Lossy, 8 bits before compression: `level = round(255·√p)`. Square-root steps spread the KL error
    /// evenly over the K entries (a step of Δ in √p costs about 2Δ² nats whatever p is), so tails
    /// lose no more than heads. Fidelity is measured at write time as KL(fp16 dense ‖ q8 dense).
    case q8

    /// The byte stored in chunk payloads.
    var id: UInt8 {
        switch self {
        case .fp16: return 1
        case .q8: return 2
        }
    }

    init?(id: UInt8) {
        switch id {
        case 1: self = .fp16
        case 2: self = .q8
        default: return nil
        }
    }

    /// The code (half bits or q8 level) for a probability. Codes are monotone in `p`.
    @inline(__always) func code(_ p: Float) -> UInt16 {
        switch self {
        case .fp16:
            return HalfConversion.bits(p)
        case .q8:
            let level = (p.squareRoot() * 255).rounded(.toNearestOrEven)
            return UInt16(min(max(level, 0), 255))
        }
    }

    /// The probability a code decodes to.
    @inline(__always) func value(_ code: UInt16) -> Float {
        switch self {
        case .fp16:
            return code <= 0x3C00 ? ValueCodec.halfTable[Int(code)] : Float(Float16(bitPattern: code))
        case .q8:
            return ValueCodec.q8Table[Int(code & 0xFF)]
        }
    }

    /// Decoded fp16 values for every half bit pattern in [0, 1] (0x0000…0x3C00): a table lookup is
    /// several times faster than the software conversion baseline x86-64 code calls.
    static let halfTable: [Float] = (0...0x3C00).map { Float(Float16(bitPattern: UInt16($0))) }

    /// Decoded q8 values: (level/255)² with level 0 mapped to the middle of its bin in p, (0.5/255)²/2.
    static let q8Table: [Float] = (0..<256).map { level in
        if level == 0 { return Float((0.5 / 255.0) * (0.5 / 255.0) / 2) }
        let s = Double(level) / 255.0
        return Float(s * s)
    }
}
