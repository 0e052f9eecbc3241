//! A bad database URL is a clear error, never a panic.

// In tests a panic is the failure report.
#![allow(clippy::unwrap_used)]

use hemaflow_ledger::StoreError;
use hemaflow_store::{AnyStore, connect};
use hemaflow_store_tests::{Backend, TestDb};

async fn connect_error(url: &str) -> String {
    match connect(url).await {
        Err(StoreError::Connect(message)) => message,
        Err(other) => panic!("{url}: expected a connection error, got {other}"),
        Ok(_) => panic!("{url}: expected a connection error"),
    }
}

#[tokio::test]
async fn unknown_scheme_is_named() {
    let message = connect_error("mysql://root:hunter2@localhost/hemaflow").await;
    assert!(
        message.contains("unknown database scheme \"mysql\""),
        "{message}"
    );
    assert!(!message.contains("hunter2"), "{message}");
}

#[tokio::test]
async fn malformed_urls_are_refused() {
    let message = connect_error("postgres://[::1/hemaflow").await;
    assert!(message.contains("is not a PostgreSQL URL"), "{message}");
    let message = connect_error("hemaflow.db").await;
    assert!(message.contains("not a database URL"), "{message}");
}

#[tokio::test]
async fn unreachable_server_is_an_error_not_a_hang() {
    // Port 1 on the loopback: nothing listens there.
    let started = std::time::Instant::now();
    let message = connect_error("postgres://postgres:pw@127.0.0.1:1/hemaflow").await;
    assert!(
        message.contains("cannot connect to PostgreSQL at"),
        "{message}"
    );
    assert!(!message.contains(":pw@"), "{message}");
    assert!(started.elapsed().as_secs() < 30);
}

#[tokio::test]
async fn sqlite_in_a_missing_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/no/such/dir/hemaflow.db", dir.path().display());
    let message = connect_error(&url).await;
    assert!(message.contains("cannot open SQLite database"), "{message}");
}

#[tokio::test]
async fn sqlite_database_is_created_on_first_run_in_wal_mode() {
    let db = TestDb::fresh(Backend::Sqlite).await.unwrap();
    let AnyStore::Sqlite(store) = connect(&db.url).await.unwrap() else {
        panic!("sqlite:// opens SQLite");
    };
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn postgres_url_opens_postgres() {
    let Some(url) = hemaflow_store_tests::postgres_url() else {
        return;
    };
    assert!(matches!(connect(&url).await, Ok(AnyStore::Postgres(_))));
}

#[test]
fn the_default_url_creates_hemaflow_db_in_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_ledger-writer"))
        .args([hemaflow_store::DEFAULT_DATABASE_URL, "3"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(dir.path().join("hemaflow.db").is_file());
}
