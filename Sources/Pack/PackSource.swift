import DetCore
import Foundation
import GRDB
import Images
import Synchronization

/// A finished image pack as a dataset (`--data pack:PATH`): the keys, labels and class names of the
/// source it was made from, and each image from its checksummed blob.
///
/// Its fingerprint is the source's when every image is the source's own (files kept byte for byte,
/// or decoded pixels of a source without files, none resized), so stores made from the source work
/// with the pack and back. Otherwise resizing or re-encoding changed the pixels the teacher saw: the
/// fingerprint mixes in the pack's settings, and a store made from the source is refused.
///
/// Safe to read from several threads: each read borrows one of a few read-only connections.
public struct PackSource: EncodedImageSource {
    /// The pack file.
    public let path: String
    public let classNames: [String]
    /// The settings it was written with.
    public let settings: PackSettings
    /// The source it was made from (its spec as given to `tinydistill pack`) and that source's
    /// fingerprint.
    public let origin: String, originFingerprint: String
    public let fingerprint: String
    private let keys: [String]
    private let labels: [Int32]
    private let kinds: [PackRecord.Kind]
    private let connections: Connections

    /// Opens the finished pack at `path`. Throws a ``PackError`` naming the file when it is missing,
    /// not a pack, of a newer version, damaged or unfinished.
    public init(path: String) throws(PackError) {
        try PackSchema.checkHeader(path: path)
        self.path = path
        connections = Connections(path: path)
        do {
            let (meta, rows) = try connections.read { db in
                (try PackSchema.readMeta(db, path: path), try Row.fetchAll(db, sql: "SELECT id, key, label, kind, verbatim FROM images ORDER BY id"))
            }
            let count = Int(meta["count"] ?? "") ?? -1
            guard meta["complete"] == "1" else { throw PackError.incomplete(path: path, records: rows.count, of: count) }
            guard rows.count == count else {
                throw PackError.notAPack(path: path, detail: "it holds \(rows.count) images, its metadata says \(count)")
            }
            guard let data = meta["class_names"]?.data(using: .utf8), let names = try? JSONDecoder().decode([String].self, from: data),
                  let encoding = meta["encoding"].flatMap(PackSettings.Encoding.init(rawValue:)),
                  let quality = meta["quality"].flatMap(Int.init), let maxSide = meta["max_side"],
                  maxSide == "none" || Int(maxSide) != nil, let origin = meta["source"], let originFingerprint = meta["source_fingerprint"]
            else { throw PackError.notAPack(path: path, detail: "damaged metadata") }
            classNames = names
            settings = PackSettings(maxSide: Int(maxSide), encoding: encoding, quality: quality)
            self.origin = origin
            self.originFingerprint = originFingerprint
            var keys: [String] = [], labels: [Int32] = [], kinds: [PackRecord.Kind] = [], verbatim = true
            keys.reserveCapacity(count)
            labels.reserveCapacity(count)
            kinds.reserveCapacity(count)
            for (i, row) in rows.enumerated() {
                guard let id = PackSchema.integer(row, 0), id == i, let key = PackSchema.text(row, 1),
                      let label = PackSchema.integer(row, 2), let label32 = Int32(exactly: label),
                      let k = PackSchema.text(row, 3).flatMap(PackRecord.Kind.init(rawValue:)), let v = PackSchema.integer(row, 4)
                else { throw PackError.notAPack(path: path, detail: "image row \(i) is damaged") }
                keys.append(key)
                labels.append(label32)
                kinds.append(k)
                verbatim = verbatim && v == 1
            }
            var f = verbatim ? DatasetFingerprint() : DatasetFingerprint(salt: settings.fingerprintSalt + " source=" + originFingerprint)
            for i in 0..<count { f.add(key: keys[i], label: Int(labels[i])) }
            fingerprint = f.value
            self.keys = keys
            self.labels = labels
            self.kinds = kinds
        } catch let error as PackError {
            throw error
        } catch {
            throw .notAPack(path: path, detail: "\(error)")
        }
    }

    public var count: Int { keys.count }
    public var source: String { "pack:" + path }

    public func sample(_ id: Int) -> Sample {
        Sample(id: id, key: keys[id], label: Int(labels[id]))
    }

    /// How sample `id` is held.
    public func kind(_ id: Int) -> PackRecord.Kind { kinds[id] }

    /// What names sample `id` in errors: the pack, the id and the source's key.
    public func location(_ id: Int) -> String { "\(path)#\(id) (\(keys[id]))" }

    /// The blob of sample `id` with its stored size, checked against its checksum.
    public func blob(_ id: Int) throws(ImageError) -> (data: [UInt8], width: Int, height: Int, channels: Int) {
        let result: (data: [UInt8], width: Int, height: Int, channels: Int, checksum: Int64)?
        do {
            result = try connections.read { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT data, width, height, channels, checksum FROM images WHERE id = ?",
                                                 arguments: [id]) else { return nil }
                guard case .blob(let data) = (row[0] as DatabaseValue).storage else {
                    throw ImageError.corrupt(path: location(id), detail: "the image row holds no blob")
                }
                let bytes = [UInt8](data)
                guard let w = PackSchema.integer(row, 1), let h = PackSchema.integer(row, 2), let c = PackSchema.integer(row, 3),
                      let sum = PackSchema.integer(row, 4) else { throw ImageError.corrupt(path: location(id), detail: "the image row is damaged") }
                return (bytes, w, h, c, Int64(sum))
            }
        } catch let error as ImageError {
            throw error
        } catch {
            throw .unreadable(path: location(id), detail: "\(error)")
        }
        guard let result else { throw .unreadable(path: location(id), detail: "the image row is missing") }
        guard Int64(bitPattern: XXH64.hash(result.data)) == result.checksum else {
            throw .corrupt(path: location(id), detail: "the blob does not match its checksum; the pack is damaged, rebuild it")
        }
        return (result.data, result.width, result.height, result.channels)
    }

    public func encoded(_ id: Int) throws(ImageError) -> (bytes: [UInt8], path: String)? {
        switch kinds[id] {
        case .raw: return nil
        case .jpeg, .png: return (try blob(id).data, location(id))
        case .bad: throw badSample(id, try blob(id).data)
        }
    }

    public func image(_ id: Int) throws(ImageError) -> Image {
        let b = try blob(id)
        switch kinds[id] {
        case .jpeg, .png: return try ImageFormat.decode(b.data, path: location(id))
        case .bad: throw badSample(id, b.data)
        case .raw:
            guard b.width > 0, b.height > 0, [1, 3].contains(b.channels), b.data.count == b.width * b.height * b.channels else {
                throw .corrupt(path: location(id), detail: "\(b.data.count) raw bytes for \(b.width)×\(b.height)×\(b.channels)")
            }
            return Image(width: b.width, height: b.height, channels: b.channels, pixels: b.data)
        }
    }

    /// The error of a sample whose source image failed when packed; `message` is the stored error.
    private func badSample(_ id: Int, _ message: [UInt8]) -> ImageError {
        .corrupt(path: location(id), detail: "the source image failed when packed: " + String(decoding: message, as: UTF8.self))
    }

    /// Read-only connections, lent to one thread at a time; as many exist as threads ever read at once.
    private final class Connections: Sendable {
        let path: String
        private let idle = Mutex<[DatabaseQueue]>([])

        init(path: String) { self.path = path }

        func read<T>(_ body: (Database) throws -> T) throws -> T {
            let db = try idle.withLock { $0.popLast() } ?? open()
            defer { idle.withLock { $0.append(db) } }
            return try db.read(body)
        }

        private func open() throws -> DatabaseQueue {
            var config = Configuration()
            config.readonly = true
            config.label = "tinydistill-pack-reader"
            config.busyMode = .timeout(5)
            return try DatabaseQueue(path: path, configuration: config)
        }
    }
}
