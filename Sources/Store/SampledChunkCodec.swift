/// The chunk payload of sampled targets (flag bit 1), beside the top-K format of ``ChunkCodec``:
///
/// ```
/// header   u32 magic "TDC1" · u8 codec · u8 flags (bit 0: explicit seeds, bit 1: sampled) · varint slots
///          min(N, C) · varint count · sample ids (as top-K) · varint M (entries in all) · varint length of
///          the gap-bits section
/// seeds    only with flag bit 0: 8 byte planes of count u64 (high byte first)
/// lengths  count entries − 1: one plane (slots ≤ 256) or two (high, low)
/// gaps     M bucket symbols: each record's drawn classes in ascending order, as gaps (``GapCode``)
/// gap bits the gaps' extra bits, packed LSB-first
/// counts   M draw counts − 1: one plane (N ≤ 256) or two (high, low)
/// values   only at T ≠ 1: the M importance weights' codes, fp16 2 planes (high, low), q8 1 plane
/// ```
/// A record's counts sum to N. Decoding pads each record to `slots` entries: its drawn classes and then
/// the lowest classes it did not draw, at value 0 and count 0, merged in ascending class order, so every
/// reader sees K = slots entries per record as in a top-K store.
extension ChunkCodec {
    /// Encodes a chunk of sampled records (``PendingChunk/lengths`` and ``PendingChunk/counts`` set).
    static func encodeSampled(_ chunk: PendingChunk, layout: ChunkLayout, epoch: Int) -> EncodedPayload {
        let n = chunk.count
        precondition(n > 0, "an empty chunk is never written")
        let sampling = layout.sampling!
        let m = chunk.indices.count
        let lengthBytes = layout.k <= 256 ? 1 : 2
        let countBytes = sampling.draws <= 256 ? 1 : 2
        let codeBytes = sampling.storesValues ? (layout.codec == .fp16 ? 2 : 1) : 0
        let explicitSeeds = needsExplicitSeeds(chunk, layout: layout, epoch: epoch)
        var sink = ByteSink(capacity: 24 + n * (3 + lengthBytes) + (explicitSeeds ? 8 * n : 0) + m * (2 + countBytes + codeBytes))
        writeHeader(chunk, layout: layout, flags: (explicitSeeds ? 1 : 0) | 2, into: &sink)
        sink.varint(UInt64(m))
        let (symbols, extraBytes) = gapSymbols(chunk.indices, records: n) { Int(chunk.lengths[$0]) }
        sink.varint(UInt64(extraBytes.count))
        var sections: [Int] = [0]
        if explicitSeeds { writeSeeds(chunk.seeds, into: &sink, sections: &sections) }
        writePlanes(chunk.lengths, bytes: lengthBytes, minus: 1, into: &sink, sections: &sections)
        sections.append(sink.bytes.count)
        sink.bytes.append(contentsOf: symbols)
        sections.append(sink.bytes.count)
        sink.bytes.append(contentsOf: extraBytes)
        writePlanes(chunk.counts, bytes: countBytes, minus: 1, into: &sink, sections: &sections)
        if codeBytes > 0 { writePlanes(chunk.codes, bytes: codeBytes, minus: 0, into: &sink, sections: &sections) }
        return EncodedPayload(bytes: sink.bytes, sections: sections)
    }

    /// `values − minus` as one byte plane or two (high, low), each its own section.
    private static func writePlanes(_ values: [UInt16], bytes: Int, minus: UInt16, into sink: inout ByteSink, sections: inout [Int]) {
        let m = values.count
        let start = sink.bytes.count
        sink.zeros(m * bytes)
        for b in 0..<bytes { sections.append(start + b * m) }
        sink.bytes.withUnsafeMutableBufferPointer { buf in
            let p = buf.baseAddress! + start
            for j in 0..<m {
                let v = values[j] &- minus
                if bytes == 2 {
                    p[j] = UInt8(truncatingIfNeeded: v >> 8)
                    p[j + m] = UInt8(truncatingIfNeeded: v)
                } else {
                    p[j] = UInt8(truncatingIfNeeded: v)
                }
            }
        }
    }

    /// Reads `m` values (+ `plus`) from one byte plane or two.
    private static func readPlanes(_ src: inout ByteSource, count m: Int, bytes: Int, plus: UInt16, _ what: String) throws(StoreError) -> [UInt16] {
        let planes = try src.slice(m * bytes, what)
        return [UInt16](unsafeUninitializedCapacity: m) { buf, count in
            for j in 0..<m {
                let v = bytes == 2 ? (UInt16(planes[j]) << 8) | UInt16(planes[j + m]) : UInt16(planes[j])
                buf[j] = v &+ plus
            }
            count = m
        }
    }

    /// Decodes a sampled payload into `out`: `layout.k` entries per record (drawn classes, then zero-valued
    /// padding classes, in ascending class order), their values and counts. Checks that every record holds
    /// 1…slots distinct classes below C whose counts sum to N, and that the entries the header announces
    /// are all there is.
    static func decodeSampled(
        _ payload: UnsafeRawBufferPointer, layout: ChunkLayout, epoch: Int, expectedCount: Int,
        into out: inout RecordColumns
    ) throws(StoreError) {
        let sampling = layout.sampling!
        var src = ByteSource(payload)
        let flags = try readPrefix(&src, layout: layout)
        guard flags & 2 != 0 else { throw StoreError.codec("chunk holds top-K records, the store says sampled targets") }
        guard flags & ~3 == 0 else { throw StoreError.codec("unknown chunk flags \(flags)") }
        let slots = layout.k
        guard try src.varint("K") == UInt64(slots) else { throw StoreError.codec("chunk slots differ from the store's \(slots)") }
        let n64 = try src.varint("count")
        guard n64 == UInt64(expectedCount) else {
            throw StoreError.codec("chunk holds \(n64) records, its row says \(expectedCount)")
        }
        let lengthBytes = slots <= 256 ? 1 : 2
        let countBytes = sampling.draws <= 256 ? 1 : 2
        let codeBytes = sampling.storesValues ? (layout.codec == .fp16 ? 2 : 1) : 0
        // At least a byte of sample id and a length per record: reject a count the payload cannot hold
        // before allocating for it.
        guard slots > 0, n64 <= UInt64(src.remaining) / UInt64(1 + lengthBytes) else {
            throw StoreError.codec("chunk claims \(n64) records, more than its \(src.remaining) remaining bytes can hold")
        }
        let n = Int(n64)
        out.epoch = epoch
        out.k = slots
        try readSampleIDs(&src, count: n, into: &out)
        let m64 = try src.varint("entries")
        guard m64 >= n64, m64 <= n64 * UInt64(slots), m64 <= UInt64(src.remaining) else {
            throw StoreError.codec("chunk claims \(m64) entries for \(n) records of at most \(slots)")
        }
        let m = Int(m64)
        let extraCount = try src.varint("gap bits length")
        try readSeeds(&src, explicit: flags & 1 != 0, layout: layout, into: &out)
        let lengths = try readPlanes(&src, count: n, bytes: lengthBytes, plus: 1, "entry counts")
        let gapSymbols = try src.slice(m, "class gaps")
        guard extraCount <= UInt64(src.remaining) else { throw StoreError.codec("payload truncated reading gap bits") }
        var bitSource = BitSource(try src.slice(Int(extraCount), "gap bits"))
        let counts = try readPlanes(&src, count: m, bytes: countBytes, plus: 1, "draw counts")
        let codes = codeBytes > 0 ? try readPlanes(&src, count: m, bytes: codeBytes, plus: 0, "values") : []
        guard src.remaining == 0 else { throw StoreError.codec("\(src.remaining) unexpected trailing bytes") }
        let numClasses = UInt32(truncatingIfNeeded: layout.numClasses)
        let table = layout.codec == .fp16 ? ValueCodec.halfTable : ValueCodec.q8Table
        let draws = Float(sampling.draws)
        var indices = [UInt32](repeating: 0, count: n * slots)
        var values = [Float](repeating: 0, count: n * slots)
        var slotCounts = [UInt16](repeating: 0, count: n * slots)
        var j = 0  // entry
        var o = 0  // output slot
        for i in 0..<n {
            let length = Int(lengths[i])
            guard length <= slots, j + length <= m else {
                throw StoreError.codec("record \(i) claims \(length) drawn classes (at most \(slots), \(m - j) entries left)")
            }
            var idx: UInt32 = 0
            var total = 0
            var pad: UInt32 = 0  // next candidate padding class
            var padsLeft = slots - length
            for r in 0..<length {
                let symbol = gapSymbols[j]
                let g: UInt32
                if symbol < 8 {
                    g = UInt32(symbol)
                } else if let v = GapCode.join(symbol, &bitSource) {
                    g = v
                } else {
                    throw StoreError.codec("malformed class gap")
                }
                idx = r == 0 ? g : idx &+ g &+ 1
                guard idx < numClasses, g < numClasses else { throw StoreError.codec("class index out of range (C = \(numClasses))") }
                // Padding classes below this drawn class first.
                while padsLeft > 0 && pad < idx {
                    indices[o] = pad
                    o += 1
                    pad += 1
                    padsLeft -= 1
                }
                pad = idx + 1
                let count = counts[j]
                guard count > 0 else { throw StoreError.codec("record \(i) has a drawn class with count 0") }
                total += Int(count)
                indices[o] = idx
                slotCounts[o] = count
                if codeBytes > 0 {
                    let code = codes[j]
                    guard Int(code) < table.count else { throw StoreError.codec("stored probability outside [0, 1]") }
                    values[o] = table[Int(code)]
                } else {
                    values[o] = Float(count) / draws
                }
                o += 1
                j += 1
            }
            guard total == sampling.draws else {
                throw StoreError.codec("record \(i)'s draw counts sum to \(total), not N = \(sampling.draws)")
            }
            while padsLeft > 0 {
                indices[o] = pad
                o += 1
                pad += 1
                padsLeft -= 1
            }
        }
        guard j == m else { throw StoreError.codec("\(m - j) entries beyond the records' lengths") }
        guard bitSource.exhausted else { throw StoreError.codec("gap bits left over") }
        out.indices = indices
        out.values = values
        out.counts = slotCounts
    }
}
