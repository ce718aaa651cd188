import Foundation
import Testing
@testable import tinydistill

@Suite struct TrainProgressTests {
    @Test func aRunResumedMidEpochEstimatesFromTheStepsItRanItself() {
        let bar = TrainProgress(), t0 = Date()
        // Resumed at step 297 of 468: the 296 steps before it took no time in this process.
        #expect(bar.secondsLeft(epoch: 11, step: 297, steps: 468, now: t0) == nil)   // no pace yet: no ETA, not "0 s"
        let eta = bar.secondsLeft(epoch: 11, step: 307, steps: 468, now: t0.addingTimeInterval(10))
        #expect(abs((eta ?? -1) - 161) < 1e-9, "10 steps in 10 s leave 161 s for 161 steps, got \(String(describing: eta))")
    }

    @Test func aNewEpochRestartsTheClock() {
        let bar = TrainProgress(), t0 = Date()
        _ = bar.secondsLeft(epoch: 1, step: 1, steps: 101, now: t0)
        _ = bar.secondsLeft(epoch: 1, step: 101, steps: 101, now: t0.addingTimeInterval(100))
        // Epoch 2 starts 50 s later (evaluation, checkpoint): that pause is not a step's time.
        #expect(bar.secondsLeft(epoch: 2, step: 1, steps: 101, now: t0.addingTimeInterval(150)) == nil)
        let eta = bar.secondsLeft(epoch: 2, step: 51, steps: 101, now: t0.addingTimeInterval(175))
        #expect(abs((eta ?? -1) - 25) < 1e-9, "50 steps in 25 s leave 25 s for 50 steps, got \(String(describing: eta))")
    }
}
