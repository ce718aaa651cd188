/// A tensor with its name, as stored in a safetensors file or a model's state dict: row-major bytes we own.
public struct NamedTensor: Sendable, Equatable {
    /// The state-dict name (reference naming, e.g. `layers.1.blocks.0.attn.qkv.weight`).
    public var name: String
    /// Element type.
    public var dtype: TensorDType
    /// Dimensions, outermost first (empty for a scalar).
    public var shape: [Int]
    /// Little-endian, row-major element bytes (`shape.product * dtype.byteSize` of them).
    public var bytes: [UInt8]

    /// A tensor from its parts; `bytes.count` must match the shape and dtype.
    public init(name: String, dtype: TensorDType, shape: [Int], bytes: [UInt8]) {
        precondition(bytes.count == shape.reduce(1, *) * dtype.byteSize, "tensor '\(name)': byte count does not match its shape")
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// A float32 tensor.
    public init(name: String, shape: [Int], floats: [Float]) {
        let bytes = floats.withUnsafeBytes { Array($0) }
        self.init(name: name, dtype: .f32, shape: shape, bytes: bytes)
    }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// The values as Float (converting from F16/BF16/F64/integers); nil for an unsupported dtype.
    public var floats: [Float] {
        var out = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            for i in 0..<out.count {
                switch dtype {
                case .f32: out[i] = Float(bitPattern: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self).littleEndian)
                case .f16:
                    out[i] = Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self).littleEndian))
                case .bf16:
                    let bits = UInt32(raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self).littleEndian) << 16
                    out[i] = Float(bitPattern: bits)
                case .f64:
                    out[i] = Float(Double(bitPattern: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self).littleEndian))
                case .i64: out[i] = Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)))
                case .i32: out[i] = Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)))
                case .u8: out[i] = Float(raw[i])
                }
            }
        }
        return out
    }
}
