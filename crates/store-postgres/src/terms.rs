//! The `entry_terms` index (see `hemaflow_ledger::terms`): written with the entries by
//! `append` and `import` (one `UNNEST` insert per batch), backfilled on open for entries
//! written before it existed, read by `entries_with_terms`.

use hemaflow_ledger::terms::{batch_terms, is_term};
use hemaflow_ledger::{Entry, StoreError};
use sqlx::postgres::PgPool;
use sqlx::{Postgres, Transaction};

use crate::{backend, read_error};
use hemaflow_store_sql::ReadRow;

/// Entries backfilled per transaction.
const BACKFILL_PAGE: i64 = 2_000;

/// Inserts the `entry_terms` rows of a batch in one statement.
pub(crate) async fn insert_terms(
    tx: &mut Transaction<'_, Postgres>,
    rows: &[(String, i64)],
    expected: i64,
) -> Result<(), StoreError> {
    let terms: Vec<&str> = rows.iter().map(|(term, _)| term.as_str()).collect();
    let sequences: Vec<i64> = rows.iter().map(|(_, sequence)| *sequence).collect();
    if terms.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO entry_terms (term, sequence)
         SELECT * FROM UNNEST($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING",
    )
    .bind(&terms)
    .bind(&sequences)
    .execute(&mut **tx)
    .await
    .map_err(|e| backend(e, expected))?;
    Ok(())
}

/// Gives their terms to the entries written before the index existed (the migration left a
/// row saying up to which entry), a page per transaction, then removes that row.
pub(crate) async fn backfill(pool: &PgPool) -> Result<(), StoreError> {
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
        insert_terms(&mut tx, &batch_terms(&entries), 0).await?;
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
    pool: &PgPool,
    terms: &[&str],
    sequence: i64,
    limit: u32,
) -> Result<Vec<Entry>, StoreError> {
    let terms: Vec<&str> = terms.iter().copied().filter(|t| is_term(t)).collect();
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(
        "SELECT sequence, recorded_at, actor, role, command_id, kind, event_type, payload, prev_hash, hash
         FROM entries
         WHERE sequence IN (SELECT sequence FROM entry_terms WHERE term = ANY($1) AND sequence > $2)
         ORDER BY sequence LIMIT $3",
    )
    .bind(&terms)
    .bind(sequence)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(read_error)?;
    rows.iter().map(ReadRow::entry).collect()
}

/// Up to `limit` index rows after `(term, sequence)` in key order (the primary key's).
pub(crate) async fn terms_after(
    pool: &PgPool,
    (term, sequence): (&str, i64),
    limit: u32,
) -> Result<Vec<(String, i64)>, StoreError> {
    sqlx::query_as(
        "SELECT term, sequence FROM entry_terms WHERE (term, sequence) > ($1, $2)
         ORDER BY term, sequence LIMIT $3",
    )
    .bind(term)
    .bind(sequence)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(read_error)
}
