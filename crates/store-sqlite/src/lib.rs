//! Hemaflow's ledger store on SQLite: the embedded default (`sqlite://hemaflow.db`).
//!
//! The file is created on first use, in WAL mode with `synchronous = FULL` (an acknowledged
//! command survives a power cut), and migrated on open. Writers are kept apart by the
//! primary key on the entry's sequence number: a writer whose chain head is stale fails its
//! insert and gets [`StoreError::Conflict`].

mod checkpointer;
mod reader;
mod sessions;
mod terms;
mod writer;

use std::str::FromStr;
use std::time::Duration;

use hemaflow_ledger::{
    AppendBatch, ChainHead, CommandRecord, Digest32, Entry, Row, Store, StoreError, StoredRow,
};
use hemaflow_store_sql::ReadRow;
use reader::Reader;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row as _, Sqlite};
use writer::{Precondition, Writer};

/// How long a writer waits for another writer's lock before giving up with `Busy`.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Command IDs looked up per statement (SQLite allows 32766 bound parameters).
const IDS_PER_QUERY: usize = 500;
/// Page cache per connection, in KiB (SQLite's default is 2 MiB): the indexes a batch writes
/// (command IDs, entry terms, projection rows) are reached at scattered places, and a small
/// cache reads the same pages again from the operating system for every batch.
pub(crate) const CACHE_KIB: u32 = 32 * 1024;
/// Pages the write-ahead log may hold before a commit copies it into the database itself
/// (SQLite's default is 1 000, 4 MiB). The checkpointing thread (`checkpointer.rs`) copies
/// the log long before, after every commit; this is the backstop for a log it cannot keep
/// up with, and bounds the log file to about 128 MiB.
pub(crate) const WAL_AUTOCHECKPOINT_PAGES: u32 = 32_000;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A ledger store in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Every read, the sessions, migrations.
    pool: SqlitePool,
    /// Every write to the ledger and its projections (`writer.rs`).
    writer: Writer,
    /// Entries and command records read page by page (`reader.rs`).
    reader: Reader,
}

impl SqliteStore {
    /// Opens (creating it if missing) and migrates the database at `url`
    /// (`sqlite://path`, `sqlite:path` or `sqlite::memory:`).
    pub async fn connect(url: &str) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Connect(format!("{url} is not a SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            .pragma("cache_size", format!("-{CACHE_KIB}"))
            .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string());
        SqliteStore::connect_with(options, url).await
    }

    /// The file a SQLite URL names; `None` for an in-memory database or a URL that is not
    /// SQLite's (files kept beside the database, such as its signing key, go beside it).
    pub fn file_of(url: &str) -> Option<std::path::PathBuf> {
        let options = SqliteConnectOptions::from_str(url).ok()?;
        let file = options.get_filename();
        let name = file.to_string_lossy();
        if name.is_empty() || name == ":memory:" || name.starts_with("file:sqlx-in-memory-") {
            return None;
        }
        Some(file.to_owned())
    }

    /// Whether `url` names a SQLite file that holds a Hemaflow ledger, read without creating
    /// or changing anything (for read-only commands: a mistyped path is not a new ledger).
    pub async fn has_ledger(url: &str) -> Result<bool, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Connect(format!("{url} is not a SQLite URL: {e}")))?
            .create_if_missing(false)
            .read_only(true);
        if !options.get_filename().is_file() {
            return Ok(false);
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Connect(format!("cannot open SQLite database {url}: {e}")))?;
        let tables: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'entries'",
        )
        .fetch_one(&pool)
        .await
        .map_err(|e| StoreError::Connect(format!("cannot read SQLite database {url}: {e}")))?;
        pool.close().await;
        Ok(tables == 1)
    }

    /// Opens and migrates a database described by `options`; `name` is used in errors.
    pub async fn connect_with(
        options: SqliteConnectOptions,
        name: &str,
    ) -> Result<SqliteStore, StoreError> {
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone())
            .await
            .map_err(|e| StoreError::Connect(format!("cannot open SQLite database {name}: {e}")))?;
        MIGRATOR.run(&pool).await.map_err(|e| {
            StoreError::Connect(format!("cannot migrate SQLite database {name}: {e}"))
        })?;
        let filename = options.get_filename();
        // sqlx names the shared in-memory database of `sqlite::memory:` this way.
        let in_memory = filename
            .to_str()
            .is_some_and(|f| f.starts_with("file:sqlx-in-memory-"));
        let writer = Writer::open(filename, in_memory, name)?;
        let reader = Reader::open(filename, in_memory, name)?;
        terms::backfill(&pool, &reader, &writer).await?;
        Ok(SqliteStore {
            pool,
            writer,
            reader,
        })
    }

    /// An online backup: a consistent copy of the whole database written to the new file
    /// `path` (`VACUUM INTO`), while readers and writers go on; an existing file is refused.
    pub async fn backup_to(&self, path: &std::path::Path) -> Result<(), StoreError> {
        if path.exists() {
            return Err(StoreError::Connect(format!(
                "{} already exists: a backup never overwrites a file",
                path.display()
            )));
        }
        let target = path.to_str().ok_or_else(|| {
            StoreError::Connect(format!("{} is not a UTF-8 path", path.display()))
        })?;
        sqlx::query("VACUUM INTO ?")
            .bind(target)
            .execute(&self.pool)
            .await
            .map_err(|e| {
                StoreError::Connect(format!("cannot back up into {}: {e}", path.display()))
            })?;
        Ok(())
    }

    /// The connection pool, for tests that tamper with the tables directly.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn backend(error: sqlx::Error, expected: i64) -> StoreError {
    if let sqlx::Error::Database(db) = &error {
        if db.is_unique_violation() {
            return StoreError::Conflict { expected };
        }
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
        if let Some(code) = db.code()
            && let Ok(code) = code.parse::<i32>()
            && matches!(code & 0xff, 5 | 6)
        {
            return StoreError::Busy(db.message().to_owned());
        }
    }
    StoreError::Backend(Box::new(error))
}

fn read_error(error: sqlx::Error) -> StoreError {
    backend(error, -1)
}

impl Store for SqliteStore {
    async fn head(&self) -> Result<ChainHead, StoreError> {
        let row = sqlx::query("SELECT sequence, hash FROM entries ORDER BY sequence DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(read_error)?;
        let Some(row) = row else {
            return Ok(ChainHead::EMPTY);
        };
        let sequence: i64 = row.try_get("sequence").map_err(read_error)?;
        let hash: String = row.try_get("hash").map_err(read_error)?;
        let hash = Digest32::from_hex(&hash).map_err(|e| {
            StoreError::Corrupt(format!("entry {sequence} has an unreadable hash: {e}"))
        })?;
        Ok(ChainHead { sequence, hash })
    }

    async fn append(&self, batch: AppendBatch) -> Result<(), StoreError> {
        if batch.entries.is_empty() {
            return Ok(());
        }
        self.writer.write(batch, Precondition::FollowsHead).await
    }

    async fn entries_after(&self, sequence: i64, limit: u32) -> Result<Vec<Entry>, StoreError> {
        self.reader.entries_after(sequence, limit).await
    }

    async fn terms_after(
        &self,
        after: (&str, i64),
        limit: u32,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        terms::terms_after(&self.pool, after, limit).await
    }

    async fn entries_with_terms(
        &self,
        terms: &[&str],
        sequence: i64,
        limit: u32,
    ) -> Result<Vec<Entry>, StoreError> {
        terms::entries_with_terms(&self.pool, terms, sequence, limit).await
    }

    async fn command(&self, command_id: &str) -> Result<Option<CommandRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT command_id, command_hash, first_sequence, last_sequence, refused
             FROM commands WHERE command_id = $1",
        )
        .bind(command_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(read_error)?;
        row.as_ref().map(ReadRow::command).transpose()
    }

    async fn commands_by_id(&self, command_ids: &[&str]) -> Result<Vec<CommandRecord>, StoreError> {
        let mut records = Vec::new();
        for chunk in command_ids.chunks(IDS_PER_QUERY) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "SELECT command_id, command_hash, first_sequence, last_sequence, refused FROM commands WHERE command_id IN (",
            );
            let mut ids = query.separated(", ");
            for id in chunk {
                ids.push_bind(*id);
            }
            query.push(")");
            let rows = query
                .build()
                .fetch_all(&self.pool)
                .await
                .map_err(read_error)?;
            for row in &rows {
                records.push(row.command()?);
            }
        }
        Ok(records)
    }

    async fn commands_after(
        &self,
        sequence: i64,
        limit: u32,
    ) -> Result<Vec<CommandRecord>, StoreError> {
        self.reader.commands_after(sequence, limit).await
    }

    async fn row(&self, kind: &str, id: &str) -> Result<Option<StoredRow>, StoreError> {
        let row = sqlx::query(
            "SELECT kind, id, status, body, updated_seq FROM projection_rows WHERE kind = $1 AND id = $2",
        )
        .bind(kind)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(read_error)?;
        row.as_ref().map(ReadRow::stored_row).transpose()
    }

    async fn rows(
        &self,
        kind: &str,
        status: Option<&str>,
        after_id: &str,
        limit: u32,
    ) -> Result<Vec<StoredRow>, StoreError> {
        let query = match status {
            Some(status) => sqlx::query(
                "SELECT kind, id, status, body, updated_seq FROM projection_rows
                 WHERE kind = $1 AND status = $2 AND id > $3 ORDER BY id LIMIT $4",
            )
            .bind(kind)
            .bind(status),
            None => sqlx::query(
                "SELECT kind, id, status, body, updated_seq FROM projection_rows
                 WHERE kind = $1 AND id > $2 ORDER BY id LIMIT $3",
            )
            .bind(kind),
        };
        let rows = query
            .bind(after_id)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(read_error)?;
        rows.iter().map(ReadRow::stored_row).collect()
    }

    async fn all_rows_after(
        &self,
        after: (&str, &str),
        limit: u32,
    ) -> Result<Vec<StoredRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, id, status, body, updated_seq FROM projection_rows
             WHERE (kind, id) > ($1, $2) ORDER BY kind, id LIMIT $3",
        )
        .bind(after.0)
        .bind(after.1)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(read_error)?;
        rows.iter().map(ReadRow::stored_row).collect()
    }

    async fn replace_rows(&self, rows: Vec<Row>, sequence: i64) -> Result<(), StoreError> {
        self.writer.replace_rows(rows, sequence).await
    }

    async fn import(&self, batch: AppendBatch) -> Result<(), StoreError> {
        self.writer.write(batch, Precondition::Empty).await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod tests {
    use super::*;
    use hemaflow_ledger::store::Store;

    /// What a commit wrote reaches the database file without waiting for SQLite's own
    /// checkpoint threshold: the checkpointing thread copies the log after each commit.
    #[tokio::test]
    async fn committed_pages_reach_the_database_file_long_before_the_log_is_full() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("hemaflow.db");
        let store = SqliteStore::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let before = std::fs::metadata(&path).unwrap().len();
        let body = format!("{{\"notes\":\"{}\"}}", "x".repeat(2_000));
        let rows = (0..1_000)
            .map(|i| hemaflow_ledger::Row {
                kind: "unit".to_owned(),
                id: format!("{i:04}"),
                status: None,
                body: hemaflow_ledger::RowBody::from_serialized(body.clone()),
            })
            .collect();
        // About 2 MB, some 600 pages: far below the backstop's threshold.
        store.replace_rows(rows, 1).await.unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let size = std::fs::metadata(&path).unwrap().len();
            if size >= before + 1_500_000 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the database file is {size} bytes, {before} before the commit: the log was not copied"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            store.all_rows_after(("", ""), 2_000).await.unwrap().len(),
            1_000
        );
    }

    /// A database made before projection rows moved to a rowid table keeps every row, and
    /// its rows are still found by key and listed by status in id order.
    #[tokio::test]
    async fn projection_rows_of_an_earlier_database_survive_the_move_to_a_rowid_table() {
        let folder = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", folder.path().join("old.db").display());
        let options = SqliteConnectOptions::from_str(&url)
            .unwrap()
            .create_if_missing(true);
        let pool = SqlitePool::connect_with(options).await.unwrap();
        let before_the_move = sqlx::migrate::Migrator {
            migrations: MIGRATOR
                .iter()
                .filter(|m| m.description != "projection rows rowid")
                .cloned()
                .collect(),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        assert_eq!(before_the_move.iter().count() + 1, MIGRATOR.iter().count());
        before_the_move.run(&pool).await.unwrap();
        let long_body = format!("{{\"notes\":\"{}\"}}", "x".repeat(2_000));
        for (id, status, body) in [
            ("b", "available", "{}"),
            ("a", "available", long_body.as_str()),
            ("c", "quarantined", "{}"),
        ] {
            sqlx::query(
                "INSERT INTO projection_rows (kind, id, status, body, updated_seq)
                 VALUES ('unit', $1, $2, $3, 1)",
            )
            .bind(id)
            .bind(status)
            .bind(body)
            .execute(&pool)
            .await
            .unwrap();
        }
        pool.close().await;

        let store = SqliteStore::connect(&url).await.unwrap();
        let a = store.row("unit", "a").await.unwrap().unwrap();
        assert_eq!(a.row.body.as_str(), long_body);
        let available = store.rows("unit", Some("available"), "", 10).await.unwrap();
        let ids: Vec<&str> = available.iter().map(|r| r.row.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        let all = store.all_rows_after(("", ""), 10).await.unwrap();
        assert_eq!(all.len(), 3);
    }
}
