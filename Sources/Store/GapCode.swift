/// Splits a class-index gap into a bucket symbol (zstd's Huffman stage codes these near their
/// entropy) and extra bits stored verbatim, the way zstd itself codes match offsets.
///
/// Gaps below 8 are their own symbol. A larger gap with its highest set bit at position e (3…23)
/// keeps that bit's next two bits in the symbol, `8 + 4(e − 3) + those two bits`, and the e − 2
/// bits below them as extra bits. Symbols fit a byte (at most 91 for gaps below 2²⁴). (Three kept
/// bits were tried: no gain, the larger Huffman tables eat it.)
enum GapCode {
    @inline(__always) static func split(_ g: UInt32) -> (UInt8, UInt32, Int) {
        if g < 8 { return (UInt8(g), 0, 0) }
        let e = 31 - g.leadingZeroBitCount
        let top = (g >> UInt32(e - 2)) & 3
        let extraCount = e - 2
        return (UInt8(8 + 4 * (e - 3) + Int(top)), g & ((1 << UInt32(extraCount)) - 1), extraCount)
    }

    @inline(__always) static func join(_ symbol: UInt8, _ bits: inout BitSource) -> UInt32? {
        if symbol < 8 { return UInt32(symbol) }
        let s = Int(symbol) - 8
        let e = s / 4 + 3
        guard e <= 23 else { return nil }
        let top = UInt32(s % 4)
        let extraCount = e - 2
        guard let extra = bits.read(extraCount) else { return nil }
        return (1 << UInt32(e)) | (top << UInt32(extraCount)) | extra
    }
}

/// Packs bit fields LSB-first into bytes.
struct BitSink {
    private(set) var bytes: [UInt8] = []
    private var acc: UInt64 = 0
    private var filled = 0

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    @inline(__always) mutating func write(_ value: UInt32, count: Int) {
        acc |= UInt64(value) << UInt64(filled)
        filled += count
        while filled >= 8 {
            bytes.append(UInt8(truncatingIfNeeded: acc))
            acc >>= 8
            filled -= 8
        }
    }

    mutating func finish() -> [UInt8] {
        if filled > 0 { bytes.append(UInt8(truncatingIfNeeded: acc)) }
        acc = 0
        filled = 0
        return bytes
    }
}

/// Reads bit fields written by ``BitSink``; a read past the end returns nil.
struct BitSource {
    private let base: UnsafeRawBufferPointer
    private var offset = 0
    private var acc: UInt64 = 0
    private var available = 0

    init(_ base: UnsafeRawBufferPointer) { self.base = base }

    @inline(__always) mutating func read(_ count: Int) -> UInt32? {
        if available < count && offset + 8 <= base.count {
            // Refill whole bytes from one unaligned 64-bit load.
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            let take = (63 - available) >> 3
            acc |= (word & ((1 << UInt64(take * 8)) - 1)) << UInt64(available)
            offset += take
            available += take * 8
        }
        while available < count {
            guard offset < base.count else { return nil }
            acc |= UInt64(base[offset]) << UInt64(available)
            offset += 1
            available += 8
        }
        let v = UInt32(truncatingIfNeeded: acc & ((1 << UInt64(count)) - 1))
        acc >>= UInt64(count)
        available -= count
        return v
    }

    /// Whether every byte was consumed (the padding bits of the last byte aside) and they are zero.
    var exhausted: Bool { offset == base.count && acc == 0 }
}
