import DetCore
import Augment
import Images

/// Renders augmented views of one image side by side, for a person to check the policy: the
/// original (resized to the output size) first, then one view per seed, on a grid with 4-pixel gaps.
public enum AugmentGrid {
    /// The grid image and, per view, its seed and decoded parameters.
    public static func render(image: Image, policy: AugmentPolicy, seeds: [UInt64], columns: Int = 4)
        -> (grid: Image, views: [(UInt64, AugParams)])
    {
        let side = policy.outputSize
        let src = image
        let augmenter = Augmenter(policy: policy)
        var tiles: [Image] = [
            Image(width: side, height: side, channels: image.channels,
                        pixels: Resample.resize(image.pixels, width: image.width, height: image.height, channels: image.channels,
                                               toWidth: side, height: side, kind: policy.interpolation))
        ]
        var views: [(UInt64, AugParams)] = []
        for seed in seeds {
            let params = AugParams.decode(seed: seed, policy: policy, width: image.width, height: image.height)
            var view = augmenter.pixels(src, params)
            if let e = params.erase {
                // Show the erased box as the noise it becomes, mapped back to pixels.
                let planes = augmenter.normalized(view, params)
                let n = side * side
                for ch in 0..<view.channels {
                    let mean = policy.mean[min(ch, 2)], std = policy.std[min(ch, 2)]
                    for y in e.y..<(e.y + e.height) {
                        for x in e.x..<(e.x + e.width) {
                            let v = (Double(planes[ch * n + y * side + x]) * std + mean) * 255
                            view.pixels[(y * side + x) * view.channels + ch] = UInt8(min(max(v.rounded(), 0), 255))
                        }
                    }
                }
            }
            tiles.append(view)
            views.append((seed, params))
        }
        let gap = 4
        let cols = min(columns, tiles.count)
        let rows = (tiles.count + cols - 1) / cols
        let w = cols * side + (cols + 1) * gap, h = rows * side + (rows + 1) * gap
        let c = image.channels
        var px = [UInt8](repeating: 255, count: w * h * c)
        for (i, t) in tiles.enumerated() {
            let ox = gap + (i % cols) * (side + gap), oy = gap + (i / cols) * (side + gap)
            for y in 0..<side {
                let dst = ((oy + y) * w + ox) * c
                px.replaceSubrange(dst..<(dst + side * c), with: t.pixels[(y * side * c)..<((y + 1) * side * c)])
            }
        }
        return (Image(width: w, height: h, channels: c, pixels: px), views)
    }
}
