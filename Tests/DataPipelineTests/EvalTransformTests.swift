import DetCore
import Images
import DataPipeline
import ModelJobs
import Testing

@Suite struct EvalTransformTests {
    func image(_ w: Int, _ h: Int, channels: Int = 3) -> Image {
        Image(width: w, height: h, channels: channels, pixels: (0..<(w * h * channels)).map { UInt8(($0 * 7) % 256) })
    }

    @Test func shorterSideGoesToSizeOverPoint875ThenCentreCrop() {
        let t = EvalTransform(size: 224, channels: 3)
        #expect(t.resizeLength == 256)
        let out = t.pixels(image(500, 375))
        #expect(out.width == 224 && out.height == 224 && out.channels == 3)
        #expect(EvalTransform(size: 32, channels: 1).resizeLength == 36)
    }

    @Test func imageAlreadyAtResizeLengthIsOnlyCropped() {
        let t = EvalTransform(size: 28, channels: 1)
        let src = image(32, 40, channels: 1)  // shorter side 32 == resizeLength
        let out = t.pixels(src)
        // torchvision offsets: top = round((40 - 28) / 2) = 6, left = round((32 - 28) / 2) = 2
        for y in 0..<28 {
            for x in 0..<28 { #expect(out.pixel(x, y) == src.pixel(x + 2, y + 6)) }
        }
    }

    @Test func channelsAreConvertedAndNormalised() {
        let t = EvalTransform(size: 4, channels: 1)
        let white = Image(width: 4, height: 4, channels: 3, pixels: [UInt8](repeating: 255, count: 48))
        let x = t.tensor(white)
        #expect(x.count == 16)
        // Resizing to 4/0.875 = 4 (int) keeps the image; (1 - 0.485) / 0.229
        #expect(abs(x[0] - Float((1 - 0.485) / 0.229)) < 1e-6)
        let rgb = EvalTransform(size: 4, channels: 3).tensor(Image(width: 4, height: 4, channels: 1, pixels: [UInt8](repeating: 0, count: 16)))
        #expect(rgb.count == 48)
        #expect(abs(rgb[16] - Float(-0.456 / 0.224)) < 1e-6)
    }
}
