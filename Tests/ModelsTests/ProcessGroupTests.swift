import Foundation
import Models
import Testing

@Suite("multi-process training (Gloo)")
struct ProcessGroupTests {
    static let arch = Architecture.tinyViT(TinyViTConfig(imgSize: 16, inChans: 3, numClasses: 4, embedDims: [8, 16, 16],
                                                         depths: [1, 1, 1], numHeads: [1, 2, 2], windowSizes: [2, 2, 2],
                                                         dropPathRate: 0.1))

    /// Two ranks (threads here; processes in `train`) on different data end every step with the same
    /// weights: their gradients are averaged.
    @Test func twoRanksAverageGradientsAndStayInStep() throws {
        let file = try Fixtures.temporaryFolder() + "/rendezvous"
        final class Box: @unchecked Sendable { var states: [[NamedTensor]] = [[], []]; var means: [[Float]] = [[], []]; var errors: [String] = [] }
        let box = Box()
        let lock = NSLock()
        let threads = (0..<2).map { rank in
            Thread {
                do {
                    let group = try ProcessGroup(file: file, rank: rank, world: 2)
                    let mean = try group.allReduceMean([Float(rank + 1), Float(10 * rank)])
                    let trainer = try Trainer(model: try Model(Self.arch, seed: 3))
                    trainer.use(group)
                    let n = 4
                    let x = (0..<(n * 3 * 16 * 16)).map { Float(sin(Double($0 * (rank + 2)))) }
                    for step in 0..<3 {
                        _ = try trainer.step(input: x, n: n, c: 3, h: 16, w: 16, indices: [Int32](repeating: Int32(rank), count: n),
                                             values: [Float](repeating: 0.7, count: n), k: 1, labels: nil, learningRate: 1e-2,
                                             rngSeed: UInt64(step))
                    }
                    let state = try trainer.model.state().filter { !$0.name.contains("running_") && !$0.name.contains("num_batches") }
                    lock.lock(); box.states[rank] = state; box.means[rank] = mean; lock.unlock()
                } catch {
                    lock.lock(); box.errors.append("\(error)"); lock.unlock()
                }
            }
        }
        threads.forEach { $0.start() }
        let deadline = Date().addingTimeInterval(120)
        while threads.contains(where: { !$0.isFinished }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(box.errors.isEmpty, "\(box.errors)")
        #expect(box.means[0] == [1.5, 5] && box.means[1] == [1.5, 5])
        #expect(!box.states[0].isEmpty)
        #expect(box.states[0] == box.states[1])   // identical parameters on both ranks
        // ... and different from a single process trained on rank 0's data alone.
        let alone = try Trainer(model: try Model(Self.arch, seed: 3))
        let x = (0..<(4 * 3 * 16 * 16)).map { Float(sin(Double($0 * 2))) }
        for step in 0..<3 {
            _ = try alone.step(input: x, n: 4, c: 3, h: 16, w: 16, indices: [0, 0, 0, 0], values: [0.7, 0.7, 0.7, 0.7], k: 1,
                               labels: nil, learningRate: 1e-2, rngSeed: UInt64(step))
        }
        let single = try alone.model.state().filter { !$0.name.contains("running_") && !$0.name.contains("num_batches") }
        #expect(single != box.states[0])
    }
}
