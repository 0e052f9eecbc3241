-- The ledger: one row per entry, hash-chained (see hemaflow-ledger's entry module).
-- Hashes and payloads are stored as the ledger writes them (hex text, canonical JSON text),
-- so that verification never depends on this database's representation.
CREATE TABLE entries (
    sequence    INTEGER PRIMARY KEY,
    recorded_at TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    command_id  TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('event', 'refusal')),
    event_type  TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL
);
CREATE INDEX entries_command_id ON entries (command_id);

-- Idempotency: which entries answered each command ID.
CREATE TABLE commands (
    command_id     TEXT    PRIMARY KEY,
    command_hash   TEXT    NOT NULL,
    first_sequence INTEGER NOT NULL UNIQUE,
    last_sequence  INTEGER NOT NULL,
    refused        INTEGER NOT NULL CHECK (refused IN (0, 1))
);

-- Projections that screens and reports read; rebuilt from the ledger at any time.
CREATE TABLE projection_rows (
    kind        TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    status      TEXT,
    body        TEXT    NOT NULL,
    updated_seq INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE INDEX projection_rows_kind_status ON projection_rows (kind, status);
