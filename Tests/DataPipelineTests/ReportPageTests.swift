import Foundation
@testable import DataPipeline
import ModelJobs
import Testing

@Suite struct ReportPageTests {
    @Test func thePageIsOneSelfContainedFileWithEverySection() throws {
        let page = try ReportPage.html(paths: [try LoaderTests.store], data: LoaderTests.data, minConfidence: 0.3, gridCount: 4)
        for section in ["Metadata and size", "Probabilities", "Replayed samples", "Class relations", "Label-noise suspects"] {
            #expect(page.contains("<h2>\(section)</h2>"), "missing \(section)")
        }
        #expect(!page.contains("<script") && !page.contains("src=\"http") && !page.contains("href=\"http"))
        // Every picture is an inlined PNG that decodes.
        let images = page.components(separatedBy: "src=\"data:image/png;base64,").dropFirst()
        #expect(images.count >= 2)
        for chunk in images {
            let b64 = String(chunk.prefix { $0 != "\"" })
            let bytes = try #require(Data(base64Encoded: b64))
            #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        }
    }
}

@Suite struct StoreGridTests {
    @Test func tilesCarryTheirClassNamesInText() throws {
        let (image, tiles) = try StoreGrid.render(storePaths: [try LoaderTests.store], data: LoaderTests.data, count: 4, columns: 4)
        #expect(tiles.count == 4)
        // Three lines of 12-pixel text under each 96-pixel tile: some black pixels in each line's band.
        let side = 32 * 3, gap = 6
        for line in 0..<3 {
            let y0 = gap + side + 2 + line * GridFont.height
            let band = (y0..<(y0 + GridFont.height)).flatMap { y in (gap..<(gap + side)).map { image.pixels[y * image.width + $0] } }
            #expect(band.contains(0), "line \(line) under the first tile is empty")
        }
        #expect(GridFont.glyph("A").contains { $0 != 0 } && GridFont.glyph(" ").allSatisfy { $0 == 0 })
    }
}
