import Foundation
import GRDB
import Testing
@testable import Store

@Suite struct StoreSchemaTests {
    static var schemaFile: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("schemas/store.sql")
    }

    /// (type, name, table, normalised SQL) of every schema object but SQLite's and GRDB's own.
    static func objects(_ db: Database) throws -> [[String]] {
        try Row.fetchAll(
            db,
            sql: "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' ORDER BY name"
        ).map { row in
            let sql: String = row[3] ?? ""
            let normal = sql.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
                .replacingOccurrences(of: "( ", with: "(").replacingOccurrences(of: " )", with: ")")
            return [row[0], row[1], row[2], normal]
        }
    }

    @Test func migratedSchemaEqualsSchemaFile() throws {
        let text = try String(contentsOf: Self.schemaFile, encoding: .utf8)
        let fromFile = try DatabaseQueue()
        try fromFile.write { db in try db.execute(sql: text) }
        let migrated = try DatabaseQueue()
        try StoreSchema.migrator.migrate(migrated)
        let a = try fromFile.read(Self.objects)
        let b = try migrated.read(Self.objects)
        #expect(a.count == 6)
        #expect(a == b)
    }

    @Test func everyMigrationIsKnown() throws {
        let q = try DatabaseQueue()
        try StoreSchema.migrator.migrate(q)
        let applied = try q.read { db in try StoreSchema.migrator.appliedIdentifiers(db) }
        #expect(applied == Set(StoreSchema.migrationIDs))
    }

    @Test func metadataDocumentRoundTripsThroughCanonicalJSON() throws {
        let meta = testMetadata(c: 21_841, k: 100, codec: .q8)
        let json = meta.canonicalJSON()
        #expect(try StoreMetadata.parse(json, path: "x") == meta)
        #expect(json.contains("\"top_k\":100"))
        // Keys in the JSON schema file match the encoder's.
        let schemaURL = Self.schemaFile.deletingLastPathComponent().appendingPathComponent("store-metadata.schema.json")
        let schema = try JSONSerialization.jsonObject(with: Data(contentsOf: schemaURL)) as! [String: Any]
        let properties = (schema["properties"] as! [String: Any]).keys.sorted()
        let encoded = (try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]).keys.sorted()
        #expect(Set(encoded).isSubset(of: Set(properties)))
        #expect(Set((schema["required"] as! [String])).isSubset(of: Set(encoded)))
    }

    @Test func sampledTargetsMetadataIsDescribedByTheSchema() throws {
        var meta = testMetadata(c: 1000, k: 12)
        meta.targets = SampledTargets(draws: 12, temperature: 2)
        let json = meta.canonicalJSON()
        #expect(try StoreMetadata.parse(json, path: "x") == meta)
        let schemaURL = Self.schemaFile.deletingLastPathComponent().appendingPathComponent("store-metadata.schema.json")
        let schema = try JSONSerialization.jsonObject(with: Data(contentsOf: schemaURL)) as! [String: Any]
        let targets = try #require((schema["properties"] as! [String: Any])["targets"] as? [String: Any])
        let keys = Set((targets["properties"] as! [String: Any]).keys)
        let encoded = (try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any])["targets"] as! [String: Any]
        #expect(Set(encoded.keys) == keys)
        #expect(Set(targets["required"] as! [String]) == keys)
        #expect(targets["additionalProperties"] as? Bool == false)
    }
}
