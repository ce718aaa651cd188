import Foundation
import Images

/// Opens the image datasets users name on the command line.
///
/// - `fashion-mnist:train`, `fashion-mnist:test`: the Debian package `dataset-fashion-mnist`.
/// - `synthetic-images:N:WxHxC[:SEED[:CLASSES]]`: generated images (benchmarks and tests).
/// - any other value: an ImageFolder root (one sub-folder per class, JPEG/PNG files inside).
public enum DataSource {
    /// The source `spec` names; `option` names the flag in errors.
    public static func open(_ spec: String, option: String = "--data") throws(PipelineError) -> any ImageSource {
        do {
            if spec.hasPrefix("fashion-mnist:") {
                return try IDXSource(fashionMNIST: String(spec.dropFirst("fashion-mnist:".count)))
            }
            if spec.hasPrefix("synthetic-images:") {
                let parts = spec.split(separator: ":").map(String.init)
                let dims = parts.count > 2 ? parts[2].split(separator: "x").compactMap { Int($0) } : []
                guard parts.count >= 3, parts.count <= 5, let n = Int(parts[1]), dims.count == 3 else {
                    throw PipelineError.badOption(option: option, value: spec, why: "expected synthetic-images:N:WxHxC[:SEED[:CLASSES]]")
                }
                let seed = parts.count > 3 ? UInt64(parts[3]) : 0
                let classes = parts.count > 4 ? Int(parts[4]) : 10
                guard let seed, let classes else {
                    throw PipelineError.badOption(option: option, value: spec, why: "SEED and CLASSES must be integers")
                }
                return try SyntheticImageSource(count: n, width: dims[0], height: dims[1], channels: dims[2], classes: classes, seed: seed)
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: spec, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw PipelineError.badOption(option: option, value: spec,
                                              why: "not a folder; use an ImageFolder root, fashion-mnist:train|test or synthetic-images:N:WxHxC")
            }
            return try ImageFolderSource(root: spec)
        } catch let error as PipelineError {
            throw error
        } catch let error as ImageError {
            throw PipelineError.badOption(option: option, value: spec, why: error.description)
        } catch {
            throw PipelineError.badOption(option: option, value: spec, why: "\(error)")
        }
    }
}
