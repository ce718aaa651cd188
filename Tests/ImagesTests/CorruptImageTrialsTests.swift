import Foundation
import Images
import Testing

/// Random byte flips and truncations of real JPEG and PNG files: every trial must end in a decoded
/// image of sane dimensions or a typed ``ImageError`` naming the file, never a crash or a hang.
/// `TINYDISTILL_IMAGE_TRIALS` sets the number of trials (default 100; the reliability run uses 1000).
@Suite struct CorruptImageTrialsTests {
    /// Deterministic randomness for the trials (SplitMix64).
    struct TrialRNG: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &+ 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// The originals: the repository's example photo, encoded synthetic images and the PNG fixtures.
    func originals() throws -> [(name: String, bytes: [UInt8])] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var out: [(String, [UInt8])] = []
        out.append(("shapes.jpg", [UInt8](try Data(contentsOf: root.appendingPathComponent("examples/shapes.jpg")))))
        let rgb = try SyntheticImageSource(count: 1, width: 48, height: 40, channels: 3, seed: 11).image(0)
        let gray = try SyntheticImageSource(count: 1, width: 33, height: 21, channels: 1, seed: 12).image(0)
        out.append(("synthetic-rgb.jpg", try JPEG.encode(rgb, quality: 85)))
        out.append(("synthetic-gray.jpg", try JPEG.encode(gray, quality: 60)))
        out.append(("synthetic-rgb.png", try PNG.encode(rgb)))
        for name in ["rgb16.png", "palette2.png", "gray16alpha.png"] { out.append((name, try fixture(name))) }
        return out
    }

    enum Outcome: String, CaseIterable { case decoded, unreadable, unsupportedFormat, corrupt, badDataset, invalidArgument }

    @Test func flippedAndTruncatedImagesDecodeOrFailCleanly() throws {
        let trials = Int(ProcessInfo.processInfo.environment["TINYDISTILL_IMAGE_TRIALS"] ?? "") ?? 100
        let inputs = try originals()
        var rng = TrialRNG(state: 7)
        var outcomes: [Outcome: Int] = [:]
        var slowest = 0.0
        for trial in 0..<trials {
            let (name, original) = inputs[trial % inputs.count]
            var bytes = original
            if trial % 3 == 2 {
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
            } else {
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
                }
            }
            let path = "trial-\(trial)-\(name)"
            let start = Date()
            let outcome: Outcome
            do {
                // Full size through format detection, and a reduced scale for JPEGs (the loader's path).
                let image = try ImageFormat.decode(bytes, path: path)
                #expect(image.width >= 1 && image.height >= 1 && image.width <= 1 << 15 && image.height <= 1 << 15, "\(path)")
                #expect(image.channels == 1 || image.channels == 3, "\(path)")
                #expect(image.pixels.count == image.width * image.height * image.channels, "\(path)")
                if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
                    let half = try JPEG.decode(bytes, path: path, denominator: 2)
                    #expect(half.width == (image.width + 1) / 2 && half.height == (image.height + 1) / 2, "\(path)")
                }
                outcome = .decoded
            } catch {
                // Every failure is a typed image error naming the file.
                #expect(error.description.contains(path), "\(path): \(error)")
                switch error {
                case .unreadable: outcome = .unreadable
                case .unsupportedFormat: outcome = .unsupportedFormat
                case .corrupt: outcome = .corrupt
                case .badDataset: outcome = .badDataset
                case .invalidArgument: outcome = .invalidArgument
                }
            }
            let seconds = Date().timeIntervalSince(start)
            slowest = max(slowest, seconds)
            #expect(seconds < 10, "\(path) took \(seconds) s")
            outcomes[outcome, default: 0] += 1
        }
        #expect(outcomes.values.reduce(0, +) == trials)
        #expect(outcomes[.corrupt, default: 0] > 0)
        let counts = Outcome.allCases.map { "\($0.rawValue) \(outcomes[$0, default: 0])" }.joined(separator: ", ")
        print("image corruption trials: \(trials): \(counts); slowest trial \(String(format: "%.3f", slowest)) s")
    }
}
