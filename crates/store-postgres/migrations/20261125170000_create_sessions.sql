-- Signed-in sessions (not part of the ledger): only the SHA-256 of each token, never the token.
-- Times are Unix seconds.
CREATE TABLE sessions (
    digest    TEXT   PRIMARY KEY COLLATE "C",
    user_id   TEXT   NOT NULL COLLATE "C",
    csrf      TEXT   NOT NULL,
    started   BIGINT NOT NULL,
    last_seen BIGINT NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);
