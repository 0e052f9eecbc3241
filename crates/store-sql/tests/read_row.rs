//! Rows read into the ledger's types: a good row reads back, a damaged one is refused with a
//! message that says which record and what is wrong (on SQLite in memory; the conformance
//! stories of `hemaflow-store-tests` read real tables on SQLite and PostgreSQL).

use hemaflow_ledger::{EntryKind, StoreError};
use hemaflow_store_sql::ReadRow;
use sqlx::sqlite::SqlitePoolOptions;

const HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

async fn row(select: &str) -> sqlx::sqlite::SqliteRow {
    let pool = SqlitePoolOptions::new()
        .connect("sqlite::memory:")
        .await
        .expect("in memory");
    sqlx::query(select).fetch_one(&pool).await.expect("row")
}

fn entry_select(recorded_at: &str, kind: &str) -> String {
    format!(
        "SELECT 7 AS sequence, '{recorded_at}' AS recorded_at, 'ada' AS actor, 'admin' AS role, \
         'c-1' AS command_id, '{kind}' AS kind, 'user_created' AS event_type, '{{}}' AS payload, \
         '{HASH}' AS prev_hash, '{HASH}' AS hash"
    )
}

#[tokio::test]
async fn an_entry_row_reads_back_and_a_damaged_one_names_the_entry_and_the_field() {
    let entry = row(&entry_select("2026-03-02T08:00:00Z", "event"))
        .await
        .entry()
        .expect("a good row");
    assert_eq!(
        (entry.sequence, entry.kind, entry.actor.as_str()),
        (7, EntryKind::Event, "ada")
    );
    assert_eq!(entry.recorded_at.to_string(), "2026-03-02T08:00:00Z");

    for (select, what) in [
        (entry_select("yesterday", "event"), "unreadable time"),
        (
            entry_select("2026-03-02T08:00:00Z", "gossip"),
            "unreadable kind",
        ),
    ] {
        match row(&select).await.entry() {
            Err(StoreError::Corrupt(message)) => {
                assert!(
                    message.starts_with("entry 7 has an") && message.contains(what),
                    "{message}"
                )
            }
            other => panic!("{what}: {other:?}"),
        }
    }
    let missing = row("SELECT 7 AS sequence").await.entry();
    assert!(
        matches!(missing, Err(StoreError::Backend(_))),
        "{missing:?}"
    );
}

#[tokio::test]
async fn a_projection_row_needs_a_json_body_and_keeps_a_missing_status() {
    let good = row(
        "SELECT 'order' AS kind, 'O-1' AS id, NULL AS status, '{\"a\":1}' AS body, 3 AS updated_seq",
    )
    .await
    .stored_row()
    .expect("a good row");
    assert_eq!(good.row.status, None);
    assert_eq!(good.row.body.value()["a"], 1);
    assert_eq!(good.updated_seq, 3);
    match row("SELECT 'order' AS kind, 'O-1' AS id, 'open' AS status, 'not json' AS body, 3 AS updated_seq")
        .await
        .stored_row()
    {
        Err(StoreError::Corrupt(message)) => {
            assert!(message.starts_with("projection row order O-1"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn command_and_session_rows_read_back() {
    let command = row(
        "SELECT 'c-1' AS command_id, 'h' AS command_hash, 1 AS first_sequence, 2 AS last_sequence, 1 AS refused",
    )
    .await
    .command()
    .expect("command");
    assert!(command.refused && command.last_sequence == 2);
    let session =
        row("SELECT 'd' AS digest, 'ada' AS user_id, 'x' AS csrf, 10 AS started, 20 AS last_seen")
            .await
            .session()
            .expect("session");
    assert_eq!((session.user_id.as_str(), session.last_seen), ("ada", 20));
}
