import Foundation
import Testing
import ModelJobs

/// `evaluate`'s calibration: NLL, ECE over 15 bins and the reliability bins.
@Suite struct CalibrationTests {
    @Test func aConfidentCorrectModelHasLowNLLAndNoCalibrationError() {
        var a = Calibration.Accumulator()
        for label in 0..<10 {
            var row = [Float](repeating: 0, count: 10)
            row[label] = 30
            a.add(logits: row[...], label: label)
        }
        let c = a.result()
        #expect(c.nll < 1e-9 && c.ece < 1e-9)
        #expect(c.bins.count == 15 && c.bins[14].count == 10 && c.bins[14].accuracy == 1)
    }

    @Test func theErrorIsTheCountWeightedGapBetweenAccuracyAndConfidence() {
        // Two classes, logits (log 3, 0): confidence 0.75 for class 0. Labels: 0 half the time.
        var a = Calibration.Accumulator()
        let row: [Float] = [Float(Foundation.log(3.0)), 0]
        for i in 0..<100 { a.add(logits: row[...], label: i % 2) }
        let c = a.result()
        let bin = c.bins[Int(0.75 * 15)]
        #expect(bin.count == 100 && abs(bin.confidence - 0.75) < 1e-6 && bin.accuracy == 0.5)
        #expect(abs(c.ece - 0.25) < 1e-6)
        // NLL: half −log 0.75, half −log 0.25.
        #expect(abs(c.nll - (-(Foundation.log(0.75) + Foundation.log(0.25)) / 2)) < 1e-6)
        #expect(c.bins.reduce(0) { $0 + $1.count } == 100)
    }

    @Test func aLabelOutsideTheClassesIsLeftOut() {
        var a = Calibration.Accumulator()
        a.add(logits: [1, 2][...], label: 5)
        a.add(logits: [1, 2][...], label: -1)
        #expect(a.result().bins.allSatisfy { $0.count == 0 })
    }
}
