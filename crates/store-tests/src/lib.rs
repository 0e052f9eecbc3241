//! Shared pieces of the store conformance stories: a small accounts domain (a model for the
//! ledger, not a mock of a database) and fresh databases on each backend.
//!
//! Every story runs on SQLite in a temporary directory, and on PostgreSQL when
//! `HEMAFLOW_TEST_POSTGRES_URL` is set, each test in its own schema.

pub mod accounts;

use std::sync::atomic::{AtomicU32, Ordering};

use hemaflow_store::{AnyStore, PgStore, SqliteStore};

/// The variable naming the PostgreSQL server of the tests.
pub const POSTGRES_URL_VAR: &str = "HEMAFLOW_TEST_POSTGRES_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// One empty database of its own, on one backend.
pub struct TestDb {
    pub backend: Backend,
    /// SQLite: the database URL; PostgreSQL: the server URL (the schema is separate).
    pub url: String,
    schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The PostgreSQL server URL, or a clear line on stderr saying the tests did not run there.
pub fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            // Written to the process's stderr directly: the test harness captures eprintln!
            // of passing tests, and this line must be seen. Once per test binary.
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "\n*** PostgreSQL tests were NOT run: set {POSTGRES_URL_VAR} (for example postgres://postgres@127.0.0.1:5432/test) ***\n"
                );
            });
            None
        }
    }
}

impl TestDb {
    /// A fresh database, or `None` for PostgreSQL when no server is configured.
    pub async fn fresh(backend: Backend) -> Option<TestDb> {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let url = format!("sqlite://{}", dir.path().join("hemaflow.db").display());
                Some(TestDb {
                    backend,
                    url,
                    schema: None,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => {
                let url = postgres_url()?;
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .expect("the clock is after 1970")
                    .subsec_nanos();
                let schema = format!("hemaflow_test_{}_{}_{}", std::process::id(), n, nanos);
                // Created (and migrated) now, so that another process can open it by URL.
                PgStore::connect_in_schema(&url, &schema)
                    .await
                    .expect("create the test schema")
                    .close()
                    .await;
                Some(TestDb {
                    backend,
                    url,
                    schema: Some(schema),
                    _dir: None,
                })
            }
        }
    }

    /// Opens the database (again): every call is a new connection pool, like another process.
    pub async fn open(&self) -> AnyStore {
        match &self.schema {
            None => AnyStore::Sqlite(
                SqliteStore::connect(&self.url)
                    .await
                    .expect("open the SQLite test database"),
            ),
            Some(schema) => AnyStore::Postgres(
                PgStore::connect_in_schema(&self.url, schema)
                    .await
                    .expect("open the PostgreSQL test schema"),
            ),
        }
    }

    /// A URL that opens this database (for PostgreSQL, the schema rides in `options`), for a
    /// separate process.
    pub fn store_url(&self) -> String {
        match &self.schema {
            None => self.url.clone(),
            Some(schema) => {
                let separator = if self.url.contains('?') { '&' } else { '?' };
                format!("{}{separator}options=-c%20search_path%3D{schema}", self.url)
            }
        }
    }

    /// Runs raw SQL against the database, as someone tampering with it would.
    pub async fn execute(store: &AnyStore, sql: &str) -> u64 {
        let affected = match store {
            AnyStore::Sqlite(s) => sqlx::query(sql)
                .execute(s.pool())
                .await
                .map(|r| r.rows_affected()),
            AnyStore::Postgres(s) => sqlx::query(sql)
                .execute(s.pool())
                .await
                .map(|r| r.rows_affected()),
        };
        affected.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Drops the PostgreSQL schema (SQLite files go with their temporary directory).
    pub async fn cleanup(self) {
        if let Some(schema) = &self.schema {
            let store = PgStore::connect_in_schema(&self.url, schema)
                .await
                .expect("the test server answers");
            store
                .drop_schema(schema)
                .await
                .expect("drop the test schema");
            store.close().await;
        }
    }
}
