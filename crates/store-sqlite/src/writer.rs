//! The append path: one rusqlite connection of its own, prepared statements, one row per
//! statement.
//!
//! Why not the sqlx pool that serves every read: an append is the ledger's hot path (a
//! replay or a busy site writes hundreds of entries, rows, command records and terms per
//! transaction), and sqlx's SQLite driver copies every bound value into owned arguments,
//! builds a statement per batch size, and hands each statement to a worker thread. Here
//! the statements are prepared once, values are bound from the batch without a copy, and a
//! single-row insert needs no statement journal (a multi-row insert inside a transaction
//! copies each page it changes first, in case the statement fails half-way). The work runs
//! on Tokio's blocking pool; the mutex keeps one append at a time in this process (SQLite
//! allows one writer anyway), and `BEGIN IMMEDIATE` takes the database's write lock before
//! the chain head is read, so no other process can append in between.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use hemaflow_ledger::terms::batch_terms;
use hemaflow_ledger::{AppendBatch, CommandRecord, Entry, Row, StoreError};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior, params};

use crate::checkpointer::Checkpointer;
use crate::{BUSY_TIMEOUT, CACHE_KIB, WAL_AUTOCHECKPOINT_PAGES};

/// The writing connection, shared by the clones of a store.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    connection: Arc<Mutex<Connection>>,
    /// Woken after each commit (`checkpointer.rs`); none for an in-memory database, which
    /// has no log.
    checkpointer: Option<Checkpointer>,
}

/// What `write` is asked to do besides inserting the batch.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Precondition {
    /// The batch's first entry follows the ledger's last one (`AppendBatch::expected_last`).
    FollowsHead,
    /// The ledger is empty (an import).
    Empty,
}

impl Writer {
    /// Opens the database file (or shared in-memory database) the pool already opened and
    /// migrated, with the same settings.
    pub(crate) fn open(filename: &Path, in_memory: bool, name: &str) -> Result<Writer, StoreError> {
        let checkpointer = if in_memory {
            None
        } else {
            let connection = open_connection(filename, in_memory, name)?;
            Some(Checkpointer::start(connection, name)?)
        };
        Ok(Writer {
            connection: Arc::new(Mutex::new(open_connection(filename, in_memory, name)?)),
            checkpointer,
        })
    }

    /// Writes `batch` in one transaction if `precondition` holds, else writes nothing.
    pub(crate) async fn write(
        &self,
        batch: AppendBatch,
        precondition: Precondition,
    ) -> Result<(), StoreError> {
        self.on_connection(move |connection| (write(connection, &batch, precondition), batch))
            .await
    }

    /// Inserts `entry_terms` rows alone, in one transaction (the backfill of `terms.rs`).
    pub(crate) async fn insert_terms(&self, terms: Vec<(String, i64)>) -> Result<(), StoreError> {
        self.on_connection(move |connection| {
            let error = |e: rusqlite::Error| backend(e, -1);
            let result = connection
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .and_then(|tx| {
                    insert_terms(&tx, &terms)?;
                    tx.commit()
                })
                .map_err(error);
            (result, terms)
        })
        .await
    }

    /// Replaces every projection row by `rows`, stamped with `sequence` (a rebuild).
    pub(crate) async fn replace_rows(
        &self,
        rows: Vec<Row>,
        sequence: i64,
    ) -> Result<(), StoreError> {
        self.on_connection(move |connection| (replace_rows(connection, &rows, sequence), rows))
            .await
    }

    /// Runs `work` on the connection in Tokio's blocking pool. The answer is sent before
    /// what `work` hands back is dropped: freeing a batch's thousands of strings is no part
    /// of the append, and the pipeline waits for the answer to start the next one.
    async fn on_connection<Leftover: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> (Result<(), StoreError>, Leftover) + Send + 'static,
    ) -> Result<(), StoreError> {
        let connection = Arc::clone(&self.connection);
        let checkpointer = self.checkpointer.clone();
        let (answer, answered) = tokio::sync::oneshot::channel();
        tokio::task::spawn_blocking(move || {
            let (result, leftover) =
                work(&mut connection.lock().unwrap_or_else(PoisonError::into_inner));
            if let (Ok(()), Some(checkpointer)) = (&result, checkpointer) {
                checkpointer.committed();
            }
            // The receiver is gone only when the caller stopped waiting; the work is done.
            let _ = answer.send(result);
            drop(leftover);
        });
        answered
            .await
            .map_err(|_| StoreError::Backend("the SQLite writer stopped before answering".into()))?
    }
}

/// A connection of its own to the database the pool opened and migrated, with the same
/// settings (`sqlite::memory:` is a shared in-memory database, so every connection sees it).
pub(crate) fn open_connection(
    filename: &Path,
    in_memory: bool,
    name: &str,
) -> Result<Connection, StoreError> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if in_memory {
        flags |= OpenFlags::SQLITE_OPEN_MEMORY | OpenFlags::SQLITE_OPEN_SHARED_CACHE;
    }
    let cannot = |e: rusqlite::Error| {
        StoreError::Connect(format!("cannot open SQLite database {name}: {e}"))
    };
    let connection = Connection::open_with_flags(filename, flags).map_err(cannot)?;
    connection.busy_timeout(BUSY_TIMEOUT).map_err(cannot)?;
    connection
        .execute_batch(&format!(
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
             PRAGMA cache_size = -{CACHE_KIB}; PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES};"
        ))
        .map_err(cannot)?;
    Ok(connection)
}

fn replace_rows(
    connection: &mut Connection,
    rows: &[Row],
    sequence: i64,
) -> Result<(), StoreError> {
    let error = |e: rusqlite::Error| backend(e, -1);
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(error)?;
    tx.execute("DELETE FROM projection_rows", [])
        .map_err(error)?;
    upsert_rows(&tx, rows, sequence).map_err(error)?;
    tx.commit().map_err(error)
}

fn write(
    connection: &mut Connection,
    batch: &AppendBatch,
    precondition: Precondition,
) -> Result<(), StoreError> {
    let expected = batch.expected_last;
    let error = |e: rusqlite::Error| backend(e, expected);
    // Found before the write lock is taken: another process's append need not wait for it.
    let terms = batch_terms(&batch.entries);
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(error)?;
    match precondition {
        Precondition::FollowsHead => check_head(&tx, batch)?,
        Precondition::Empty => check_empty(&tx)?,
    }
    insert_entries(&tx, &batch.entries).map_err(error)?;
    let last_sequence = batch.entries.last().map_or(0, |e| e.sequence);
    upsert_rows(&tx, &batch.rows, last_sequence).map_err(error)?;
    insert_commands(&tx, &batch.commands).map_err(error)?;
    insert_terms(&tx, &terms).map_err(error)?;
    tx.commit().map_err(error)
}

/// The batch follows the ledger's last entry: same sequence number and same hash.
fn check_head(tx: &rusqlite::Transaction<'_>, batch: &AppendBatch) -> Result<(), StoreError> {
    let expected = batch.expected_last;
    let conflict = StoreError::Conflict { expected };
    let Some(first) = batch.entries.first() else {
        return Ok(());
    };
    if first.sequence != expected + 1 {
        return Err(conflict);
    }
    let head: Option<(i64, String)> = tx
        .prepare_cached("SELECT sequence, hash FROM entries ORDER BY sequence DESC LIMIT 1")
        .and_then(|mut s| s.query_row([], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(|e| backend(e, expected))?;
    let follows = match head {
        None => expected == 0,
        Some((sequence, hash)) => sequence == expected && hash == first.prev_hash.to_hex(),
    };
    if follows { Ok(()) } else { Err(conflict) }
}

fn check_empty(tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
    let count = |table: &str| -> Result<i64, StoreError> {
        tx.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .map_err(|e| backend(e, 0))
    };
    let (entries, rows, commands) = (
        count("entries")?,
        count("projection_rows")?,
        count("commands")?,
    );
    if entries + rows + commands > 0 {
        return Err(StoreError::NotEmpty {
            entries,
            rows,
            commands,
        });
    }
    Ok(())
}

fn insert_entries(tx: &rusqlite::Transaction<'_>, entries: &[Entry]) -> rusqlite::Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO entries (sequence, recorded_at, actor, role, command_id, kind, event_type, payload, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for e in entries {
        insert.execute(params![
            e.sequence,
            e.recorded_at.to_string(),
            e.actor,
            e.role,
            e.command_id,
            e.kind.as_str(),
            e.event_type,
            e.payload,
            e.prev_hash.to_hex(),
            e.hash.to_hex(),
        ])?;
    }
    Ok(())
}

/// Inserts or replaces rows; a key that appears twice keeps its last version.
fn upsert_rows(
    tx: &rusqlite::Transaction<'_>,
    rows: &[Row],
    sequence: i64,
) -> rusqlite::Result<()> {
    let mut latest: BTreeMap<(&str, &str), &Row> = BTreeMap::new();
    for row in rows {
        latest.insert(row.key(), row);
    }
    let mut upsert = tx.prepare_cached(
        "INSERT INTO projection_rows (kind, id, status, body, updated_seq) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (kind, id) DO UPDATE SET status = excluded.status, body = excluded.body, updated_seq = excluded.updated_seq",
    )?;
    for row in latest.into_values() {
        upsert.execute(params![
            row.kind,
            row.id,
            row.status,
            row.body.as_str(),
            sequence
        ])?;
    }
    Ok(())
}

fn insert_commands(
    tx: &rusqlite::Transaction<'_>,
    commands: &[CommandRecord],
) -> rusqlite::Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO commands (command_id, command_hash, first_sequence, last_sequence, refused)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for c in commands {
        insert.execute(params![
            c.command_id,
            c.command_hash,
            c.first_sequence,
            c.last_sequence,
            c.refused
        ])?;
    }
    Ok(())
}

/// The `entry_terms` rows of the batch (see `hemaflow_ledger::terms`).
fn insert_terms(tx: &rusqlite::Transaction<'_>, terms: &[(String, i64)]) -> rusqlite::Result<()> {
    let mut insert =
        tx.prepare_cached("INSERT OR IGNORE INTO entry_terms (term, sequence) VALUES (?1, ?2)")?;
    for (term, sequence) in terms {
        insert.execute(params![term, sequence])?;
    }
    Ok(())
}

/// A unique key already taken is another writer's append (or a command ID recorded
/// meanwhile): a conflict. A lock held too long is `Busy`. Both are retried by the engine.
pub(crate) fn backend(error: rusqlite::Error, expected: i64) -> StoreError {
    if let rusqlite::Error::SqliteFailure(failure, message) = &error {
        match failure.code {
            ErrorCode::ConstraintViolation
                if matches!(
                    failure.extended_code,
                    rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                        | rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                ) =>
            {
                return StoreError::Conflict { expected };
            }
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                return StoreError::Busy(message.clone().unwrap_or_else(|| failure.to_string()));
            }
            _ => {}
        }
    }
    StoreError::Backend(Box::new(error))
}
