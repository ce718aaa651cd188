/// The 64-bit xxHash (XXH64) of a byte buffer, written from the published algorithm description.
///
/// Chunks carry the XXH64 of their decoded bytes; the record digest combines per-record XXH64 values.
public enum XXH64 {
    private static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let p3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let p4: UInt64 = 0x85EB_CA77_C2B2_AE63
    private static let p5: UInt64 = 0x27D4_EB2F_1656_67C5

    @inline(__always) private static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 &- r)) }

    @inline(__always) private static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        rotl(acc &+ input &* p2, 31) &* p1
    }

    @inline(__always) private static func merge(_ acc: UInt64, _ val: UInt64) -> UInt64 {
        (acc ^ round(0, val)) &* p1 &+ p4
    }

    /// Hashes `bytes` with `seed`.
    public static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        let n = bytes.count
        guard let base = bytes.baseAddress else { return finish(seed &+ p5, base: nil, rest: 0, total: 0) }
        var offset = 0
        var h: UInt64
        if n >= 32 {
            var v1 = seed &+ p1 &+ p2
            var v2 = seed &+ p2
            var v3 = seed
            var v4 = seed &- p1
            while offset + 32 <= n {
                v1 = round(v1, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                v2 = round(v2, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)))
                v3 = round(v3, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)))
                v4 = round(v4, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self)))
                offset += 32
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
            h = merge(h, v1)
            h = merge(h, v2)
            h = merge(h, v3)
            h = merge(h, v4)
        } else {
            h = seed &+ p5
        }
        return finish(h, base: base + offset, rest: n - offset, total: n)
    }

    /// Hashes the bytes of `array` with `seed`.
    public static func hash(_ bytes: [UInt8], seed: UInt64 = 0) -> UInt64 {
        bytes.withUnsafeBytes { hash($0, seed: seed) }
    }

    /// `value` as 16 lowercase hex digits (how digests and fingerprints are written).
    public static func hex(_ value: UInt64) -> String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// Incremental XXH64: the same value as ``hash(_:seed:)-(UnsafeRawBufferPointer,UInt64)`` of the
    /// concatenated input, in constant memory.
    public struct Streaming: Sendable {
        private let seed: UInt64
        private var v1: UInt64, v2: UInt64, v3: UInt64, v4: UInt64
        private var total = 0
        private var buffer: [UInt8] = []

        /// A hasher with `seed`.
        public init(seed: UInt64 = 0) {
            self.seed = seed
            v1 = seed &+ XXH64.p1 &+ XXH64.p2
            v2 = seed &+ XXH64.p2
            v3 = seed
            v4 = seed &- XXH64.p1
        }

        private mutating func stripe(_ p: UnsafeRawPointer) {
            v1 = XXH64.round(v1, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 0, as: UInt64.self)))
            v2 = XXH64.round(v2, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
            v3 = XXH64.round(v3, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
            v4 = XXH64.round(v4, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
        }

        /// Adds `bytes`.
        public mutating func update(_ bytes: UnsafeRawBufferPointer) {
            guard let base = bytes.baseAddress, bytes.count > 0 else { return }
            total += bytes.count
            var offset = 0
            if !buffer.isEmpty {
                let take = min(32 - buffer.count, bytes.count)
                buffer.append(contentsOf: UnsafeRawBufferPointer(start: base, count: take))
                offset = take
                if buffer.count < 32 { return }
                buffer.withUnsafeBytes { stripe($0.baseAddress!) }
                buffer.removeAll(keepingCapacity: true)
            }
            while offset + 32 <= bytes.count {
                stripe(base + offset)
                offset += 32
            }
            if offset < bytes.count { buffer.append(contentsOf: UnsafeRawBufferPointer(start: base + offset, count: bytes.count - offset)) }
        }

        /// Adds the bytes of `array`.
        public mutating func update(_ array: [UInt8]) { array.withUnsafeBytes { update($0) } }

        /// The hash of everything added.
        public func finalize() -> UInt64 {
            var h: UInt64
            if total >= 32 {
                h = XXH64.rotl(v1, 1) &+ XXH64.rotl(v2, 7) &+ XXH64.rotl(v3, 12) &+ XXH64.rotl(v4, 18)
                h = XXH64.merge(h, v1)
                h = XXH64.merge(h, v2)
                h = XXH64.merge(h, v3)
                h = XXH64.merge(h, v4)
            } else {
                h = seed &+ XXH64.p5
            }
            return buffer.withUnsafeBytes { XXH64.finish(h, base: $0.baseAddress, rest: buffer.count, total: total) }
        }
    }

    private static func finish(_ acc: UInt64, base: UnsafeRawPointer?, rest: Int, total: Int) -> UInt64 {
        var h = acc &+ UInt64(total)
        var i = 0
        if let p = base {
            while i + 8 <= rest {
                let k = round(0, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                h = rotl(h ^ k, 27) &* p1 &+ p4
                i += 8
            }
            if i + 4 <= rest {
                let k = UInt64(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt32.self)))
                h = rotl(h ^ (k &* p1), 23) &* p2 &+ p3
                i += 4
            }
            while i < rest {
                let k = UInt64(p.load(fromByteOffset: i, as: UInt8.self))
                h = rotl(h ^ (k &* p5), 11) &* p1
                i += 1
            }
        }
        h ^= h >> 33
        h = h &* p2
        h ^= h >> 29
        h = h &* p3
        h ^= h >> 32
        return h
    }
}
