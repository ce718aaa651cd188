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
    /// Sampled targets' settings, or nil for top-K records (`k` is then the slots per decoded record).
    public var sampling: SampledTargets?

    /// Creates a layout.
    public init(k: Int, numClasses: Int, codec: ValueCodec, runSeed: UInt64, sampling: SampledTargets? = nil) {
        self.k = k
        self.numClasses = numClasses
        self.codec = codec
        self.runSeed = runSeed
        self.sampling = sampling
    }

}

/// Records of one chunk before encoding: entries sorted by class index within each record.
struct PendingChunk {
    var sampleIDs: [UInt32] = []
    var seeds: [UInt64] = []
    /// `count × k` class indices, ascending within each record.
    var indices: [UInt32] = []
    /// `count × k` value codes (half bits or q8 levels), paired with `indices`. Sampled records: one code
    /// per drawn entry, only when the store keeps values (T ≠ 1).
    var codes: [UInt16] = []
    /// Sampled records only: the number of distinct classes of each record (then `indices` holds only
    /// those, record after record) and each entry's count.
    var lengths: [UInt16] = []
    var counts: [UInt16] = []
    /// Sum and max of per-record KL(fp16 dense ‖ stored dense), for lossy codecs.
    var klSum: Double = 0
    var klMax: Double = 0

    var count: Int { sampleIDs.count }

    mutating func removeAll() {
        sampleIDs.removeAll(keepingCapacity: true)
        seeds.removeAll(keepingCapacity: true)
        indices.removeAll(keepingCapacity: true)
        codes.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
        counts.removeAll(keepingCapacity: true)
        klSum = 0
        klMax = 0
    }
}

/// An encoded chunk payload and where its sections start (each section is compressed as its own
/// zstd frame, so every frame sees one kind of statistics).
struct EncodedPayload {
    var bytes: [UInt8]
    var sections: [Int]
}

/// The chunk payload format (decoded bytes), version 1. Integers little-endian.
///
/// ```
/// header   u32 magic "TDC1" · u8 codec · u8 flags (bit 0: explicit seeds) · varint K · varint count
///          · sample ids: varint first id, then varint (id[i] − id[i−1] − 1)   (strictly ascending)
///          · varint length of the gap-bits section
/// seeds    only with flag bit 0: 8 byte planes of count u64 (high byte first)
/// gaps     count × K bucket symbols, one byte each, record-major: each record's classes in
///          ascending order, as gaps idx[0] and idx[j] − idx[j−1] − 1 (``GapCode``)
/// gap bits the gaps' extra bits, packed LSB-first
/// values   the value codes in the same order: fp16 2 planes (high, low), q8 1 plane
/// ```
/// Coding a record's K classes as a sorted set saves log2(K!) bits over coding them in rank order;
/// the values then lose their monotone order, which costs about as much for fp16 and less for q8
/// (measured: see README). Readers hand records out in this class order (a dense target does not
/// care about order; ``RecordColumns/record(at:)`` sorts by probability for people). Each of header, seeds, every gap plane and every value plane is its own
/// zstd frame in the stored blob.
enum ChunkCodec {
    static let magic: UInt32 = 0x3143_4454  // "TDC1"

    /// Encodes `chunk`, which must hold at least one record, sorted by ascending sample id.
    static func encode(_ chunk: PendingChunk, layout: ChunkLayout, epoch: Int) -> EncodedPayload {
        if layout.sampling != nil { return encodeSampled(chunk, layout: layout, epoch: epoch) }
        let n = chunk.count
        precondition(n > 0, "an empty chunk is never written")
        let k = layout.k
        let codeBytes = layout.codec == .fp16 ? 2 : 1
        let explicitSeeds = needsExplicitSeeds(chunk, layout: layout, epoch: epoch)
        var sink = ByteSink(capacity: 16 + n * 3 + (explicitSeeds ? 8 * n : 0) + n * k * (2 + codeBytes))
        writeHeader(chunk, layout: layout, flags: explicitSeeds ? 1 : 0, into: &sink)
        let m = n * k
        // Class gaps as bucket symbols (one byte each) plus their extra bits (a packed bit stream).
        let (symbols, extraBytes) = gapSymbols(chunk.indices, records: n) { _ in k }
        sink.varint(UInt64(extraBytes.count))
        var sections: [Int] = [0]
        if explicitSeeds { writeSeeds(chunk.seeds, into: &sink, sections: &sections) }
        sections.append(sink.bytes.count)
        sink.bytes.append(contentsOf: symbols)
        sections.append(sink.bytes.count)
        sink.bytes.append(contentsOf: extraBytes)
        let valueStart = sink.bytes.count
        sink.zeros(m * codeBytes)
        for b in 0..<codeBytes { sections.append(valueStart + b * m) }
        sink.bytes.withUnsafeMutableBufferPointer { buf in
            let p = buf.baseAddress! + valueStart
            chunk.codes.withUnsafeBufferPointer { codes in
                if codeBytes == 2 {
                    for j in 0..<m {
                        p[j] = UInt8(truncatingIfNeeded: codes[j] >> 8)
                        p[j + m] = UInt8(truncatingIfNeeded: codes[j])
                    }
                } else {
                    for j in 0..<m { p[j] = UInt8(truncatingIfNeeded: codes[j]) }
                }
            }
        }
        return EncodedPayload(bytes: sink.bytes, sections: sections)
    }

    /// Decodes a payload into `out`, checking its structure against `layout` and `expectedCount`.
    /// Each record's entries come out in ascending class order, as stored.
    static func decode(
        _ payload: UnsafeRawBufferPointer, layout: ChunkLayout, epoch: Int, expectedCount: Int,
        into out: inout RecordColumns
    ) throws(StoreError) {
        if layout.sampling != nil {
            try decodeSampled(payload, layout: layout, epoch: epoch, expectedCount: expectedCount, into: &out)
            return
        }
        var src = ByteSource(payload)
        let flags = try readPrefix(&src, layout: layout)
        guard flags & ~1 == 0 else {
            throw StoreError.codec(flags & 2 != 0 ? "chunk holds sampled targets, the store says top-K" : "unknown chunk flags \(flags)")
        }
        let k = try src.varint("K")
        guard k == UInt64(layout.k) else { throw StoreError.codec("chunk K \(k) differs from the store's \(layout.k)") }
        let n64 = try src.varint("count")
        guard n64 == UInt64(expectedCount) else {
            throw StoreError.codec("chunk holds \(n64) records, its row says \(expectedCount)")
        }
        let kk = layout.k
        let codeBytes = layout.codec == .fp16 ? 2 : 1
        // Each record takes at least one byte of sample id and K × (1 + code bytes) of gaps and values:
        // a count the payload cannot hold is rejected before any column is allocated for it.
        let (perRecord, o1) = kk.multipliedReportingOverflow(by: 1 + codeBytes)
        let (needed, o2) = n64.multipliedReportingOverflow(by: UInt64(1 + perRecord))
        guard kk > 0, !o1, !o2, needed <= UInt64(src.remaining) else {
            throw StoreError.codec("chunk claims \(n64) records of K \(kk), more than its \(src.remaining) remaining bytes can hold")
        }
        let n = Int(n64)
        out.epoch = epoch
        out.k = kk
        out.counts.removeAll()
        try readSampleIDs(&src, count: n, into: &out)
        let extraCount = try src.varint("gap bits length")
        try readSeeds(&src, explicit: flags & 1 != 0, layout: layout, into: &out)
        let m = n * kk
        let gapSymbols = try src.slice(m, "class gaps")
        guard extraCount <= UInt64(src.remaining) else { throw StoreError.codec("payload truncated reading gap bits") }
        var bitSource = BitSource(try src.slice(Int(extraCount), "gap bits"))
        let valPlanes = try src.slice(m * codeBytes, "values")
        guard src.remaining == 0 else { throw StoreError.codec("\(src.remaining) unexpected trailing bytes") }
        let numClasses = UInt32(truncatingIfNeeded: layout.numClasses)
        var bad: String?
        var indices = [UInt32](repeating: 0, count: m)
        var values = [Float](repeating: 0, count: m)
        let table = codeBytes == 2 ? ValueCodec.halfTable : ValueCodec.q8Table
        let maxCode = UInt16(table.count - 1)
        table.withUnsafeBufferPointer { table in
            indices.withUnsafeMutableBufferPointer { ip in
                values.withUnsafeMutableBufferPointer { vp in
                    var j = 0
                    for _ in 0..<n {
                        var idx: UInt32 = 0
                        for r in 0..<kk {
                            let symbol = gapSymbols[j]
                            let g: UInt32
                            if symbol < 8 {
                                g = UInt32(symbol)
                            } else if let v = GapCode.join(symbol, &bitSource) {
                                g = v
                            } else {
                                bad = "malformed class gap"
                                return
                            }
                            idx = r == 0 ? g : idx &+ g &+ 1
                            if idx >= numClasses || g >= numClasses {
                                bad = "class index out of range (C = \(numClasses))"
                                return
                            }
                            let code: UInt16 = codeBytes == 2
                                ? (UInt16(valPlanes[j]) << 8) | UInt16(valPlanes[j + m]) : UInt16(valPlanes[j])
                            if code > maxCode {
                                bad = "stored probability outside [0, 1]"
                                return
                            }
                            ip[j] = idx
                            vp[j] = table[Int(code)]
                            j += 1
                        }
                    }
                }
            }
        }
        if let bad { throw StoreError.codec(bad) }
        guard bitSource.exhausted else { throw StoreError.codec("gap bits left over") }
        out.indices = indices
        out.values = values
    }

    // MARK: - Parts both record kinds share

    /// Whether some record's seed differs from the seed scheme's (then all seeds are stored).
    static func needsExplicitSeeds(_ chunk: PendingChunk, layout: ChunkLayout, epoch: Int) -> Bool {
        for i in 0..<chunk.count where chunk.seeds[i] != SeedScheme.derive(runSeed: layout.runSeed, epoch: epoch, sample: Int(chunk.sampleIDs[i])) {
            return true
        }
        return false
    }

    /// Magic, codec, flags, K, count and the sample ids.
    static func writeHeader(_ chunk: PendingChunk, layout: ChunkLayout, flags: UInt8, into sink: inout ByteSink) {
        let n = chunk.count
        sink.u32(magic)
        sink.u8(layout.codec.id)
        sink.u8(flags)
        sink.varint(UInt64(layout.k))
        sink.varint(UInt64(n))
        sink.varint(UInt64(chunk.sampleIDs[0]))
        for i in 1..<n { sink.varint(UInt64(chunk.sampleIDs[i] - chunk.sampleIDs[i - 1] - 1)) }
    }

    /// The seeds as 8 byte planes (high byte first), each its own section.
    static func writeSeeds(_ seeds: [UInt64], into sink: inout ByteSink, sections: inout [Int]) {
        let n = seeds.count
        let start = sink.bytes.count
        sink.zeros(8 * n)
        sink.bytes.withUnsafeMutableBufferPointer { buf in
            seeds.withUnsafeBufferPointer { seeds in
                for b in 0..<8 {
                    sections.append(start + b * n)
                    let shift = UInt64(8 * (7 - b))
                    for i in 0..<n { buf[start + b * n + i] = UInt8(truncatingIfNeeded: seeds[i] >> shift) }
                }
            }
        }
    }

    /// Checks the magic and the codec; returns the flags byte.
    static func readPrefix(_ src: inout ByteSource, layout: ChunkLayout) throws(StoreError) -> UInt8 {
        guard try src.u32("magic") == magic else { throw StoreError.codec("bad chunk magic") }
        let codecID = try src.u8("codec")
        guard codecID == layout.codec.id else {
            throw StoreError.codec("chunk codec \(codecID) differs from the store's \(layout.codec.rawValue)")
        }
        return try src.u8("flags")
    }

    /// `count` strictly ascending sample ids (first id, then gaps minus one).
    static func readSampleIDs(_ src: inout ByteSource, count n: Int, into out: inout RecordColumns) throws(StoreError) {
        out.sampleIDs.removeAll(keepingCapacity: true)
        out.sampleIDs.reserveCapacity(n)
        guard n > 0 else { return }
        var s = try src.varint("sample ids")
        guard s <= UInt64(UInt32.max) else { throw StoreError.codec("sample id out of range") }
        out.sampleIDs.append(UInt32(s))
        for _ in 1..<n {
            let gap = try src.varint("sample ids")
            guard gap < UInt64(UInt32.max) else { throw StoreError.codec("sample id out of range") }
            s = s + 1 + gap
            guard s <= UInt64(UInt32.max) else { throw StoreError.codec("sample id out of range") }
            out.sampleIDs.append(UInt32(s))
        }
    }

    /// The stored seed planes, or the seed scheme's seeds of `out.sampleIDs`.
    static func readSeeds(_ src: inout ByteSource, explicit: Bool, layout: ChunkLayout, into out: inout RecordColumns) throws(StoreError) {
        let n = out.sampleIDs.count
        out.seeds.removeAll(keepingCapacity: true)
        if explicit {
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
            out.seeds.reserveCapacity(n)
            for i in 0..<n {
                out.seeds.append(SeedScheme.derive(runSeed: layout.runSeed, epoch: out.epoch, sample: Int(out.sampleIDs[i])))
            }
        }
    }
}
