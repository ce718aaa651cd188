import Testing
@testable import Augment

@Suite struct AugRNGTests {
    /// `fillNormals` is `normal()` called once per element: the same Float values and the same stream
    /// position afterwards, for counts that are and are not multiples of the four lanes.
    @Test(arguments: [0, 1, 3, 4, 5, 17, 224, 1001])
    func fillNormalsEqualsRepeatedNormal(_ count: Int) {
        for seed: UInt64 in [0, 7, 0xDEAD_BEEF] {
            var one = AugRNG(seed: seed), many = AugRNG(seed: seed)
            let want = (0..<count).map { _ in Float(one.normal()) }
            var got = [Float](repeating: .nan, count: count)
            got.withUnsafeMutableBufferPointer { many.fillNormals($0) }
            #expect(got.map(\.bitPattern) == want.map(\.bitPattern), "seed \(seed)")
            #expect(many.counter == one.counter)
            #expect(many.next() == one.next())
        }
    }
}
