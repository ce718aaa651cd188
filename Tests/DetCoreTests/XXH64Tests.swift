import Testing
@testable import DetCore

/// Reference values from the Python `xxhash` package (xxh64, little-endian digest as an integer).
@Suite struct XXH64Tests {
    static let vectors: [([UInt8], UInt64, UInt64)] = [
        ([], 0xEF46_DB37_51D8_E999, 0xAC75_FDA2_929B_17EF),
        (Array("a".utf8), 0xD24E_C4F1_A98C_6E5B, 0x393D_A8B7_8992_279B),
        (Array("abc".utf8), 0x44BC_2CF5_AD77_0999, 0x1318_DF30_094A_85FD),
        (Array(0..<100), 0x6AC1_E580_3216_6597, 0x8832_442A_8828_4F11),
        (Array(repeating: Array(0...255), count: 3).flatMap { $0 }, 0x8E03_C838_C596_036F, 0x8E06_C6A0_27F6_B435),
    ]

    @Test(arguments: 0..<vectors.count)
    func matchesReferenceImplementation(_ i: Int) {
        let (bytes, seed0, seedPrime) = Self.vectors[i]
        #expect(XXH64.hash(bytes) == seed0)
        #expect(XXH64.hash(bytes, seed: 0x9E37_79B1) == seedPrime)
    }

    @Test func streamingEqualsOneShotForAnySplit() {
        let data = (0..<777).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for cuts in [[], [1], [31, 32], [5, 40, 41, 100], Array(stride(from: 3, to: 777, by: 13))] {
            var h = XXH64.Streaming(seed: 0x9E37_79B1)
            var start = 0
            for cut in cuts + [data.count] {
                h.update(Array(data[start..<cut]))
                start = cut
            }
            #expect(h.finalize() == XXH64.hash(data, seed: 0x9E37_79B1), "cuts \(cuts)")
        }
        for (bytes, seed0, _) in Self.vectors {
            var h = XXH64.Streaming()
            h.update(bytes)
            #expect(h.finalize() == seed0)
        }
        #expect(XXH64.hex(0xAB) == "00000000000000ab")
    }
}
