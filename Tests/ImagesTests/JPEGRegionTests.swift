import DetCore
import Foundation
import Testing
@testable import Images

/// Region decoding is only allowed where it gives the full decode's pixels: checked over many boxes, every
/// DCT scale, the three chroma subsamplings, progressive files and gray.
@Suite struct JPEGRegionTests {
    static let files = ["region-420.jpg", "region-422.jpg", "region-444.jpg", "region-420-progressive.jpg",
                        "region-444-progressive.jpg", "region-gray.jpg", "region-gray-progressive.jpg"]

    @Test("a decoded region equals the full decode's pixels in it", arguments: files)
    func regionEqualsTheFullDecode(file: String) throws {
        let bytes = try fixture(file)
        var rng = SplitMix(seed: 11)
        var checked = 0
        for d in [1, 2, 4, 8] {
            let full = try JPEG.decode(bytes, path: file, denominator: d)
            for _ in 0..<60 {
                let x0 = rng.below(full.width), y0 = rng.below(full.height)
                let x1 = x0 + 1 + rng.below(full.width - x0), y1 = y0 + 1 + rng.below(full.height - y0)
                let region = try #require(try JPEGDecoder.decodeRegion(bytes, path: file, denominator: d, x0: x0, y0: y0,
                                                                        x1: x1, y1: y1))
                #expect(region.originX <= x0 && region.originX + region.image.width >= x1)
                #expect(region.image.channels == full.channels && region.image.height == y1 - y0)
                let c = full.channels
                var same = true
                for y in y0..<y1 where same {
                    for x in x0..<x1 where same {
                        for ch in 0..<c {
                            let a = full.pixels[(y * full.width + x) * c + ch]
                            let b = region.image.pixels[((y - y0) * region.image.width + (x - region.originX)) * c + ch]
                            if a != b { same = false }
                        }
                    }
                }
                #expect(same, "\(file) 1/\(d): region [\(x0), \(x1)) × [\(y0), \(y1)) differs from the full decode")
                checked += 1
            }
        }
        #expect(checked == 240)
    }

    @Test("a region outside the image is refused, and a corrupt file is an error naming it")
    func badRegionsAndFiles() throws {
        let bytes = try fixture("region-420.jpg")
        #expect(try JPEGDecoder.decodeRegion(bytes, path: "a.jpg", denominator: 1, x0: 0, y0: 0, x1: 500, y1: 10) == nil)
        var broken = bytes
        broken.removeLast(bytes.count / 2)
        #expect(throws: ImageError.self) {
            _ = try JPEGDecoder.decodeRegion(broken, path: "half.jpg", denominator: 1, x0: 0, y0: 100, x1: 50, y1: 150)
        }
    }
}
