import DetCore
import ArgumentParser
import Augment
import Foundation
import Images
import DataPipeline

/// `tinydistill augment`: renders augmented views of an image so a person can check a policy.
struct AugmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "augment",
        abstract: "Render a grid of augmented views of one image, with each view's decoded parameters.",
        discussion: """
            The first tile is the whole image resized to the output size; then one tile per seed (seeds \
            FIRST, FIRST+1, …) with RandomResizedCrop, flip, RandAugment and random erasing (shown as the \
            noise it becomes) exactly as precompute and the loader replay them. The parameters of every \
            view are printed (or written as JSON with --json: the image, the grid, the policy hash and \
            per view its seed, crop, flip, operations and erased box).

            Examples:
              tinydistill augment photo.jpg --seeds 16 --out grid.png
              tinydistill augment digit.png --size 64 --policy policy.json --out grid.png
            """
    )

    @Argument(help: "A JPEG or PNG image.")
    var image: String

    @Option(help: "Number of augmented views.")
    var seeds: Int = 16

    @Option(help: "First seed.")
    var firstSeed: UInt64 = 0

    @Option(help: "Output PNG file.")
    var out: String

    @Option(help: "Policy JSON (schemas/augment-policy.schema.json); default: the TinyViT recipe.")
    var policy: String?

    @Option(help: "Output size of the default policy, in pixels.")
    var size: Int = 224

    @Option(help: "Tiles per row.")
    var columns: Int = 4

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (1...256).contains(seeds) else { throw ValidationError("--seeds must be in 1…256") }
        guard (8...1024).contains(size) else { throw ValidationError("--size must be in 8…1024") }
        guard (1...64).contains(columns) else { throw ValidationError("--columns must be in 1…64") }
    }

    func run() throws {
        guard let data = FileManager.default.contents(atPath: image) else {
            throw CLIFailure(message: "\(image): cannot read the image (missing file or no permission)")
        }
        let decoded: Image
        do {
            decoded = try ImageFormat.decode([UInt8](data), path: image)
        } catch {
            throw CLIFailure(message: error.description)
        }
        var p = AugmentPolicy.tinyViT(outputSize: size)
        if let policy {
            guard let bytes = FileManager.default.contents(atPath: policy) else {
                throw CLIFailure(message: "\(policy): cannot read the policy file")
            }
            do {
                p = try AugmentPolicy.parse([UInt8](bytes), source: policy)
            } catch {
                throw CLIFailure(message: error.description)
            }
        }
        let seedList = (0..<UInt64(seeds)).map { firstSeed &+ $0 }
        let (grid, views) = AugmentGrid.render(image: decoded, policy: p, seeds: seedList, columns: columns)
        do {
            try Data(try PNG.encode(grid)).write(to: URL(fileURLWithPath: out))
        } catch let e as ImageError {
            throw CLIFailure(message: e.description)
        } catch {
            throw CLIFailure(message: "\(out): cannot write (\(error.localizedDescription))")
        }
        if output.json {
            let list = views.map { seed, params -> [String: Any] in
                var d: [String: Any] = [
                    "seed": seed, "crop": [params.crop.x, params.crop.y, params.crop.width, params.crop.height],
                    "flip": params.flip,
                    "ops": params.steps.map { ["op": $0.op.rawValue, "applied": $0.applied, "magnitude": $0.magnitude, "argument": $0.argument] },
                ]
                if let e = params.erase { d["erase"] = [e.x, e.y, e.width, e.height] }
                return d
            }
            let doc: [String: Any] = ["image": image, "grid": out, "policy_hash": p.hash, "views": list]
            print(String(decoding: try JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
        } else {
            print("grid \(out): \(grid.width)×\(grid.height), tile 1 = original, tiles 2… = seeds \(firstSeed)…; policy \(p.hash)")
            for (i, (_, params)) in views.enumerated() {
                print("\ntile \(i + 2):")
                print(params.description.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            }
        }
    }
}
