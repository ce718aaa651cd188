import Testing
@testable import DataPipeline
import ModelJobs
import Store

@Suite struct SyntheticTeacherTests {
    /// The documented targets: mean top-1 near 0.5, mean top-10 mass near 0.85 at C = 1000.
    @Test func distributionsLookLikeAnImageNetTeacher() {
        let t = SyntheticTeacher(numClasses: 1000, maxK: 10)
        var idx = [UInt32](repeating: 0, count: 10)
        var p = [Float](repeating: 0, count: 10)
        var top1 = 0.0, mass = 0.0
        let n = 20_000
        for s in 0..<n {
            t.topK(seed: SeedScheme.derive(runSeed: 3, epoch: 0, sample: s), label: s % 1000, indices: &idx, probabilities: &p)
            #expect(Set(idx).count == 10)
            #expect(zip(p, p.dropFirst()).allSatisfy { $0 >= $1 })
            top1 += Double(p[0])
            mass += Double(p.reduce(0, +))
        }
        top1 /= Double(n)
        mass /= Double(n)
        print("synthetic teacher: mean top-1 \(top1), mean top-10 mass \(mass)")
        #expect(abs(top1 - 0.5) < 0.03)
        #expect(abs(mass - 0.85) < 0.03)
    }

    @Test func sameSeedSameRecord() {
        let t = SyntheticTeacher(numClasses: 21_841, maxK: 100)
        var a = ([UInt32](repeating: 0, count: 100), [Float](repeating: 0, count: 100))
        var b = a
        t.topK(seed: 99, label: 5, indices: &a.0, probabilities: &a.1)
        t.topK(seed: 99, label: 5, indices: &b.0, probabilities: &b.1)
        #expect(a.0 == b.0 && a.1 == b.1)
        t.topK(seed: 100, label: 5, indices: &b.0, probabilities: &b.1)
        #expect(a.0 != b.0)
    }
}
