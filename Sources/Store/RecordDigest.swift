import DetCore
/// A digest of a set of records that does not depend on chunking, shard layout or write order.
///
/// Each record is hashed on its own (epoch, sample id, seed, then K pairs of class index and the
/// float32 bits of its decoded probability, in ascending class order) with XXH64 under two seeds; the
/// digest is the pair of wrapping sums of those hashes, with the record count. Sums commute, so two
/// stores holding the same records show the same digest however their records are laid out, and
/// shards combine by ``combine(_:)``.
public struct RecordDigest: Sendable, Equatable, Hashable {
    /// Records folded in.
    public private(set) var count: Int = 0
    private var a: UInt64 = 0
    private var b: UInt64 = 0
    private var buffer: [UInt8] = []

    /// An empty digest.
    public init() {}

    /// Folds in every record of `columns`.
    public mutating func add(_ columns: RecordColumns) {
        let k = columns.k
        let size = 16 + 8 * k
        if buffer.count != size { buffer = [UInt8](repeating: 0, count: size) }
        buffer.withUnsafeMutableBytes { buf in
            let p = buf.baseAddress!
            for i in 0..<columns.count {
                p.storeBytes(of: UInt32(truncatingIfNeeded: columns.epoch).littleEndian, toByteOffset: 0, as: UInt32.self)
                p.storeBytes(of: columns.sampleIDs[i].littleEndian, toByteOffset: 4, as: UInt32.self)
                p.storeBytes(of: columns.seeds[i].littleEndian, toByteOffset: 8, as: UInt64.self)
                var o = 16
                for j in (i * k)..<((i + 1) * k) {
                    p.storeBytes(of: columns.indices[j].littleEndian, toByteOffset: o, as: UInt32.self)
                    p.storeBytes(of: columns.values[j].bitPattern.littleEndian, toByteOffset: o + 4, as: UInt32.self)
                    o += 8
                }
                let raw = UnsafeRawBufferPointer(buf)
                a = a &+ XXH64.hash(raw, seed: 0x7D15)
                b = b &+ XXH64.hash(raw, seed: 0x7D16)
            }
        }
        count += columns.count
    }

    /// Folds in another digest (e.g. another shard's).
    public mutating func combine(_ other: RecordDigest) {
        a = a &+ other.a
        b = b &+ other.b
        count += other.count
    }

    /// The digest as 32 hex digits.
    public var hex: String { XXH64.hex(a) + XXH64.hex(b) }

    public static func == (l: RecordDigest, r: RecordDigest) -> Bool { l.count == r.count && l.a == r.a && l.b == r.b }
    public func hash(into h: inout Hasher) {
        h.combine(count)
        h.combine(a)
        h.combine(b)
    }
}
