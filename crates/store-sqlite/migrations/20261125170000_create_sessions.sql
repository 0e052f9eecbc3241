-- Signed-in sessions (not part of the ledger): only the SHA-256 of each token, never the token.
-- Times are Unix seconds.
CREATE TABLE sessions (
    digest    TEXT    PRIMARY KEY,
    user_id   TEXT    NOT NULL,
    csrf      TEXT    NOT NULL,
    started   INTEGER NOT NULL,
    last_seen INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user_id ON sessions (user_id);
