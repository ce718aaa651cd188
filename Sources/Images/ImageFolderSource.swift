import DetCore
import Foundation

/// A folder with one subfolder per class (sorted class names give labels 0, 1, …) holding JPEG and
/// PNG files (by extension: .jpg, .jpeg, .png, any case). Sample ids follow the sorted relative paths;
/// keys are those relative paths. Other files are ignored; a class folder without images is an error.
public struct ImageFolderSource: EncodedImageSource {
    /// The root folder.
    public let root: String
    public let classNames: [String]
    private let keys: [String]
    private let labels: [Int32]

    /// File extensions taken as images.
    public static let extensions: Set<String> = ["jpg", "jpeg", "png"]

    /// Scans `root`. Throws when it is missing, has no class folders, or a class folder has no images.
    public init(root: String) throws(ImageError) {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            throw ImageError.unreadable(path: root, detail: "no such folder")
        }
        let rootURL = URL(fileURLWithPath: root)
        let entries: [String]
        do {
            entries = try fm.contentsOfDirectory(atPath: root)
        } catch {
            throw ImageError.unreadable(path: root, detail: "\(error.localizedDescription)")
        }
        let classes = entries.filter { name in
            var d: ObjCBool = false
            return !name.hasPrefix(".") && fm.fileExists(atPath: rootURL.appendingPathComponent(name).path, isDirectory: &d) && d.boolValue
        }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        guard !classes.isEmpty else {
            throw ImageError.badDataset(path: root, detail: "no class folders (an ImageFolder has one subfolder per class)")
        }
        var keys: [String] = []
        var labels: [Int32] = []
        for (label, name) in classes.enumerated() {
            let classURL = rootURL.appendingPathComponent(name)
            guard let walker = fm.enumerator(atPath: classURL.path) else {
                throw ImageError.unreadable(path: classURL.path, detail: "cannot list the folder")
            }
            var files: [String] = []
            while let rel = walker.nextObject() as? String {
                let ext = (rel as NSString).pathExtension.lowercased()
                if Self.extensions.contains(ext) && !(rel as NSString).lastPathComponent.hasPrefix(".") {
                    files.append(name + "/" + rel)
                }
            }
            guard !files.isEmpty else {
                throw ImageError.badDataset(path: classURL.path, detail: "class folder '\(name)' holds no .jpg, .jpeg or .png file")
            }
            files.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            keys += files
            labels += Array(repeating: Int32(label), count: files.count)
        }
        self.root = root
        self.classNames = classes
        self.keys = keys
        self.labels = labels
    }

    public var count: Int { keys.count }
    public var source: String { root }

    public func sample(_ id: Int) -> Sample { Sample(id: id, key: keys[id], label: Int(labels[id])) }

    /// The file's bytes (for decoders that choose a scale first).
    public func bytes(_ id: Int) throws(ImageError) -> [UInt8] {
        let path = root + "/" + keys[id]
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ImageError.unreadable(path: path, detail: FileManager.default.fileExists(atPath: path) ? "permission denied or I/O error" : "file disappeared")
        }
        return [UInt8](data)
    }

    public func encoded(_ id: Int) throws(ImageError) -> (bytes: [UInt8], path: String)? {
        (try bytes(id), root + "/" + keys[id])
    }

    public func image(_ id: Int) throws(ImageError) -> Image {
        try ImageFormat.decode(try bytes(id), path: root + "/" + keys[id])
    }
}
