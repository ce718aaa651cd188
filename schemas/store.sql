-- TinyDistill store, format version 1: the source of truth for the store's tables.
-- Created by the numbered migrations in Sources/Store/StoreSchema.swift (test: StoreSchemaTests).
-- GRDB's own bookkeeping table (grdb_migrations) lists the applied migrations and is not part of this file.

-- One row: the metadata document (schemas/store-metadata.schema.json), canonical JSON.
CREATE TABLE metadata (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    format_version INTEGER NOT NULL,
    document TEXT NOT NULL
);

-- The dataset's samples: stable id, key (relative path or synthetic name), label (NULL when unknown).
CREATE TABLE samples (
    sample_id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    label INTEGER
);

-- One row per (epoch, chunk): a few thousand records, columnar, transformed and zstd-compressed.
-- checksum: XXH64 of the decoded payload, as a signed 64-bit integer.
-- raw_bytes: decoded payload size. kl_sum / kl_max: write-time KL(fp16 dense || stored dense), 0 for fp16.
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
);

-- Lookup of (epoch, sample): the chunks whose sample range can hold it.
CREATE INDEX chunks_by_sample ON chunks (epoch, max_sample);

-- Samples the teacher stage could not process (corrupt image, unreadable file), with the reason.
CREATE TABLE failures (
    epoch INTEGER NOT NULL,
    sample_id INTEGER NOT NULL,
    key TEXT,
    reason TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (epoch, sample_id)
);

-- One row per writer session: the store's resume history.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    tool_version TEXT NOT NULL,
    records_written INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'interrupted'))
);
