-- The terms of each entry (hemaflow-ledger's terms module: the string values of its payload
-- of 1 to 64 bytes without whitespace, once each), written with the entries, so that the
-- entries naming an identifier are found without reading the whole ledger.
CREATE TABLE entry_terms (
    term     TEXT    NOT NULL,
    sequence BIGINT  NOT NULL,
    PRIMARY KEY (term, sequence)
);

-- Entries written before this table existed get their terms when the store is next opened
-- (in Rust, by the same rule); this row says up to which entry, and goes when that is done.
CREATE TABLE entry_terms_backfill (
    through_sequence BIGINT NOT NULL
);
INSERT INTO entry_terms_backfill (through_sequence)
SELECT MAX(sequence) FROM entries HAVING COUNT(*) > 0;
