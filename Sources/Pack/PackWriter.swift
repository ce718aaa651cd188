import DetCore
import Foundation
import GRDB

/// Writes an image pack, or resumes one: records go in id order, a batch per transaction, so an
/// interrupted run leaves every whole batch written and the next run continues after the last one.
///
/// Resuming checks that the pack was started from the same source (by fingerprint) with the same
/// settings, and refuses otherwise, naming the setting. A file that is not a pack is never written.
public final class PackWriter {
    /// The pack file.
    public let path: String
    /// Samples the finished pack holds.
    public let count: Int
    /// Records written so far (ids 0..<written), including earlier runs'.
    public private(set) var written: Int
    /// Records earlier runs wrote.
    public let resumedFrom: Int
    private let db: DatabaseQueue

    /// Opens `path` for `count` samples of `source` (its spec and fingerprint) under `settings`: a new
    /// pack when the file does not exist, else the one there, checked against them.
    public init(path: String, source: String, sourceFingerprint: String, count: Int, classNames: [String],
                settings: PackSettings) throws(PackError) {
        try settings.validate()
        self.path = path
        self.count = count
        let exists = FileManager.default.fileExists(atPath: path)
        if exists { try PackSchema.checkHeader(path: path) }
        var config = Configuration()
        config.label = "tinydistill-pack-writer"
        config.busyMode = .timeout(5)
        do {
            db = try DatabaseQueue(path: path, configuration: config)
            if exists {
                let meta = try db.read { try PackSchema.readMeta($0, path: path) }
                let checks: [(String, String?, String)] = [
                    ("source fingerprint", meta["source_fingerprint"], sourceFingerprint),
                    ("max_side", meta["max_side"], settings.maxSide.map(String.init) ?? "none"),
                    ("encoding", meta["encoding"], settings.encoding.rawValue),
                    ("quality", meta["quality"], String(settings.quality)),
                ]
                for (field, have, want) in checks where have != want {
                    throw PackError.mismatch(path: path, field: field, pack: have ?? "(missing)", requested: want)
                }
                written = try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM images") ?? 0 }
                let last = try db.read { try Int.fetchOne($0, sql: "SELECT MAX(id) FROM images") } ?? -1
                guard last == written - 1 else {
                    throw PackError.notAPack(path: path, detail: "image ids are not 0..<\(written); the file was altered")
                }
            } else {
                let names = String(decoding: try JSONEncoder().encode(classNames), as: UTF8.self)
                let meta: [(String, String)] = [
                    ("format", PackSchema.format), ("version", String(PackSchema.version)), ("source", source),
                    ("source_fingerprint", sourceFingerprint), ("count", String(count)), ("class_names", names),
                    ("max_side", settings.maxSide.map(String.init) ?? "none"), ("encoding", settings.encoding.rawValue),
                    ("quality", String(settings.quality)), ("complete", "0"),
                ]
                try db.write { db in
                    try db.execute(sql: PackSchema.create)
                    for (k, v) in meta { try db.execute(sql: "INSERT INTO pack_meta VALUES (?, ?)", arguments: [k, v]) }
                }
                written = 0
            }
        } catch let error as PackError {
            throw error
        } catch {
            if !exists { try? FileManager.default.removeItem(atPath: path) }
            throw .io(path: path, detail: "\(error)")
        }
        resumedFrom = written
    }

    /// Appends `records`, whose ids must continue from ``written``, in one transaction.
    public func append(_ records: [PackRecord]) throws(PackError) {
        for (i, r) in records.enumerated() where r.id != written + i {
            throw .invalid(field: "id", value: String(r.id), why: "records go in id order; expected \(written + i)")
        }
        guard written + records.count <= count else {
            throw .invalid(field: "id", value: String(written + records.count - 1), why: "the pack holds \(count) images")
        }
        do {
            try db.write { db in
                for r in records {
                    let checksum = Int64(bitPattern: XXH64.hash(r.data))
                    try db.execute(
                        sql: "INSERT INTO images VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        arguments: [r.id, r.key, r.label, r.width, r.height, r.channels, r.kind.rawValue, r.verbatim ? 1 : 0,
                                    checksum, Data(r.data)])
                }
            }
        } catch {
            throw .io(path: path, detail: "writing images \(written)..<\(written + records.count): \(error)")
        }
        written += records.count
    }

    /// Marks the pack complete once every image is written; only then does it open as a source.
    public func finish() throws(PackError) {
        guard written == count else { throw .incomplete(path: path, records: written, of: count) }
        do {
            try db.write { try $0.execute(sql: "UPDATE pack_meta SET value = '1' WHERE key = 'complete'") }
        } catch {
            throw .io(path: path, detail: "\(error)")
        }
    }
}
