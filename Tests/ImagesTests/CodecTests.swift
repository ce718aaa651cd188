import Foundation
import Testing
@testable import Images

func fixture(_ name: String) throws -> [UInt8] {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
    return [UInt8](try Data(contentsOf: url))
}

@Suite struct PNGTests {
    @Test(arguments: [1, 3])
    func encodeThenDecodeGivesTheSamePixels(channels: Int) throws {
        let src = try SyntheticImageSource(count: 1, width: 37, height: 23, channels: channels, seed: 4).image(0)
        let decoded = try PNG.decode(try PNG.encode(src), path: "mem.png")
        #expect(decoded == src)
    }

    @Test func sixteenBitSamplesKeepTheirHighByte() throws {
        let img = try PNG.decode(try fixture("rgb16.png"), path: "rgb16.png")
        #expect(img.width == 5 && img.height == 3 && img.channels == 3)
        for y in 0..<3 {
            for x in 0..<5 {
                for c in 0..<3 { #expect(Int(img.pixel(x, y, c)) == (4096 * x + 256 * y + 17 * c + 3) >> 8) }
            }
        }
    }

    @Test func alphaIsDroppedAndPalettesExpand() throws {
        let rgba = try PNG.decode(try fixture("rgba8.png"), path: "rgba8.png")
        #expect(rgba.channels == 3)
        #expect(rgba.pixel(4, 2, 0) == 40 && rgba.pixel(4, 2, 1) == 40 && rgba.pixel(4, 2, 2) == 30)
        let pal = try PNG.decode(try fixture("palette2.png"), path: "palette2.png")
        #expect(pal.channels == 3)
        let colours: [[UInt8]] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [9, 9, 9]]
        for y in 0..<3 { for x in 0..<5 { #expect((0..<3).map { pal.pixel(x, y, $0) } == colours[(x + y) % 4]) } }
        let ga = try PNG.decode(try fixture("gray16alpha.png"), path: "ga.png")
        #expect(ga.channels == 1)
        #expect(ga.pixel(3, 2) == 40 * 3 + 2)
    }

    @Test func truncatedOrDamagedPNGsNameTheFile() throws {
        let good = try PNG.encode(try SyntheticImageSource(count: 1, width: 40, height: 40, seed: 1).image(0))
        for cut in [9, 20, 40, good.count / 2, good.count - 13] {
            #expect(throws: ImageError.self) { try PNG.decode(Array(good.prefix(cut)), path: "cut.png") }
        }
        var flipped = good
        flipped[good.count / 2] ^= 0x5A
        do {
            _ = try PNG.decode(flipped, path: "flipped.png")
            Issue.record("a damaged IDAT decoded without error")
        } catch {
            #expect(error.description.hasPrefix("flipped.png"))
        }
    }
}

@Suite struct JPEGTests {
    @Test func decodesCloseToWhatWasEncoded() throws {
        let src = try SyntheticImageSource(count: 1, width: 64, height: 48, channels: 3, seed: 2).image(0)
        let img = try JPEG.decode(try JPEG.encode(src, quality: 95), path: "mem.jpg")
        #expect(img.width == 64 && img.height == 48 && img.channels == 3)
        let meanError = zip(img.pixels, src.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +) / src.pixels.count
        #expect(meanError <= 4)
    }

    @Test func grayscaleJPEGsDecodeToOneChannel() throws {
        let src = try SyntheticImageSource(count: 1, width: 32, height: 32, channels: 1, seed: 2).image(0)
        let img = try JPEG.decode(try JPEG.encode(src), path: "g.jpg")
        #expect(img.channels == 1)
    }

    @Test(arguments: [1, 2, 4, 8])
    func dctScalingGivesTheDocumentedSizeDeterministically(denominator: Int) throws {
        let bytes = try JPEG.encode(try SyntheticImageSource(count: 1, width: 500, height: 375, seed: 9).image(0))
        let a = try JPEG.decode(bytes, path: "s.jpg", denominator: denominator)
        let b = try JPEG.decode(bytes, path: "s.jpg", denominator: denominator)
        let (w, h) = JPEG.scaledSize(width: 500, height: 375, denominator: denominator)
        #expect(a.width == w && a.height == h)
        #expect(a == b)
    }

    @Test func scaleChoiceNeverDropsBelowTheOutputSize() {
        #expect(JPEG.scaleDenominator(cropWidth: 500, cropHeight: 375, outWidth: 224, outHeight: 224) == 1)
        #expect(JPEG.scaleDenominator(cropWidth: 1000, cropHeight: 900, outWidth: 224, outHeight: 224) == 4)
        #expect(JPEG.scaleDenominator(cropWidth: 4000, cropHeight: 3000, outWidth: 224, outHeight: 224) == 8)
        #expect(JPEG.scaleDenominator(cropWidth: 100, cropHeight: 100, outWidth: 224, outHeight: 224) == 1)
        for cw in stride(from: 50, to: 3000, by: 97) {
            let d = JPEG.scaleDenominator(cropWidth: cw, cropHeight: cw, outWidth: 64, outHeight: 64)
            #expect(d == 1 || cw / d >= 64)
        }
    }

    @Test func truncatedAndCorruptJPEGsAreErrorsNamingTheFile() throws {
        let good = try JPEG.encode(try SyntheticImageSource(count: 1, width: 120, height: 90, seed: 3).image(0))
        for cut in [2, 50, good.count / 2, good.count - 2] {
            do {
                _ = try JPEG.decode(Array(good.prefix(cut)), path: "cut.jpg")
                Issue.record("a JPEG cut at \(cut) of \(good.count) bytes decoded without error")
            } catch {
                #expect(error.description.hasPrefix("cut.jpg"))
            }
        }
    }

    @Test func unknownBytesAreAnUnsupportedFormat() {
        #expect(throws: ImageError.unsupportedFormat(path: "x.jpg", detail: "first bytes 47 49 46 38")) {
            try ImageFormat.decode(Array("GIF89a...".utf8), path: "x.jpg")
        }
        #expect(throws: ImageError.unsupportedFormat(path: "e.png", detail: "empty file")) { try ImageFormat.decode([], path: "e.png") }
    }
}
