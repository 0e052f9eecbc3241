//! The long reads of the ledger, entries and command records after a point (a catch-up,
//! `verify`, `export`), on a rusqlite connection of their own.
//!
//! sqlx's SQLite driver hands each row from its worker thread to the caller through a
//! channel and copies every value on the way; over a whole ledger (millions of entries for
//! `verify`) that was a third of the time. Here a page of rows is read in one go on Tokio's
//! blocking pool, each value read once from the statement into the ledger's types, with the
//! same conversions as every other store (`hemaflow_store_sql::ReadRow`).

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use hemaflow_ledger::{CommandRecord, Entry, StoreError};
use hemaflow_store_sql::{Columns, ReadRow};
use rusqlite::Connection;

use crate::writer::{backend, open_connection};

/// A lock held too long is `Busy` (retried by the engine); anything else is the database's.
fn read_error(error: rusqlite::Error) -> StoreError {
    backend(error, -1)
}

#[derive(Debug, Clone)]
pub(crate) struct Reader {
    connection: Arc<Mutex<Connection>>,
}

/// A rusqlite row read by column name, as the shared row readers expect.
struct LiteRow<'a, 'b>(&'a rusqlite::Row<'b>);

fn column_error(error: rusqlite::Error) -> StoreError {
    StoreError::Backend(Box::new(error))
}

impl Columns for LiteRow<'_, '_> {
    fn text(&self, column: &'static str) -> Result<String, StoreError> {
        self.0.get(column).map_err(column_error)
    }
    fn optional_text(&self, column: &'static str) -> Result<Option<String>, StoreError> {
        self.0.get(column).map_err(column_error)
    }
    fn integer(&self, column: &'static str) -> Result<i64, StoreError> {
        self.0.get(column).map_err(column_error)
    }
    fn boolean(&self, column: &'static str) -> Result<bool, StoreError> {
        self.0.get(column).map_err(column_error)
    }
}

impl Reader {
    pub(crate) fn open(filename: &Path, in_memory: bool, name: &str) -> Result<Reader, StoreError> {
        Ok(Reader {
            connection: Arc::new(Mutex::new(open_connection(filename, in_memory, name)?)),
        })
    }

    /// Up to `limit` entries after `sequence`, in order.
    pub(crate) async fn entries_after(
        &self,
        sequence: i64,
        limit: u32,
    ) -> Result<Vec<Entry>, StoreError> {
        self.page(
            "SELECT sequence, recorded_at, actor, role, command_id, kind, event_type, payload, prev_hash, hash
             FROM entries WHERE sequence > ?1 ORDER BY sequence LIMIT ?2",
            sequence,
            limit,
            |row| row.entry(),
        )
        .await
    }

    /// Up to `limit` command records whose first entry comes after `sequence`, in order.
    pub(crate) async fn commands_after(
        &self,
        sequence: i64,
        limit: u32,
    ) -> Result<Vec<CommandRecord>, StoreError> {
        self.page(
            "SELECT command_id, command_hash, first_sequence, last_sequence, refused
             FROM commands WHERE first_sequence > ?1 ORDER BY first_sequence LIMIT ?2",
            sequence,
            limit,
            |row| row.command(),
        )
        .await
    }

    /// The rows of `sql` (placeholders: after, limit), each read by `read`.
    async fn page<T: Send + 'static>(
        &self,
        sql: &'static str,
        after: i64,
        limit: u32,
        read: fn(&LiteRow<'_, '_>) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let connection = Arc::clone(&self.connection);
        tokio::task::spawn_blocking(move || {
            let connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
            let mut statement = connection.prepare_cached(sql).map_err(read_error)?;
            let mut rows = statement
                .query(rusqlite::params![after, i64::from(limit)])
                .map_err(read_error)?;
            let mut page = Vec::with_capacity(limit.min(10_000) as usize);
            while let Some(row) = rows.next().map_err(read_error)? {
                page.push(read(&LiteRow(row))?);
            }
            Ok(page)
        })
        .await
        .map_err(|e| StoreError::Backend(Box::new(e)))?
    }
}
