import Foundation
import Images
import Pack

/// Opens the image datasets users name on the command line.
///
/// - `fashion-mnist:train`, `fashion-mnist:test`: the Debian package `dataset-fashion-mnist`;
///   `fashion-mnist:train:LABELS` takes its labels from another IDX labels file.
/// - `synthetic-images:N:WxHxC[:SEED[:CLASSES]]`: generated images (benchmarks and tests).
/// - `synthetic:N[:C]`: N samples without images (``SyntheticDataset``); without C, `defaultClasses`.
/// - `pack:PATH`: an image pack written by `tinydistill pack` (``Pack/PackSource``);
/// - any other value: an ImageFolder root (one sub-folder per class, JPEG/PNG files inside).
public enum DataSource {
    /// The source `spec` names; `field` names the setting in errors (`data`, `eval`). `defaultClasses` is
    /// the label class count of `synthetic:N` without `:C` (the teacher's or the store's).
    public static func open(_ spec: String, field: String = "data", defaultClasses: Int? = nil) throws(PipelineError) -> any ImageSource {
        if spec.hasPrefix("synthetic:") {
            let explicit = spec.split(separator: ":", omittingEmptySubsequences: false).count == 3
            guard explicit || defaultClasses != nil else {
                throw .invalid(field: field, value: spec, why: "synthetic:N needs its class count here: write synthetic:N:C")
            }
            do { return try SyntheticDataset(spec: spec, defaultClasses: defaultClasses ?? 2) } catch {
                guard case .invalid(_, let value, let why) = error else { throw error }
                throw .invalid(field: field, value: value, why: why)
            }
        }
        if spec.hasPrefix("pack:") {
            do { return try PackSource(path: String(spec.dropFirst("pack:".count))) } catch {
                throw .invalid(field: field, value: spec, why: error.description)
            }
        }
        do {
            if spec.hasPrefix("fashion-mnist:") {
                // fashion-mnist:SPLIT, or fashion-mnist:SPLIT:LABELS with another labels file (IDX, plain or
                // gzip) for the same images: relabelled copies, such as a known share of flipped labels.
                let rest = spec.dropFirst("fashion-mnist:".count)
                guard let colon = rest.firstIndex(of: ":") else { return try IDXSource(fashionMNIST: String(rest)) }
                let split = String(rest[..<colon]), labels = String(rest[rest.index(after: colon)...])
                return try IDXSource(images: IDXSource.fashionMNISTFiles(split).images, labels: labels, split: split,
                                     classNames: IDXSource.fashionMNISTClasses, source: spec)
            }
            if spec.hasPrefix("synthetic-images:") {
                let parts = spec.split(separator: ":").map(String.init)
                let dims = parts.count > 2 ? parts[2].split(separator: "x").compactMap { Int($0) } : []
                guard parts.count >= 3, parts.count <= 5, let n = Int(parts[1]), dims.count == 3 else {
                    throw PipelineError.invalid(field: field, value: spec, why: "expected synthetic-images:N:WxHxC[:SEED[:CLASSES]]")
                }
                let seed = parts.count > 3 ? UInt64(parts[3]) : 0
                let classes = parts.count > 4 ? Int(parts[4]) : 10
                guard let seed, let classes else {
                    throw PipelineError.invalid(field: field, value: spec, why: "SEED and CLASSES must be integers")
                }
                return try SyntheticImageSource(count: n, width: dims[0], height: dims[1], channels: dims[2], classes: classes, seed: seed)
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: spec, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw PipelineError.invalid(field: field, value: spec,
                                              why: "not a folder; use an ImageFolder root, pack:FILE, fashion-mnist:train|test, synthetic-images:N:WxHxC or synthetic:N[:C]")
            }
            return try ImageFolderSource(root: spec)
        } catch let error as PipelineError {
            throw error
        } catch let error as ImageError {
            throw PipelineError.invalid(field: field, value: spec, why: error.description)
        } catch {
            throw PipelineError.invalid(field: field, value: spec, why: "\(error)")
        }
    }
}
