import DetCore
import Augment
import Images
import Store

/// A picture of a store: replayed augmented samples (exactly what the teacher saw) on a grid, each with
/// its stored top-3 written under it as "class-name probability%" (the dataset's class names, in
/// ``GridFont``; names that do not fit the tile are cut).
public enum StoreGrid {
    /// One tile's record.
    public struct Tile: Sendable, Equatable {
        public var epoch: Int, sample: Int, key: String, label: Int
        /// Top-3 (class, probability), highest first.
        public var top: [(Int, Float)]
        public static func == (a: Tile, b: Tile) -> Bool {
            a.epoch == b.epoch && a.sample == b.sample && a.key == b.key && a.label == b.label
                && a.top.map(\.0) == b.top.map(\.0) && a.top.map(\.1) == b.top.map(\.1)
        }
    }

    /// Renders `count` records of `epoch` (samples spread evenly over the dataset) from the store at
    /// `storePaths`, replayed from `data`; tiles are scaled up `scale` times (nearest) for visibility.
    public static func render(storePaths: [String], data: String, epoch: Int = 0, count: Int = 16, columns: Int = 8,
                              scale: Int = 3) throws(PipelineError) -> (Image, [Tile]) {
        let loader = try Loader(storePaths: storePaths, data: data, options: LoaderOptions(batch: 1))
        let renderer = SampleRenderer(source: loader.source, replay: Replay(policy: loader.policy, channels: loader.channels))
        let side = loader.policy.outputSize * scale
        let textRows = 3 * GridFont.height
        let gap = 6
        let cols = min(columns, count)
        let rows = (count + cols - 1) / cols
        let cellH = side + textRows + 4
        let w = cols * side + (cols + 1) * gap, h = rows * cellH + (rows + 1) * gap
        var px = [UInt8](repeating: 255, count: w * h)
        var tiles: [Tile] = []
        let n = loader.source.count
        for i in 0..<count {
            let sample = min(n - 1, i * n / count)
            let rec: TargetRecord
            do {
                guard let r = try loader.store.record(epoch: epoch, sample: sample) else { continue }
                rec = r
            } catch {
                throw .store(error)
            }
            let pixels: Image
            do { pixels = try renderer.render(sample, seed: rec.seed).0 } catch { throw .failed(error.description) }
            let pairs = zip(rec.indices, rec.probabilities).sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(3)
            let ref = loader.source.sample(sample)
            tiles.append(Tile(epoch: epoch, sample: sample, key: ref.key, label: ref.label, top: pairs.map { (Int($0.0), $0.1) }))
            let ox = gap + (i % cols) * (side + gap), oy = gap + (i / cols) * (cellH + gap)
            let c = pixels.channels
            for y in 0..<side {
                for x in 0..<side {
                    let sx = x / scale, sy = y / scale
                    let base = (sy * pixels.width + sx) * c
                    let v = c == 1 ? Int(pixels.pixels[base])
                        : (Int(pixels.pixels[base]) * 299 + Int(pixels.pixels[base + 1]) * 587 + Int(pixels.pixels[base + 2]) * 114) / 1000
                    px[(oy + y) * w + ox + x] = UInt8(v)
                }
            }
            let names = loader.source.classNames
            for (line, (cls, p)) in pairs.enumerated() {
                let percent = " \(Int((p * 100).rounded()))%"
                let name = Int(cls) < names.count ? names[Int(cls)] : String(cls)
                let room = max(1, side / GridFont.width - percent.count)
                draw(String(name.prefix(room)) + percent, into: &px, width: w, x: ox, y: oy + side + 2 + line * GridFont.height)
            }
        }
        return (Image(width: w, height: h, channels: 1, pixels: px), tiles)
    }

    /// Draws `text` in black with its top-left corner at (x, y), clipped to the picture.
    static func draw(_ text: String, into px: inout [UInt8], width: Int, x: Int, y: Int) {
        for (i, ch) in text.enumerated() {
            for (row, bits) in GridFont.glyph(ch).enumerated() {
                for col in 0..<GridFont.width where bits & (1 << (GridFont.width - 1 - col)) != 0 {
                    let xx = x + i * GridFont.width + col, yy = y + row
                    if xx < width, yy * width + xx < px.count { px[yy * width + xx] = 0 }
                }
            }
        }
    }
}
