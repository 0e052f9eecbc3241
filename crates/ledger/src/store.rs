//! The storage boundary: one trait, one implementation per database.

use std::future::Future;

use crate::entry::{ChainHead, Entry};
use crate::model::Row;

/// What a store could not do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another writer appended first: the chain head is no longer the one the batch was built
    /// on (or the command ID was recorded meanwhile). Catch up and decide again.
    #[error(
        "another writer appended to the ledger first (expected to follow entry {expected}, the ledger has moved on)"
    )]
    Conflict { expected: i64 },
    /// The database is locked by another writer for longer than the busy timeout.
    #[error("the database stayed busy: {0}")]
    Busy(String),
    #[error(
        "the database is not empty ({entries} entries, {rows} projection rows, {commands} commands)"
    )]
    NotEmpty {
        entries: i64,
        rows: i64,
        commands: i64,
    },
    /// A stored value cannot be read back as what it should be.
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("cannot open the database: {0}")]
    Connect(String),
    #[error("database error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// Whether catching up and trying again can succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Conflict { .. } | StoreError::Busy(_))
    }
}

/// The record that makes a command idempotent: which entries answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRecord {
    pub command_id: String,
    /// SHA-256 (hex) of the command's canonical JSON: a retry must be the same command.
    /// Empty for a record rebuilt by `import` (an export holds events, not commands).
    pub command_hash: String,
    pub first_sequence: i64,
    pub last_sequence: i64,
    pub refused: bool,
}

/// Everything one command writes, in one transaction.
#[derive(Debug, Clone)]
pub struct AppendBatch {
    /// The sequence number the first entry follows (0 on an empty ledger); the append fails
    /// with [`StoreError::Conflict`] unless it is the ledger's last entry, so two writers
    /// never fork the chain.
    pub expected_last: i64,
    pub entries: Vec<Entry>,
    /// Projection rows to insert or replace, each stamped with the last entry's sequence.
    pub rows: Vec<Row>,
    pub commands: Vec<CommandRecord>,
}

impl AppendBatch {
    /// A batch. The store finds the `entry_terms` rows of its entries
    /// ([`crate::terms::batch_terms`]) as it appends them, on the thread that writes: in a
    /// pipeline the engine, which decides the next batch meanwhile, is the busier of the two.
    pub fn new(
        expected_last: i64,
        entries: Vec<Entry>,
        rows: Vec<Row>,
        commands: Vec<CommandRecord>,
    ) -> AppendBatch {
        AppendBatch {
            expected_last,
            entries,
            rows,
            commands,
        }
    }
}

/// A projection row as stored, with the entry that last wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRow {
    pub row: Row,
    pub updated_seq: i64,
}

/// A database holding a ledger and its projections.
///
/// Every method is one round of work that either happens completely or not at all.
/// Page sizes are bounded by the caller's `limit`.
pub trait Store: Send + Sync {
    /// The last entry's sequence and hash ([`ChainHead::EMPTY`] for an empty ledger).
    fn head(&self) -> impl Future<Output = Result<ChainHead, StoreError>> + Send;

    /// Appends entries, upserts rows and records commands in one transaction.
    fn append(&self, batch: AppendBatch) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Up to `limit` entries after `sequence`, in order.
    fn entries_after(
        &self,
        sequence: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Entry>, StoreError>> + Send;

    /// The record of a command already answered.
    fn command(
        &self,
        command_id: &str,
    ) -> impl Future<Output = Result<Option<CommandRecord>, StoreError>> + Send;

    /// The records of those of `command_ids` already answered, in any order (one round trip
    /// per few hundred IDs: the group commit looks up a whole batch at once).
    fn commands_by_id(
        &self,
        command_ids: &[&str],
    ) -> impl Future<Output = Result<Vec<CommandRecord>, StoreError>> + Send;

    /// Up to `limit` command records whose first entry comes after `sequence`, in order.
    fn commands_after(
        &self,
        sequence: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<CommandRecord>, StoreError>> + Send;

    /// One projection row.
    fn row(
        &self,
        kind: &str,
        id: &str,
    ) -> impl Future<Output = Result<Option<StoredRow>, StoreError>> + Send;

    /// Up to `limit` rows of `kind` (with `status`, if given) whose id sorts after `after_id`.
    fn rows(
        &self,
        kind: &str,
        status: Option<&str>,
        after_id: &str,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<StoredRow>, StoreError>> + Send;

    /// Up to `limit` rows of every kind after the key `(kind, id)`, ordered by kind then id.
    fn all_rows_after(
        &self,
        after: (&str, &str),
        limit: u32,
    ) -> impl Future<Output = Result<Vec<StoredRow>, StoreError>> + Send;

    /// Replaces every projection row by `rows`, stamped with `sequence` (a rebuild).
    fn replace_rows(
        &self,
        rows: Vec<Row>,
        sequence: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Up to `limit` entries after `sequence`, in order, that have one of `terms` among their
    /// terms ([`crate::terms`]: the index written with the entries). A string that is not a
    /// term ([`crate::terms::is_term`]) finds nothing.
    fn entries_with_terms(
        &self,
        terms: &[&str],
        sequence: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Entry>, StoreError>> + Send;

    /// Up to `limit` rows of the `entry_terms` index after `(term, sequence)`, in the order of
    /// the index's key (term, then sequence, as the database sorts them): `verify` reads the
    /// whole index with it.
    fn terms_after(
        &self,
        after: (&str, i64),
        limit: u32,
    ) -> impl Future<Output = Result<Vec<(String, i64)>, StoreError>> + Send;

    /// Writes a whole ledger into an empty database in one transaction; refuses
    /// ([`StoreError::NotEmpty`]) if it holds any entry, row or command.
    fn import(&self, batch: AppendBatch) -> impl Future<Output = Result<(), StoreError>> + Send;
}
