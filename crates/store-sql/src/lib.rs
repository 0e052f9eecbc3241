//! What the SQL stores (`hemaflow-store-sqlite`, `hemaflow-store-postgres`) share: a row of
//! their tables read into the ledger's types, the same for every sqlx database whose rows
//! decode text, integers and booleans. No SQL here: each store writes its own statements in
//! its own dialect (placeholders, locking, error codes), and reads their rows with [`ReadRow`].

use hemaflow_ledger::{
    CommandRecord, Digest32, Entry, EntryKind, Row, RowBody, StoreError, StoredRow, StoredSession,
};
use sqlx::{ColumnIndex, Decode, Type};

/// A column that cannot be read (missing, or not of the expected type): the database is not
/// the one the store migrated, a backend error for the person running it.
fn column_error(error: sqlx::Error) -> StoreError {
    StoreError::Backend(Box::new(error))
}

/// A row whose columns are read by name: a row of any sqlx database that decodes text,
/// integers and booleans, or of another driver through a wrapper in its store.
pub trait Columns {
    fn text(&self, column: &'static str) -> Result<String, StoreError>;
    fn optional_text(&self, column: &'static str) -> Result<Option<String>, StoreError>;
    fn integer(&self, column: &'static str) -> Result<i64, StoreError>;
    fn boolean(&self, column: &'static str) -> Result<bool, StoreError>;
}

impl<R> Columns for R
where
    R: sqlx::Row,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
    &'static str: ColumnIndex<R>,
{
    fn text(&self, column: &'static str) -> Result<String, StoreError> {
        self.try_get(column).map_err(column_error)
    }
    fn optional_text(&self, column: &'static str) -> Result<Option<String>, StoreError> {
        self.try_get(column).map_err(column_error)
    }
    fn integer(&self, column: &'static str) -> Result<i64, StoreError> {
        self.try_get(column).map_err(column_error)
    }
    fn boolean(&self, column: &'static str) -> Result<bool, StoreError> {
        self.try_get(column).map_err(column_error)
    }
}

/// The ledger's records read from a row of the store's tables, by column name.
pub trait ReadRow {
    /// A row of `entries`.
    fn entry(&self) -> Result<Entry, StoreError>;
    /// A row of `commands`.
    fn command(&self) -> Result<CommandRecord, StoreError>;
    /// A row of `projection_rows` (`body` read as JSON text).
    fn stored_row(&self) -> Result<StoredRow, StoreError>;
    /// A row of `sessions`.
    fn session(&self) -> Result<StoredSession, StoreError>;
}

impl<C: Columns> ReadRow for C {
    fn entry(&self) -> Result<Entry, StoreError> {
        let sequence = self.integer("sequence")?;
        let corrupt = |what: &str, why: String| {
            StoreError::Corrupt(format!("entry {sequence} has an unreadable {what}: {why}"))
        };
        let recorded_at = self.text("recorded_at")?;
        let kind = self.text("kind")?;
        let prev_hash = self.text("prev_hash")?;
        let hash = self.text("hash")?;
        Ok(Entry {
            sequence,
            recorded_at: recorded_at
                .parse()
                .map_err(|e: jiff::Error| corrupt("time", e.to_string()))?,
            actor: self.text("actor")?,
            role: self.text("role")?,
            command_id: self.text("command_id")?,
            kind: EntryKind::parse(&kind).ok_or_else(|| corrupt("kind", kind.clone()))?,
            event_type: self.text("event_type")?,
            payload: self.text("payload")?,
            prev_hash: Digest32::from_hex(&prev_hash).map_err(|e| corrupt("previous hash", e))?,
            hash: Digest32::from_hex(&hash).map_err(|e| corrupt("hash", e))?,
        })
    }

    fn command(&self) -> Result<CommandRecord, StoreError> {
        Ok(CommandRecord {
            command_id: self.text("command_id")?,
            command_hash: self.text("command_hash")?,
            first_sequence: self.integer("first_sequence")?,
            last_sequence: self.integer("last_sequence")?,
            refused: self.boolean("refused")?,
        })
    }

    fn stored_row(&self) -> Result<StoredRow, StoreError> {
        let kind = self.text("kind")?;
        let id = self.text("id")?;
        let body = self.text("body")?;
        let body = RowBody::parse(body).map_err(|e| {
            StoreError::Corrupt(format!(
                "projection row {kind} {id} has a body that is not JSON: {e}"
            ))
        })?;
        Ok(StoredRow {
            row: Row {
                status: self.optional_text("status")?,
                kind,
                id,
                body,
            },
            updated_seq: self.integer("updated_seq")?,
        })
    }

    fn session(&self) -> Result<StoredSession, StoreError> {
        Ok(StoredSession {
            digest: self.text("digest")?,
            user_id: self.text("user_id")?,
            csrf: self.text("csrf")?,
            started: self.integer("started")?,
            last_seen: self.integer("last_seen")?,
        })
    }
}
