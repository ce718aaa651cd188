/// An append-only little-endian byte sink used by the chunk encoder.
struct ByteSink {
    var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }

    /// Appends `n` zero bytes (memset speed, unlike appending a repeated element).
    mutating func zeros(_ n: Int) { bytes.appendZeros(n) }

    mutating func u32(_ v: UInt32) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// LEB128 unsigned varint.
    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }
}

/// A bounds-checked little-endian reader over decoded chunk bytes; every read past the end throws.
struct ByteSource {
    let base: UnsafeRawBufferPointer
    var offset = 0

    init(_ base: UnsafeRawBufferPointer) { self.base = base }

    var remaining: Int { base.count - offset }

    mutating func need(_ n: Int, _ what: String) throws(StoreError) {
        if n < 0 || n > remaining {
            throw StoreError.codec("payload truncated reading \(what) (need \(n) bytes, \(remaining) left)")
        }
    }

    mutating func u8(_ what: String) throws(StoreError) -> UInt8 {
        try need(1, what)
        defer { offset += 1 }
        return base[offset]
    }

    mutating func u32(_ what: String) throws(StoreError) -> UInt32 {
        try need(4, what)
        defer { offset += 4 }
        return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    mutating func varint(_ what: String) throws(StoreError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try u8(what)
            if shift == 63 && b > 1 { throw StoreError.codec("varint overflow in \(what)") }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 { throw StoreError.codec("varint overflow in \(what)") }
        }
    }

    /// Returns a view of the next `n` bytes and advances past them.
    mutating func slice(_ n: Int, _ what: String) throws(StoreError) -> UnsafeRawBufferPointer {
        try need(n, what)
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: base[offset..<(offset + n)])
    }
}

extension Array where Element == UInt8 {
    /// Appends `n` zero bytes at memset speed.
    mutating func appendZeros(_ n: Int) {
        guard n > 0 else { return }
        self += [UInt8](repeating: 0, count: n)
    }

    /// Makes the array hold at least `n` bytes (contents unspecified), reusing its storage.
    mutating func ensureCount(_ n: Int) {
        if count < n { self = [UInt8](repeating: 0, count: Swift.max(n, count * 2)) }
    }
}
