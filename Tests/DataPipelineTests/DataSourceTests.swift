import Foundation
@testable import DataPipeline
import ModelJobs
import Testing

@Suite struct DataSourceTests {
    @Test func aFashionMNISTSplitTakesAnotherLabelsFile() throws {
        let plain = try DataSource.open("fashion-mnist:test")
        // An IDX labels file naming class 3 for every image.
        var bytes: [UInt8] = [0, 0, 8, 1, 0, 0, 0x27, 0x10]   // magic 2049, 10,000 items
        bytes += [UInt8](repeating: 3, count: 10_000)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("td-labels-\(UUID().uuidString)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let relabelled = try DataSource.open("fashion-mnist:test:" + path)
        #expect(relabelled.count == plain.count)
        #expect(relabelled.sample(17).key == plain.sample(17).key)
        #expect((0..<100).allSatisfy { relabelled.sample($0).label == 3 })
        #expect(try relabelled.image(5) == plain.image(5))
        #expect(relabelled.fingerprint != plain.fingerprint)
        #expect(throws: PipelineError.self) { _ = try DataSource.open("fashion-mnist:test:/no/such/labels") }
    }
}
