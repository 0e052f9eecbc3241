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

impl<R> ReadRow for R
where
    R: sqlx::Row,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
    &'static str: ColumnIndex<R>,
{
    fn entry(&self) -> Result<Entry, StoreError> {
        let sequence: i64 = self.try_get("sequence").map_err(column_error)?;
        let corrupt = |what: &str, why: String| {
            StoreError::Corrupt(format!("entry {sequence} has an unreadable {what}: {why}"))
        };
        let recorded_at: String = self.try_get("recorded_at").map_err(column_error)?;
        let kind: String = self.try_get("kind").map_err(column_error)?;
        let prev_hash: String = self.try_get("prev_hash").map_err(column_error)?;
        let hash: String = self.try_get("hash").map_err(column_error)?;
        Ok(Entry {
            sequence,
            recorded_at: recorded_at
                .parse()
                .map_err(|e: jiff::Error| corrupt("time", e.to_string()))?,
            actor: self.try_get("actor").map_err(column_error)?,
            role: self.try_get("role").map_err(column_error)?,
            command_id: self.try_get("command_id").map_err(column_error)?,
            kind: EntryKind::parse(&kind).ok_or_else(|| corrupt("kind", kind.clone()))?,
            event_type: self.try_get("event_type").map_err(column_error)?,
            payload: self.try_get("payload").map_err(column_error)?,
            prev_hash: Digest32::from_hex(&prev_hash).map_err(|e| corrupt("previous hash", e))?,
            hash: Digest32::from_hex(&hash).map_err(|e| corrupt("hash", e))?,
        })
    }

    fn command(&self) -> Result<CommandRecord, StoreError> {
        Ok(CommandRecord {
            command_id: self.try_get("command_id").map_err(column_error)?,
            command_hash: self.try_get("command_hash").map_err(column_error)?,
            first_sequence: self.try_get("first_sequence").map_err(column_error)?,
            last_sequence: self.try_get("last_sequence").map_err(column_error)?,
            refused: self.try_get("refused").map_err(column_error)?,
        })
    }

    fn stored_row(&self) -> Result<StoredRow, StoreError> {
        let kind: String = self.try_get("kind").map_err(column_error)?;
        let id: String = self.try_get("id").map_err(column_error)?;
        let body: String = self.try_get("body").map_err(column_error)?;
        let body = RowBody::parse(body).map_err(|e| {
            StoreError::Corrupt(format!(
                "projection row {kind} {id} has a body that is not JSON: {e}"
            ))
        })?;
        Ok(StoredRow {
            row: Row {
                status: self.try_get("status").map_err(column_error)?,
                kind,
                id,
                body,
            },
            updated_seq: self.try_get("updated_seq").map_err(column_error)?,
        })
    }

    fn session(&self) -> Result<StoredSession, StoreError> {
        Ok(StoredSession {
            digest: self.try_get("digest").map_err(column_error)?,
            user_id: self.try_get("user_id").map_err(column_error)?,
            csrf: self.try_get("csrf").map_err(column_error)?,
            started: self.try_get("started").map_err(column_error)?,
            last_seen: self.try_get("last_seen").map_err(column_error)?,
        })
    }
}
