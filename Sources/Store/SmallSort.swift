extension UnsafeMutableBufferPointer where Element: Comparable {
    /// Sorts ascending in place: insertion sort up to 32 elements (the records' K and N are mostly that
    /// small), the library sort above.
    mutating func sortSmall() {
        guard count > 32 else {
            for i in 1..<Swift.max(count, 1) {
                let x = self[i]
                var j = i - 1
                while j >= 0 && self[j] > x { self[j + 1] = self[j]; j -= 1 }
                self[j + 1] = x
            }
            return
        }
        sort()
    }
}

extension ChunkCodec {
    /// The class gaps of records laid out one after another (record i has `length(i)` entries, ascending)
    /// as bucket symbols, one byte each, and their extra bits packed LSB-first (``GapCode``).
    @inline(__always)
    static func gapSymbols(_ indices: [UInt32], records n: Int, length: (Int) -> Int) -> (symbols: [UInt8], extraBits: [UInt8]) {
        let m = indices.count
        var symbols = [UInt8](repeating: 0, count: m)
        var bits = BitSink(capacity: m)
        indices.withUnsafeBufferPointer { idx in
            var j = 0
            for i in 0..<n {
                for r in 0..<length(i) {
                    let g = r == 0 ? idx[j] : idx[j] &- idx[j - 1] &- 1
                    let (sym, extra, count) = GapCode.split(g)
                    symbols[j] = sym
                    if count > 0 { bits.write(extra, count: count) }
                    j += 1
                }
            }
        }
        return (symbols, bits.finish())
    }
}
