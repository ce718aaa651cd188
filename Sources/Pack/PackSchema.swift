import Foundation
import GRDB

/// The image pack's file: SQLite with one metadata table of text values and one row per image, its blob
/// checksummed with XXH64 (`docs/store-format.md`, "Image packs").
enum PackSchema {
    /// `format` in the metadata: tells a pack from any other SQLite file.
    static let format = "tinydistill-image-pack"
    /// The layout version this build writes and reads.
    static let version = 1

    static let create = """
        CREATE TABLE pack_meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
        CREATE TABLE images (
            id INTEGER PRIMARY KEY NOT NULL,
            key TEXT NOT NULL,
            label INTEGER NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            channels INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('jpeg', 'png', 'raw', 'bad')),
            verbatim INTEGER NOT NULL,
            checksum INTEGER NOT NULL,
            data BLOB NOT NULL
        );
        """

    /// Throws unless `path` starts like an SQLite database (so a stray file is never opened, let alone
    /// written, as one).
    static func checkHeader(path: String) throws(PackError) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .io(path: path, detail: FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 16)) ?? Data()
        guard head == Data("SQLite format 3\u{0}".utf8) else {
            throw .notAPack(path: path, detail: head.isEmpty ? "empty file" : "not an SQLite file")
        }
    }

    /// Column `i` of `row` as an integer, nil when it is NULL or not an integer: a crafted or damaged file
    /// never reaches GRDB's fatal conversions.
    static func integer(_ row: Row, _ i: Int) -> Int? { Int.fromDatabaseValue(row[i] as DatabaseValue) }

    /// Column `i` of `row` as text, nil when it is NULL or not text.
    static func text(_ row: Row, _ i: Int) -> String? { String.fromDatabaseValue(row[i] as DatabaseValue) }

    /// The metadata, checked to be a pack of this version.
    static func readMeta(_ db: Database, path: String) throws -> [String: String] {
        guard try db.tableExists("pack_meta"), try db.tableExists("images") else {
            throw PackError.notAPack(path: path, detail: "no pack_meta or images table")
        }
        var meta: [String: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT key, value FROM pack_meta") {
            guard let k = text(row, 0), let v = text(row, 1) else { throw PackError.notAPack(path: path, detail: "damaged metadata") }
            meta[k] = v
        }
        guard meta["format"] == format else {
            throw PackError.notAPack(path: path, detail: "format is \(meta["format"] ?? "missing")")
        }
        guard let v = meta["version"].flatMap(Int.init), v <= version else {
            throw PackError.notAPack(path: path, detail: "pack version \(meta["version"] ?? "missing") is newer than this build reads (\(version))")
        }
        return meta
    }
}
