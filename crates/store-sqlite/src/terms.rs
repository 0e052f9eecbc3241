//! The `entry_terms` index (see `hemaflow_ledger::terms`): written with the entries by
//! `append` and `import` (`writer.rs`, from `AppendBatch::terms`), backfilled on open for
//! entries written before it existed, read by `entries_with_terms`.

use hemaflow_ledger::terms::{batch_terms, is_term};
use hemaflow_ledger::{Entry, StoreError};
use sqlx::sqlite::SqlitePool;
use sqlx::{QueryBuilder, Sqlite};

use crate::read_error;
use crate::reader::Reader;
use crate::writer::Writer;
use hemaflow_store_sql::ReadRow;

/// Entries backfilled per transaction.
const BACKFILL_PAGE: u32 = 2_000;

/// Gives their terms to the entries written before the index existed (the migration left a
/// row saying up to which entry), a page per transaction, then removes that row. The terms
/// are written as an append writes them (`Writer::insert_terms`).
pub(crate) async fn backfill(
    pool: &SqlitePool,
    reader: &Reader,
    writer: &Writer,
) -> Result<(), StoreError> {
    let through: Option<i64> =
        sqlx::query_scalar("SELECT MAX(through_sequence) FROM entry_terms_backfill")
            .fetch_one(pool)
            .await
            .map_err(read_error)?;
    let Some(through) = through else {
        return Ok(());
    };
    let mut after = 0;
    while after < through {
        let mut entries = reader.entries_after(after, BACKFILL_PAGE).await?;
        entries.retain(|e| e.sequence <= through);
        let Some(last) = entries.last() else {
            break;
        };
        after = last.sequence;
        writer.insert_terms(batch_terms(&entries)).await?;
    }
    sqlx::query("DELETE FROM entry_terms_backfill")
        .execute(pool)
        .await
        .map_err(read_error)?;
    Ok(())
}

/// Up to `limit` entries after `sequence` having one of `terms`, in order.
pub(crate) async fn entries_with_terms(
    pool: &SqlitePool,
    terms: &[&str],
    sequence: i64,
    limit: u32,
) -> Result<Vec<Entry>, StoreError> {
    let terms: Vec<&str> = terms.iter().copied().filter(|t| is_term(t)).collect();
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = QueryBuilder::<Sqlite>::new(
        "SELECT sequence, recorded_at, actor, role, command_id, kind, event_type, payload, prev_hash, hash
         FROM entries WHERE sequence IN (SELECT sequence FROM entry_terms WHERE term IN (",
    );
    let mut list = query.separated(", ");
    for term in &terms {
        list.push_bind(*term);
    }
    query
        .push(") AND sequence > ")
        .push_bind(sequence)
        .push(") ORDER BY sequence LIMIT ")
        .push_bind(i64::from(limit));
    let rows = query.build().fetch_all(pool).await.map_err(read_error)?;
    rows.iter().map(ReadRow::entry).collect()
}

/// Up to `limit` index rows after `(term, sequence)` in key order (the primary key's).
pub(crate) async fn terms_after(
    pool: &SqlitePool,
    (term, sequence): (&str, i64),
    limit: u32,
) -> Result<Vec<(String, i64)>, StoreError> {
    sqlx::query_as(
        "SELECT term, sequence FROM entry_terms WHERE (term, sequence) > (?1, ?2)
         ORDER BY term, sequence LIMIT ?3",
    )
    .bind(term)
    .bind(sequence)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(read_error)
}
