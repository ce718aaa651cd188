import Foundation
import Testing
@testable import Store

/// The draw behind sampled targets: deterministic from the seed, unbiased, and checked on replay.
@Suite struct SampledTargetsTests {
    func draw(_ s: SampledTargets, _ p: [Float], seed: UInt64) -> (classes: [UInt32], counts: [UInt16], values: [Float]) {
        var scratch = SampledTargets.Scratch()
        let n = p.withUnsafeBufferPointer { s.draw(probabilities: $0, seed: seed, into: &scratch) }
        return (Array(scratch.classes[0..<n]), Array(scratch.counts[0..<n]), Array(scratch.values[0..<n]))
    }

    func heavyTail(_ c: Int) -> [Float] {
        let w = (0..<c).map { 1 / pow(Double($0 + 1), 1.1) }
        let z = w.reduce(0, +)
        return w.map { Float($0 / z) }
    }

    @Test func theSameSeedGivesTheSameDrawAndCountsSumToN() {
        let s = SampledTargets(draws: 12)
        let p = heavyTail(1000)
        for seed in UInt64(0)..<200 {
            let a = draw(s, p, seed: seed), b = draw(s, p, seed: seed)
            #expect(a.classes == b.classes && a.counts == b.counts && a.values == b.values)
            #expect(a.counts.reduce(0) { $0 + Int($1) } == 12)
            #expect(a.classes == a.classes.sorted() && Set(a.classes).count == a.classes.count)
            #expect(a.counts.allSatisfy { $0 >= 1 })
            #expect(a.values == a.counts.map { Float($0) / 12 })
        }
        #expect(draw(s, p, seed: 1).classes != draw(s, p, seed: 2).classes || draw(s, p, seed: 1).counts != draw(s, p, seed: 2).counts)
    }

    @Test func theMeanTargetOverSeedsIsTheTeachersDistribution() {
        let p: [Float] = [0.5, 0.25, 0.125, 0.0625, 0.0625]
        let s = SampledTargets(draws: 4)
        var mean = [Double](repeating: 0, count: p.count)
        let trials = 20_000
        for seed in UInt64(0)..<UInt64(trials) {
            let d = draw(s, p, seed: seed &* 0x9E37_79B9_7F4A_7C15)
            for (c, v) in zip(d.classes, d.values) { mean[Int(c)] += Double(v) / Double(trials) }
        }
        for j in 0..<p.count {
            // Standard error of a mean of counts/N: sqrt(p(1-p)/(N·trials)) ≤ 0.0036; allow 4 of them.
            #expect(abs(mean[j] - Double(p[j])) < 0.015, "class \(j): \(mean[j]) vs \(p[j])")
        }
    }

    @Test func theImportanceWeightedTargetAtTemperatureTwoIsNearlyUnbiased() {
        let p = heavyTail(50)
        let s = SampledTargets(draws: 32, temperature: 2)
        var mean = [Double](repeating: 0, count: p.count)
        let trials = 4000
        for seed in UInt64(0)..<UInt64(trials) {
            let d = draw(s, p, seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ 7)
            #expect(abs(d.values.reduce(0, +) - 1) < 1e-5)
            for (c, v) in zip(d.classes, d.values) { mean[Int(c)] += Double(v) / Double(trials) }
        }
        let l1 = zip(mean, p).reduce(0) { $0 + abs($1.0 - Double($1.1)) }
        #expect(l1 < 0.05, "L1 distance of the mean target from p: \(l1)")
        // At T = 2 the draw flattens q ∝ √p, so tail classes are drawn more often than p alone would.
        var tailDraws = 0
        for seed in UInt64(0)..<500 { tailDraws += draw(s, p, seed: seed).classes.filter { $0 >= 10 }.count }
        var plainTail = 0
        for seed in UInt64(0)..<500 { plainTail += draw(SampledTargets(draws: 32), p, seed: seed).classes.filter { $0 >= 10 }.count }
        #expect(tailDraws > plainTail)
    }

    @Test func classesWithoutProbabilityAreNeverDrawn() {
        var p = [Float](repeating: 0, count: 100)
        p[3] = 0.7
        p[97] = 0.3
        for seed in UInt64(0)..<300 {
            let d = draw(SampledTargets(draws: 9), p, seed: seed)
            #expect(Set(d.classes).isSubset(of: [3, 97]))
        }
        let flat = draw(SampledTargets(draws: 5), [Float](repeating: 0, count: 8), seed: 1)
        #expect(flat.classes == [0] && flat.counts == [5])
    }

    @Test func replayAgreesOnTheSameDistributionAndMeasuresAMovedDraw() {
        let s = SampledTargets(draws: 16)
        let p = heavyTail(200)
        var scratch = SampledTargets.Scratch()
        for seed in UInt64(0)..<100 {
            let d = draw(s, p, seed: seed)
            let r = p.withUnsafeBufferPointer {
                s.replay(probabilities: $0, seed: seed, storedClasses: d.classes, storedCounts: d.counts, scratch: &scratch)
            }
            #expect(r.differing == 0 && r.maxDistance == 0)
        }
        // A rerun that moves 0.2 of the mass from class 0 to class 199 moves the draws in between.
        var q = p
        q[0] -= 0.2
        q[199] += 0.2
        var moved = 0
        var farthest = 0.0
        for seed in UInt64(0)..<100 {
            let d = draw(s, p, seed: seed)
            let r = q.withUnsafeBufferPointer {
                s.replay(probabilities: $0, seed: seed, storedClasses: d.classes, storedCounts: d.counts, scratch: &scratch)
            }
            moved += r.differing
            farthest = max(farthest, r.maxDistance)
        }
        #expect(moved > 100)
        #expect(farthest > 0.05 && farthest <= 0.2 + 1e-6, "\(farthest)")
    }

    @Test func settingsOutOfRangeAreRefused() {
        for bad in [SampledTargets(draws: 0), SampledTargets(draws: 1025), SampledTargets(draws: 8, temperature: 0.01),
                    SampledTargets(draws: 8, temperature: .nan), SampledTargets(draws: 8, temperature: 21)] {
            #expect(throws: StoreError.self) { try bad.validate() }
        }
        #expect(SampledTargets(draws: 12).description == "sample:12")
        #expect(SampledTargets(draws: 12, temperature: 2).description == "sample:12:2.0")
        #expect(SampledTargets(draws: 12).slots(numClasses: 10) == 10)
        #expect(SampledTargets(draws: 12).slots(numClasses: 1000) == 12)
    }
}
