import DetCore
import Foundation
import Testing
@testable import Augment

/// Our pixel operations against Pillow's own outputs (Fixtures/make_pil_fixtures.py, Pillow 9.4).
@Suite struct PixelOpsParityTests {
    struct Case: Decodable {
        var name: String, channels: Int, op: String, arg: Double, interpolation: String
        var width: Int, height: Int, file: String
        var box: [Int]?, out: [Int]?
    }
    struct Manifest: Decodable {
        var pillow: String, width: Int, height: Int, cases: [Case]
    }

    static func load(_ name: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
        return try Data(contentsOf: url)
    }

    /// The fixtures' manifest, or nil when it does not load (``manifestLoads()`` then fails; the cases are
    /// listed when the test run is planned, so they cannot throw).
    static let manifest: Manifest? = try? JSONDecoder().decode(Manifest.self, from: load("manifest.json"))

    @Test func manifestLoads() throws {
        let m = try JSONDecoder().decode(Manifest.self, from: Self.load("manifest.json"))
        #expect(m.cases.count == 70)
    }

    static func run(_ c: Case, _ src: Image) -> Image {
        let kind = AugmentPolicy.Interpolation(rawValue: c.interpolation)!
        let fill: [UInt8] = c.channels == 3 ? [124, 116, 104] : [124]
        if c.op == "resize" {
            let b = c.box!
            let crop = src.cropped(.init(x: b[0], y: b[1], width: b[2] - b[0], height: b[3] - b[1]))
            return Image(
                width: c.out![0], height: c.out![1], channels: c.channels,
                pixels: Resample.resize(crop.pixels, width: crop.width, height: crop.height, channels: c.channels,
                                       toWidth: c.out![0], height: c.out![1], kind: kind))
        }
        let op = RandAugmentOp(rawValue: c.op)!
        let step = AugParams.Step(op: op, applied: true, magnitude: 0, negative: false, argument: c.arg)
        return Augmenter.apply(step, to: src, kind: kind, fill: fill)
    }

    @Test(arguments: (manifest?.cases ?? []).indices.map { $0 })
    func matchesPillow(_ index: Int) throws {
        let m = try #require(Self.manifest)
        let c = m.cases[index]
        let srcBytes = try Self.load(c.channels == 3 ? "src-rgb.raw" : "src-gray.raw")
        let src = Image(width: m.width, height: m.height, channels: c.channels, pixels: [UInt8](srcBytes))
        let want = [UInt8](try Self.load(c.file))
        let got = Self.run(c, src)
        #expect(got.width == c.width && got.height == c.height)
        let diffs = zip(got.pixels, want).map { abs(Int($0) - Int($1)) }
        let bad = diffs.filter { $0 > 0 }.count
        #expect(bad == 0, "\(c.file): \(bad) of \(want.count) bytes differ, max \(diffs.max() ?? 0)")
    }
}
