import DetCore
import Testing
@testable import Augment

/// The LUT ops (invert, posterize, solarize, solarize-add, autocontrast, equalize) consume their image:
/// given the only copy they change its pixels in place; given a shared one they leave the other copy alone.
@Suite struct LUTInPlaceTests {
    static func image() -> Image {
        var rng = SplitMix(seed: 17)
        return Image(width: 23, height: 19, channels: 3, pixels: (0..<(23 * 19 * 3)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
    }

    static func address(_ img: Image) -> UInt { img.pixels.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } }

    @Test func anUnsharedImageIsChangedInPlace() {
        var img = Self.image()
        let expected = img.pixels.map { 255 - $0 }
        let before = Self.address(img)
        img = PixelOps.invert(consume img)
        #expect(img.pixels == expected)
        #expect(Self.address(img) == before, "invert copied an image nothing else held")
    }

    @Test func aSharedImageKeepsItsOtherCopy() {
        let original = Self.image()
        let saved = original.pixels
        for op in [{ PixelOps.invert($0) }, { PixelOps.posterize($0, bits: 3) }, { PixelOps.solarize($0, threshold: 100) },
                   { PixelOps.solarizeAdd($0, add: 40) }, { PixelOps.autoContrast($0) }, { PixelOps.equalize($0) }] as [(Image) -> Image] {
            let out = op(original)
            #expect(original.pixels == saved)
            #expect(out.pixels != saved)
        }
    }
}
