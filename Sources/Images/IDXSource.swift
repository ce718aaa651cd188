import DetCore
import CImageCodecs
import Foundation

/// The IDX files of MNIST-style datasets (Fashion-MNIST as Debian's `dataset-fashion-mnist`
/// installs it): an images file (magic 2051, N × rows × cols bytes) and a labels file (magic 2049,
/// N bytes), gzip-compressed or not. Keys are `split/index`; images are 1-channel.
public struct IDXSource: ImageSource {
    /// Where Debian's dataset-fashion-mnist puts the files.
    public static let fashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"
    /// Fashion-MNIST's class names.
    public static let fashionMNISTClasses = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    public let classNames: [String]
    public let source: String
    /// Image size.
    public let rows: Int, cols: Int
    private let split: String
    private let pixels: [UInt8]
    private let labels: [UInt8]

    /// Opens `fashion-mnist:train` or `fashion-mnist:test` from `directory`.
    public init(fashionMNIST split: String, directory: String = IDXSource.fashionMNISTDirectory) throws(ImageError) {
        let files = try Self.fashionMNISTFiles(split, directory: directory)
        try self.init(images: files.images, labels: files.labels, split: split, classNames: Self.fashionMNISTClasses,
                      source: "fashion-mnist:\(split)")
    }

    /// The images and labels files of a Fashion-MNIST split (`train` or `test`) in `directory`.
    public static func fashionMNISTFiles(_ split: String, directory: String = IDXSource.fashionMNISTDirectory) throws(ImageError)
        -> (images: String, labels: String) {
        let prefix: String
        switch split {
        case "train": prefix = "train"
        case "test": prefix = "t10k"
        default: throw ImageError.invalidArgument("fashion-mnist split '\(split)': expected train or test")
        }
        func pick(_ base: String) -> String {
            let plain = directory + "/" + base
            return FileManager.default.fileExists(atPath: plain) ? plain : plain + ".gz"
        }
        return (pick("\(prefix)-images-idx3-ubyte"), pick("\(prefix)-labels-idx1-ubyte"))
    }

    /// Opens an images file and a labels file (each gzip or plain).
    public init(images: String, labels: String, split: String, classNames: [String], source: String) throws(ImageError) {
        let imageBytes = try Self.load(images)
        let labelBytes = try Self.load(labels)
        func be32(_ b: [UInt8], _ o: Int) -> Int { Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3]) }
        guard imageBytes.count >= 16, be32(imageBytes, 0) == 2051 else {
            throw ImageError.badDataset(path: images, detail: "not an IDX images file (magic number is not 2051)")
        }
        guard labelBytes.count >= 8, be32(labelBytes, 0) == 2049 else {
            throw ImageError.badDataset(path: labels, detail: "not an IDX labels file (magic number is not 2049)")
        }
        let n = be32(imageBytes, 4), rows = be32(imageBytes, 8), cols = be32(imageBytes, 12)
        guard rows > 0, cols > 0, rows <= 4096, cols <= 4096, n > 0 else {
            throw ImageError.badDataset(path: images, detail: "implausible header: \(n) images of \(rows)×\(cols)")
        }
        guard imageBytes.count == 16 + n * rows * cols else {
            throw ImageError.badDataset(path: images, detail: "holds \(imageBytes.count - 16) pixel bytes, the header promises \(n * rows * cols) (truncated?)")
        }
        let ln = be32(labelBytes, 4)
        guard ln == n, labelBytes.count == 8 + n else {
            throw ImageError.badDataset(path: labels, detail: "holds \(labelBytes.count - 8) labels (header: \(ln)); the images file has \(n)")
        }
        let labelArray = Array(labelBytes[8...])
        if let bad = labelArray.firstIndex(where: { Int($0) >= classNames.count }) {
            throw ImageError.badDataset(path: labels, detail: "label \(labelArray[bad]) of sample \(bad) is not below \(classNames.count)")
        }
        self.rows = rows
        self.cols = cols
        self.pixels = Array(imageBytes[16...])
        self.labels = labelArray
        self.split = split
        self.classNames = classNames
        self.source = source
    }

    static func load(_ path: String) throws(ImageError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ImageError.unreadable(path: path, detail: FileManager.default.fileExists(atPath: path) ? "permission denied or I/O error" : "no such file (install dataset-fashion-mnist: scripts/bootstrap)")
        }
        let bytes = [UInt8](data)
        guard bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B else { return bytes }
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var err = [CChar](repeating: 0, count: 256)
        let rc = bytes.withUnsafeBufferPointer { b in td_gunzip(b.baseAddress, b.count, &out, &size, &err, err.count) }
        guard rc == 0, let out else {
            throw ImageError.corrupt(path: path, detail: String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        defer { td_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }

    public var count: Int { labels.count }

    public func sample(_ id: Int) -> Sample {
        Sample(id: id, key: Sample.numberedKey(split, id, digits: 5), label: Int(labels[id]))
    }

    public func image(_ id: Int) throws(ImageError) -> Image {
        let size = rows * cols
        return Image(width: cols, height: rows, channels: 1, pixels: Array(pixels[(id * size)..<((id + 1) * size)]))
    }
}
