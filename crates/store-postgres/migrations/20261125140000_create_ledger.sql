-- The ledger: one row per entry, hash-chained (see hemaflow-ledger's entry module).
-- Payloads are TEXT, not JSONB: the canonical bytes are kept exactly as hashed.
-- Keys use the "C" collation so that ordering is byte order, the same as on SQLite and in Rust.
CREATE TABLE entries (
    sequence    BIGINT PRIMARY KEY,
    recorded_at TEXT   NOT NULL,
    actor       TEXT   NOT NULL,
    role        TEXT   NOT NULL,
    command_id  TEXT   NOT NULL COLLATE "C",
    kind        TEXT   NOT NULL CHECK (kind IN ('event', 'refusal')),
    event_type  TEXT   NOT NULL,
    payload     TEXT   NOT NULL,
    prev_hash   TEXT   NOT NULL,
    hash        TEXT   NOT NULL
);
CREATE INDEX entries_command_id ON entries (command_id);

-- Idempotency: which entries answered each command ID.
CREATE TABLE commands (
    command_id     TEXT    PRIMARY KEY COLLATE "C",
    command_hash   TEXT    NOT NULL,
    first_sequence BIGINT  NOT NULL UNIQUE,
    last_sequence  BIGINT  NOT NULL,
    refused        BOOLEAN NOT NULL
);

-- Projections that screens and reports read; rebuilt from the ledger at any time.
CREATE TABLE projection_rows (
    kind        TEXT   NOT NULL COLLATE "C",
    id          TEXT   NOT NULL COLLATE "C",
    status      TEXT,
    body        JSONB  NOT NULL,
    updated_seq BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX projection_rows_kind_status ON projection_rows (kind, status);
