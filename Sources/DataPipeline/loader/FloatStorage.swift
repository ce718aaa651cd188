/// Float32 storage allocated once, zero-filled, and shared by reference: the loader hands a batch's
/// images out in one of these and renders a later batch into the same storage once every holder of the
/// first has let it go, so a stream does not map and zero fresh pages for every batch.
public final class FloatStorage: @unchecked Sendable {
    /// The floats. Valid while this object lives; written only by the loader before it hands the
    /// storage out.
    public let buffer: UnsafeMutableBufferPointer<Float>

    /// `count` floats, all 0.
    public init(count: Int) {
        buffer = .allocate(capacity: max(0, count))
        buffer.initialize(repeating: 0)
    }

    deinit { buffer.deallocate() }

    /// Floats held.
    public var count: Int { buffer.count }
}
