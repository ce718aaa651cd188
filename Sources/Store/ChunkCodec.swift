/// The fixed parameters every chunk of a store shares.
public struct ChunkLayout: Sendable, Equatable {
    /// Entries per record.
    public var k: Int
    /// Number of classes; indices are below it.
    public var numClasses: Int
    /// How values are stored.
    public var codec: ValueCodec
    /// The run seed, from which derived seeds are recomputed.
    public var runSeed: UInt64

    /// Creates a layout.
    public init(k: Int, numClasses: Int, codec: ValueCodec, runSeed: UInt64) {
        self.k = k
        self.numClasses = numClasses
        self.codec = codec
        self.runSeed = runSeed
    }

    /// Bytes per class index in the payload.
    var indexWidth: Int { numClasses <= 1 << 8 ? 1 : numClasses <= 1 << 16 ? 2 : numClasses <= 1 << 24 ? 3 : 4 }
}

/// Records of one chunk before encoding: canonical per record, in append order.
struct PendingChunk {
    var sampleIDs: [UInt32] = []
    var seeds: [UInt64] = []
    /// `count × k` class indices, canonical order per record.
    var indices: [UInt32] = []
    /// `count × k` value codes (half bits or q8 levels), canonical order per record.
    var codes: [UInt16] = []
    /// Sum and max of per-record KL(fp16 dense ‖ stored dense), for lossy codecs.
    var klSum: Double = 0
    var klMax: Double = 0

    var count: Int { sampleIDs.count }

    mutating func removeAll() {
        sampleIDs.removeAll(keepingCapacity: true)
        seeds.removeAll(keepingCapacity: true)
        indices.removeAll(keepingCapacity: true)
        codes.removeAll(keepingCapacity: true)
        klSum = 0
        klMax = 0
    }
}

/// The chunk payload format (before zstd), version 1. All integers little-endian.
///
/// ```
/// u32 magic "TDC1" · u8 codec · u8 flags (bit 0: explicit seeds) · varint K · varint count
/// sample ids    varint first id, then varint (id[i] − id[i−1] − 1)   (strictly ascending)
/// seeds         only if flag bit 0: 8 byte planes of count u64
/// indices       rank-major (all records' rank 0, then rank 1, …), W byte planes (W = 1…4 by C), high plane first
/// values        rank-major codes: rank 0 as is, rank r as code[r−1] − code[r] (≥ 0: canonical order);
///               fp16: 2 byte planes (high first); q8: 1 plane
/// ```
/// Rank-major layout groups entries of similar magnitude; deltas of monotone codes are small;
/// byte planes separate the predictable high bytes from the noisy low ones. zstd does the rest.
enum ChunkCodec {
    static let magic: UInt32 = 0x3143_4454  // "TDC1"

    /// Encodes `chunk`, whose records must be sorted by ascending sample id.
    static func encode(_ chunk: PendingChunk, layout: ChunkLayout, epoch: Int) -> [UInt8] {
        let n = chunk.count
        let k = layout.k
        let w = layout.indexWidth
        let codeBytes = layout.codec == .fp16 ? 2 : 1
        var explicitSeeds = false
        for i in 0..<n where chunk.seeds[i] != SeedScheme.derive(runSeed: layout.runSeed, epoch: epoch, sample: Int(chunk.sampleIDs[i])) {
            explicitSeeds = true
            break
        }
        var sink = ByteSink(capacity: 16 + n * 3 + (explicitSeeds ? 8 * n : 0) + n * k * (w + codeBytes))
        sink.u32(magic)
        sink.u8(layout.codec.id)
        sink.u8(explicitSeeds ? 1 : 0)
        sink.varint(UInt64(k))
        sink.varint(UInt64(n))
        if n > 0 {
            sink.varint(UInt64(chunk.sampleIDs[0]))
            for i in 1..<n { sink.varint(UInt64(chunk.sampleIDs[i] - chunk.sampleIDs[i - 1] - 1)) }
        }
        let start = sink.bytes.count
        let planeBytes = (explicitSeeds ? 8 * n : 0) + n * k * (w + codeBytes)
        sink.bytes.append(contentsOf: repeatElement(0, count: planeBytes))
        sink.bytes.withUnsafeMutableBufferPointer { buf in
            var p = buf.baseAddress! + start
            if explicitSeeds {
                chunk.seeds.withUnsafeBufferPointer { seeds in
                    for b in 0..<8 {
                        let shift = UInt64(8 * (7 - b))
                        for i in 0..<n { p[i] = UInt8(truncatingIfNeeded: seeds[i] >> shift) }
                        p += n
                    }
                }
            }
            let m = n * k
            chunk.indices.withUnsafeBufferPointer { idx in
                for b in 0..<w {
                    let shift = UInt32(8 * (w - 1 - b))
                    var o = 0
                    for r in 0..<k {
                        var j = r
                        for _ in 0..<n {
                            p[o] = UInt8(truncatingIfNeeded: idx[j] >> shift)
                            o += 1
                            j += k
                        }
                    }
                    p += m
                }
            }
            chunk.codes.withUnsafeBufferPointer { codes in
                var o = 0
                for r in 0..<k {
                    var j = r
                    for _ in 0..<n {
                        let c = codes[j]
                        let d = r == 0 ? c : codes[j - 1] &- c
                        if codeBytes == 2 {
                            p[o] = UInt8(truncatingIfNeeded: d >> 8)
                            p[o + m] = UInt8(truncatingIfNeeded: d)
                        } else {
                            p[o] = UInt8(truncatingIfNeeded: d)
                        }
                        o += 1
                        j += k
                    }
                }
            }
        }
        return sink.bytes
    }

    /// Decodes a payload into `out`, checking its structure against `layout` and `expectedCount`.
    static func decode(
        _ payload: UnsafeRawBufferPointer, layout: ChunkLayout, epoch: Int, expectedCount: Int,
        into out: inout RecordColumns
    ) throws(StoreError) {
        var src = ByteSource(payload)
        guard try src.u32("magic") == magic else { throw StoreError.codec("bad chunk magic") }
        let codecID = try src.u8("codec")
        guard codecID == layout.codec.id else {
            throw StoreError.codec("chunk codec \(codecID) differs from the store's \(layout.codec.rawValue)")
        }
        let flags = try src.u8("flags")
        guard flags & ~1 == 0 else { throw StoreError.codec("unknown chunk flags \(flags)") }
        let k = try src.varint("K")
        guard k == UInt64(layout.k) else { throw StoreError.codec("chunk K \(k) differs from the store's \(layout.k)") }
        let n64 = try src.varint("count")
        guard n64 == UInt64(expectedCount) else {
            throw StoreError.codec("chunk holds \(n64) records, its row says \(expectedCount)")
        }
        let n = Int(n64)
        let kk = layout.k
        out.epoch = epoch
        out.k = kk
        out.sampleIDs.removeAll(keepingCapacity: true)
        out.seeds.removeAll(keepingCapacity: true)
        out.sampleIDs.reserveCapacity(n)
        if n > 0 {
            var s = try src.varint("sample ids")
            guard s <= UInt64(UInt32.max) else { throw StoreError.codec("sample id out of range") }
            out.sampleIDs.append(UInt32(s))
            for _ in 1..<n {
                s = s + 1 + (try src.varint("sample ids"))
                guard s <= UInt64(UInt32.max) else { throw StoreError.codec("sample id out of range") }
                out.sampleIDs.append(UInt32(s))
            }
        }
        if flags & 1 != 0 {
            let planes = try src.slice(8 * n, "seeds")
            out.seeds = [UInt64](unsafeUninitializedCapacity: n) { buf, count in
                for i in 0..<n {
                    var v: UInt64 = 0
                    for b in 0..<8 { v = (v << 8) | UInt64(planes[b * n + i]) }
                    buf[i] = v
                }
                count = n
            }
        } else {
            for i in 0..<n {
                out.seeds.append(SeedScheme.derive(runSeed: layout.runSeed, epoch: epoch, sample: Int(out.sampleIDs[i])))
            }
        }
        let m = n * kk
        let w = layout.indexWidth
        let idxPlanes = try src.slice(m * w, "indices")
        let numClasses = UInt32(truncatingIfNeeded: layout.numClasses)
        var bad = false
        out.indices = [UInt32](unsafeUninitializedCapacity: m) { buf, count in
            var o = 0
            for r in 0..<kk {
                var j = r
                for _ in 0..<n {
                    var v: UInt32 = 0
                    for b in 0..<w { v = (v << 8) | UInt32(idxPlanes[b * m + o]) }
                    if v >= numClasses { bad = true }
                    buf[j] = v
                    o += 1
                    j += kk
                }
            }
            count = m
        }
        if bad { throw StoreError.codec("class index out of range (C = \(layout.numClasses))") }
        let codec = layout.codec
        let codeBytes = codec == .fp16 ? 2 : 1
        let valPlanes = try src.slice(m * codeBytes, "values")
        guard src.remaining == 0 else { throw StoreError.codec("\(src.remaining) unexpected trailing bytes") }
        var codes = [UInt16](unsafeUninitializedCapacity: m) { buf, count in
            var o = 0
            for r in 0..<kk {
                var j = r
                for _ in 0..<n {
                    let d: UInt16 = codeBytes == 2
                        ? (UInt16(valPlanes[o]) << 8) | UInt16(valPlanes[o + m]) : UInt16(valPlanes[o])
                    if r == 0 {
                        buf[j] = d
                    } else {
                        let prev = buf[j - 1]
                        if d > prev { bad = true }
                        buf[j] = prev &- d
                    }
                    o += 1
                    j += kk
                }
            }
            count = m
        }
        if bad { throw StoreError.codec("value deltas break the canonical order") }
        if codec == .fp16 {
            for i in 0..<m where codes[i] & 0x8000 != 0 || codes[i] > 0x3C00 {
                throw StoreError.codec("stored probability outside [0, 1]")
            }
        }
        out.values = [Float](unsafeUninitializedCapacity: m) { buf, count in
            if codec == .fp16 {
                for i in 0..<m { buf[i] = Float(Float16(bitPattern: codes[i])) }
            } else {
                ValueCodec.q8Table.withUnsafeBufferPointer { table in
                    for i in 0..<m { buf[i] = table[Int(codes[i] & 0xFF)] }
                }
            }
            count = m
        }
        codes.removeAll()
    }
}
