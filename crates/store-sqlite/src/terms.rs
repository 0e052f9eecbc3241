//! The `entry_terms` index (see `hemaflow_ledger::terms`): written with the entries by
//! `append` and `import` (`writer.rs`, from `AppendBatch::terms`), backfilled on open for
//! entries written before it existed, read by `entries_with_terms`.

use hemaflow_ledger::terms::{batch_terms, is_term};
use hemaflow_ledger::{Entry, StoreError};
use sqlx::sqlite::SqlitePool;
use sqlx::{QueryBuilder, Sqlite, Transaction};

use crate::{backend, read_error};
use hemaflow_store_sql::ReadRow;

/// Two bound parameters per term row.
const TERMS_PER_INSERT: usize = 8_000;
/// Entries backfilled per transaction.
const BACKFILL_PAGE: i64 = 2_000;

/// Inserts the `entry_terms` rows of `entries` (one multi-row insert per few thousand terms).
async fn insert_terms(
    tx: &mut Transaction<'_, Sqlite>,
    entries: &[Entry],
    expected: i64,
) -> Result<(), StoreError> {
    let terms = batch_terms(entries);
    for chunk in terms.chunks(TERMS_PER_INSERT) {
        let mut query =
            QueryBuilder::<Sqlite>::new("INSERT OR IGNORE INTO entry_terms (term, sequence) ");
        query.push_values(chunk, |mut b, (term, sequence)| {
            b.push_bind(term).push_bind(sequence);
        });
        query
            .build()
            .execute(&mut **tx)
            .await
            .map_err(|e| backend(e, expected))?;
    }
    Ok(())
}

/// Gives their terms to the entries written before the index existed (the migration left a
/// row saying up to which entry), a page per transaction, then removes that row.
pub(crate) async fn backfill(pool: &SqlitePool) -> Result<(), StoreError> {
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
        let rows = sqlx::query(
            "SELECT sequence, recorded_at, actor, role, command_id, kind, event_type, payload, prev_hash, hash
             FROM entries WHERE sequence > $1 AND sequence <= $2 ORDER BY sequence LIMIT $3",
        )
        .bind(after)
        .bind(through)
        .bind(BACKFILL_PAGE)
        .fetch_all(pool)
        .await
        .map_err(read_error)?;
        let entries: Vec<Entry> = rows.iter().map(ReadRow::entry).collect::<Result<_, _>>()?;
        let Some(last) = entries.last() else {
            break;
        };
        after = last.sequence;
        let mut tx = pool.begin().await.map_err(read_error)?;
        insert_terms(&mut tx, &entries, 0).await?;
        tx.commit().await.map_err(read_error)?;
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
