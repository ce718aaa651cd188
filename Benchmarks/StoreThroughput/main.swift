// Whole-run store throughput: writes N teacher-like records (generated beforehand) through
// StoreWriter, closes the store, then reads every chunk back READ_PASSES times; repeats REPS times
// with a fresh store. Prints the median (and min–max) over repetitions of records/s averaged over
// each whole run (WAL checkpoints, the final flush and close included), as a markdown table row.
//
// Usage: StoreThroughput C K CODEC [N] [CHUNK] [READ_PASSES] [REPS]
import Foundation
import DataPipeline
import Store

let args = Array(CommandLine.arguments.dropFirst())
guard args.count >= 3, let c = Int(args[0]), let k = Int(args[1]), let codec = ValueCodec(rawValue: args[2]) else {
    FileHandle.standardError.write(Data("usage: StoreThroughput C K fp16|q8 [N] [CHUNK] [READ_PASSES]\n".utf8))
    exit(2)
}
let n = args.count > 3 ? Int(args[3])! : 400_000
let chunk = args.count > 4 ? Int(args[4])! : 4096
let passes = args.count > 5 ? Int(args[5])! : 3
let reps = args.count > 6 ? Int(args[6])! : 5
let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tinydistill-throughput-\(getpid())")
try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: dir) }
let path = dir.appendingPathComponent("t.tdstore").path

let poolSize = 8192
let teacher = SyntheticTeacher(numClasses: c, maxK: k)
var poolI = [UInt32](), poolV = [Float]()
var idx = [UInt32](repeating: 0, count: k), p = [Float](repeating: 0, count: k)
for s in 0..<poolSize {
    teacher.topK(seed: SeedScheme.derive(runSeed: 1, epoch: 0, sample: s), label: s % c, indices: &idx, probabilities: &p)
    poolI += idx
    poolV += p
}
let meta = StoreMetadata(
    numClasses: c, topK: k, valueCodec: codec, epochs: 1, chunkRecords: chunk, runSeed: 1,
    teacher: .init(architecture: "synthetic", weightsHash: teacher.weightsHash),
    dataset: .init(source: "synthetic:\(n)", sampleCount: n, fingerprint: "throughput"))

var writeRates: [Double] = []
var readRates: [Double] = []
for _ in 0..<reps {
    let writeStart = Date()
    let writer = try StoreWriter(path: path, metadata: meta)
    try poolI.withUnsafeBufferPointer { I in
        try poolV.withUnsafeBufferPointer { V in
            for s in 0..<n {
                let j = (s % poolSize) * k
                try writer.append(
                    epoch: 0, sampleID: s, seed: SeedScheme.derive(runSeed: 1, epoch: 0, sample: s),
                    indices: UnsafeBufferPointer(rebasing: I[j..<(j + k)]),
                    probabilities: UnsafeBufferPointer(rebasing: V[j..<(j + k)]))
            }
        }
    }
    try writer.close()
    let writeSeconds = Date().timeIntervalSince(writeStart)

    let reader = try StoreReader(path: path)
    let chunks = try reader.chunks()
    var read = 0
    var checksum: Float = 0
    let readStart = Date()
    for _ in 0..<passes {
        for info in chunks {
            let cols = try reader.chunk(epoch: info.epoch, chunk: info.chunk)
            read += cols.count
            checksum += cols.values[cols.values.count - 1]
        }
    }
    let readSeconds = Date().timeIntervalSince(readStart)
    precondition(read == n * passes && checksum.isFinite)
    writeRates.append(Double(n) / writeSeconds / 1e6)
    readRates.append(Double(read) / readSeconds / 1e6)
    try? FileManager.default.removeItem(atPath: path)

}
func summary(_ xs: [Double]) -> String {
    let s = xs.sorted()
    return String(format: "%.2f M (%.2f–%.2f)", s[s.count / 2], s.first!, s.last!)
}
print("| \(c) | \(k) | \(codec.rawValue) | \(chunk) | \(summary(writeRates)) | \(summary(readRates)) |")
