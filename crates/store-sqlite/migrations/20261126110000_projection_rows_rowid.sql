-- Projection rows move to a rowid table. In the WITHOUT ROWID table a row of more than about
-- 1 000 bytes (most donations and orders) spilled its tail into an overflow page of its own,
-- mostly empty: half the table's pages, and two pages written per update. A rowid table keeps
-- rows of up to about 4 000 bytes on their leaf page, and appends new rows at its end, so the
-- rows of the units at work this week share pages. (kind, id) stays unique and ordered by its
-- index; the status index carries id for the screens' ordered lists.
CREATE TABLE projection_rows_by_rowid (
    row_id      INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    status      TEXT,
    body        TEXT    NOT NULL,
    updated_seq INTEGER NOT NULL,
    UNIQUE (kind, id)
);
INSERT INTO projection_rows_by_rowid (kind, id, status, body, updated_seq)
SELECT kind, id, status, body, updated_seq FROM projection_rows ORDER BY updated_seq, kind, id;
DROP TABLE projection_rows;
ALTER TABLE projection_rows_by_rowid RENAME TO projection_rows;
CREATE INDEX projection_rows_kind_status ON projection_rows (kind, status, id);
