internal import CTorchBridge

/// Element types of tensors in safetensors files and across the libtorch bridge.
public enum TensorDType: String, Sendable, CaseIterable {
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case f64 = "F64"
    case i64 = "I64"
    case i32 = "I32"
    case u8 = "U8"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f32, .i32: return 4
        case .f16, .bf16: return 2
        case .f64, .i64: return 8
        case .u8: return 1
        }
    }

    /// The bridge's TD_* code.
    var bridgeCode: Int32 {
        switch self {
        case .f32: return Int32(TD_F32)
        case .f16: return Int32(TD_F16)
        case .bf16: return Int32(TD_BF16)
        case .f64: return Int32(TD_F64)
        case .i64: return Int32(TD_I64)
        case .i32: return Int32(TD_I32)
        case .u8: return Int32(TD_U8)
        }
    }

    /// The dtype of a TD_* code, if known.
    init?(bridgeCode: Int32) {
        guard let match = TensorDType.allCases.first(where: { $0.bridgeCode == bridgeCode }) else { return nil }
        self = match
    }

    /// Whether the type holds floating-point values.
    public var isFloatingPoint: Bool {
        switch self {
        case .f32, .f16, .bf16, .f64: return true
        case .i64, .i32, .u8: return false
        }
    }
}
