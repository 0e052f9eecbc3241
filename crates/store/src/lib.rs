//! Opens the ledger store a database URL names: `sqlite:` (the embedded default) or
//! `postgres:`/`postgresql:`. The only place that knows every backend.

use hemaflow_ledger::{
    AppendBatch, ChainHead, CommandRecord, Entry, Row, SessionLimits, SessionStore, Store,
    StoreError, StoredRow, StoredSession,
};
pub use hemaflow_store_postgres::{PgStore, redact};
pub use hemaflow_store_sqlite::SqliteStore;

/// The default database: a SQLite file in the working directory, created on first run.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://hemaflow.db";

/// A store on whichever backend the URL chose.
#[derive(Debug, Clone)]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// Which backend a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Reads the scheme of a database URL.
pub fn backend_of(url: &str) -> Result<Backend, StoreError> {
    let Some((scheme, _)) = url.split_once(':') else {
        return Err(StoreError::Connect(format!(
            "{url:?} is not a database URL: expected sqlite://FILE or postgres://USER@HOST/DATABASE"
        )));
    };
    match scheme.to_ascii_lowercase().as_str() {
        "sqlite" => Ok(Backend::Sqlite),
        "postgres" | "postgresql" => Ok(Backend::Postgres),
        other => Err(StoreError::Connect(format!(
            "unknown database scheme {other:?} in {}: Hemaflow stores its ledger in sqlite:// or postgres://",
            hemaflow_store_postgres::redact(url)
        ))),
    }
}

/// Opens (and migrates) the store at `url`; a malformed URL, an unknown scheme or an
/// unreachable server is a [`StoreError::Connect`] saying which.
pub async fn connect(url: &str) -> Result<AnyStore, StoreError> {
    match backend_of(url)? {
        Backend::Sqlite => SqliteStore::connect(url).await.map(AnyStore::Sqlite),
        Backend::Postgres => PgStore::connect(url).await.map(AnyStore::Postgres),
    }
}

/// Whether `url` names a database that holds a Hemaflow ledger, found without creating,
/// migrating or changing anything (read-only commands open only such a database).
pub async fn has_ledger(url: &str) -> Result<bool, StoreError> {
    match backend_of(url)? {
        Backend::Sqlite => SqliteStore::has_ledger(url).await,
        Backend::Postgres => PgStore::has_ledger(url).await,
    }
}

macro_rules! delegate {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            AnyStore::Sqlite($store) => $call.await,
            AnyStore::Postgres($store) => $call.await,
        }
    };
}

impl Store for AnyStore {
    async fn head(&self) -> Result<ChainHead, StoreError> {
        delegate!(self, s => s.head())
    }

    async fn append(&self, batch: AppendBatch) -> Result<(), StoreError> {
        delegate!(self, s => s.append(batch))
    }

    async fn entries_after(&self, sequence: i64, limit: u32) -> Result<Vec<Entry>, StoreError> {
        delegate!(self, s => s.entries_after(sequence, limit))
    }

    async fn terms_after(
        &self,
        after: (&str, i64),
        limit: u32,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        delegate!(self, s => s.terms_after(after, limit))
    }

    async fn entries_with_terms(
        &self,
        terms: &[&str],
        sequence: i64,
        limit: u32,
    ) -> Result<Vec<Entry>, StoreError> {
        delegate!(self, s => s.entries_with_terms(terms, sequence, limit))
    }

    async fn command(&self, command_id: &str) -> Result<Option<CommandRecord>, StoreError> {
        delegate!(self, s => s.command(command_id))
    }

    async fn commands_by_id(&self, command_ids: &[&str]) -> Result<Vec<CommandRecord>, StoreError> {
        delegate!(self, s => s.commands_by_id(command_ids))
    }

    async fn commands_after(
        &self,
        sequence: i64,
        limit: u32,
    ) -> Result<Vec<CommandRecord>, StoreError> {
        delegate!(self, s => s.commands_after(sequence, limit))
    }

    async fn row(&self, kind: &str, id: &str) -> Result<Option<StoredRow>, StoreError> {
        delegate!(self, s => s.row(kind, id))
    }

    async fn rows(
        &self,
        kind: &str,
        status: Option<&str>,
        after_id: &str,
        limit: u32,
    ) -> Result<Vec<StoredRow>, StoreError> {
        delegate!(self, s => s.rows(kind, status, after_id, limit))
    }

    async fn all_rows_after(
        &self,
        after: (&str, &str),
        limit: u32,
    ) -> Result<Vec<StoredRow>, StoreError> {
        delegate!(self, s => s.all_rows_after(after, limit))
    }

    async fn replace_rows(&self, rows: Vec<Row>, sequence: i64) -> Result<(), StoreError> {
        delegate!(self, s => s.replace_rows(rows, sequence))
    }

    async fn import(&self, batch: AppendBatch) -> Result<(), StoreError> {
        delegate!(self, s => s.import(batch))
    }
}

impl SessionStore for AnyStore {
    async fn open_session(
        &self,
        session: &StoredSession,
        limits: SessionLimits,
    ) -> Result<(), StoreError> {
        delegate!(self, s => s.open_session(session, limits))
    }

    async fn touch_session(
        &self,
        digest: &str,
        now: i64,
        limits: SessionLimits,
    ) -> Result<Option<StoredSession>, StoreError> {
        delegate!(self, s => s.touch_session(digest, now, limits))
    }

    async fn close_session(&self, digest: &str) -> Result<(), StoreError> {
        delegate!(self, s => s.close_session(digest))
    }

    async fn close_sessions_of(&self, user_id: &str) -> Result<u64, StoreError> {
        delegate!(self, s => s.close_sessions_of(user_id))
    }

    async fn remove_expired_sessions(
        &self,
        now: i64,
        limits: SessionLimits,
    ) -> Result<u64, StoreError> {
        delegate!(self, s => s.remove_expired_sessions(now, limits))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn the_scheme_picks_the_backend() {
        assert_eq!(backend_of("sqlite://hemaflow.db").unwrap(), Backend::Sqlite);
        assert_eq!(backend_of("sqlite::memory:").unwrap(), Backend::Sqlite);
        assert_eq!(backend_of("postgres://h/db").unwrap(), Backend::Postgres);
        assert_eq!(backend_of("PostgreSQL://h/db").unwrap(), Backend::Postgres);
    }

    #[test]
    fn an_unknown_scheme_is_named_without_the_password() {
        let err = backend_of("mysql://ann:pw@h/db").unwrap_err().to_string();
        assert!(err.contains("\"mysql\""), "{err}");
        assert!(!err.contains("pw"), "{err}");
        let err = backend_of("hemaflow.db").unwrap_err().to_string();
        assert!(err.contains("not a database URL"), "{err}");
    }
}
