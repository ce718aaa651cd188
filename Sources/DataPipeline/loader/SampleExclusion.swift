import DetCore
import Foundation
import Images

/// Samples to leave out, read from a file of sample keys (one per line; blank lines and `#` comments are
/// ignored), as `inspect --label-noise --out` writes it. Keys are resolved against the dataset, so a key
/// the dataset does not have is an error naming the file and line, never silently ignored.
public struct SampleExclusion: Sendable, Equatable {
    /// The file, and the excluded sample ids in ascending order.
    public let path: String
    public let samples: [Int]
    /// XXH64 of the sorted ids: identifies the exclusion in logs and checkpoints.
    public let hash: String

    /// Reads `path` against `source`.
    public init(path: String, source: any ImageSource) throws(PipelineError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalid(field: "exclude", value: path, why: "cannot read the file")
        }
        var ids: [String: Int] = [:]
        ids.reserveCapacity(source.count)
        for i in 0..<source.count { ids[source.sample(i).key] = i }
        var found = Set<Int>()
        for (n, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let id = ids[line] else {
                throw .invalid(field: "exclude", value: path, why: "line \(n + 1): \(line) is not a sample key of \(source.source)")
            }
            found.insert(id)
        }
        self.path = path
        samples = found.sorted()
        var bytes: [UInt8] = []
        for s in samples { withUnsafeBytes(of: UInt64(s).littleEndian) { bytes += $0 } }
        hash = String(XXH64.hash(bytes, seed: 0), radix: 16)
    }

    /// Excluded samples s with lo ≤ s ≤ hi that satisfy `belongs`.
    func count(in lo: Int, _ hi: Int, where belongs: (Int) -> Bool) -> Int {
        var i = lowerBound(lo), n = 0
        while i < samples.count && samples[i] <= hi {
            if belongs(samples[i]) { n += 1 }
            i += 1
        }
        return n
    }

    /// Whether sample `s` is excluded.
    func contains(_ s: Int) -> Bool {
        let i = lowerBound(s)
        return i < samples.count && samples[i] == s
    }

    private func lowerBound(_ x: Int) -> Int {
        var lo = 0, hi = samples.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if samples[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
