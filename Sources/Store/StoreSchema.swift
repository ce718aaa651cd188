import GRDB

/// The store's tables, created through numbered migrations.
///
/// `schemas/store.sql` is the source of truth; a test checks that migrating an empty file yields
/// exactly the schema that file declares.
public enum StoreSchema {
    /// Migration identifiers this build knows, in order.
    public static let migrationIDs = ["v1-initial"]

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-initial") { db in
            for statement in v1 { try db.execute(sql: statement) }
        }
        return m
    }

    static let v1: [String] = [
        """
        CREATE TABLE metadata (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            format_version INTEGER NOT NULL,
            document TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE samples (
            sample_id INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            label INTEGER
        )
        """,
        """
        CREATE TABLE chunks (
            id INTEGER PRIMARY KEY,
            epoch INTEGER NOT NULL,
            chunk INTEGER NOT NULL,
            record_count INTEGER NOT NULL CHECK (record_count > 0),
            min_sample INTEGER NOT NULL,
            max_sample INTEGER NOT NULL,
            raw_bytes INTEGER NOT NULL,
            checksum INTEGER NOT NULL,
            kl_sum REAL NOT NULL DEFAULT 0,
            kl_max REAL NOT NULL DEFAULT 0,
            payload BLOB NOT NULL,
            UNIQUE (epoch, chunk)
        )
        """,
        "CREATE INDEX chunks_by_sample ON chunks (epoch, max_sample)",
        """
        CREATE TABLE failures (
            epoch INTEGER NOT NULL,
            sample_id INTEGER NOT NULL,
            key TEXT,
            reason TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            PRIMARY KEY (epoch, sample_id)
        )
        """,
        """
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            tool_version TEXT NOT NULL,
            records_written INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'interrupted'))
        )
        """,
    ]
}
