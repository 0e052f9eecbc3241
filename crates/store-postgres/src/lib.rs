//! Hemaflow's ledger store on PostgreSQL (`postgres://user@host/db`), for several server
//! processes on one database.
//!
//! Migrated on open. Writers are kept apart by the primary key on the entry's sequence
//! number: of two transactions inserting the same sequence, the second waits for the first
//! and then fails with a unique violation, reported as [`StoreError::Conflict`]; its writer
//! catches up and decides again. Projection bodies are JSONB (queryable); entry payloads stay
//! TEXT, byte for byte what was hashed.

mod sessions;
mod terms;

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use hemaflow_ledger::terms::batch_terms;
use hemaflow_ledger::{
    AppendBatch, ChainHead, CommandRecord, Digest32, Entry, Row, Store, StoreError, StoredRow,
};
use hemaflow_store_sql::ReadRow;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, QueryBuilder, Row as _, Transaction};

/// How long opening waits for the server before reporting it unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Command IDs looked up per statement.
const IDS_PER_QUERY: usize = 500;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A ledger store in one PostgreSQL database (or schema).
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to and migrates the database at `url` (`postgres://` or `postgresql://`).
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(|e| {
            StoreError::Connect(format!("{} is not a PostgreSQL URL: {e}", redact(url)))
        })?;
        PgStore::connect_with(options, &redact(url)).await
    }

    /// Whether the database at `url` holds a Hemaflow ledger (its `entries` table), read
    /// without migrating or changing anything (for read-only commands).
    pub async fn has_ledger(url: &str) -> Result<bool, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(|e| {
            StoreError::Connect(format!("{} is not a PostgreSQL URL: {e}", redact(url)))
        })?;
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|e| {
                StoreError::Connect(format!(
                    "cannot connect to PostgreSQL at {}: {e}",
                    redact(url)
                ))
            })?;
        let found: bool = sqlx::query_scalar("SELECT to_regclass('entries') IS NOT NULL")
            .fetch_one(&pool)
            .await
            .map_err(|e| {
                StoreError::Connect(format!("cannot read PostgreSQL at {}: {e}", redact(url)))
            })?;
        pool.close().await;
        Ok(found)
    }

    /// Connects with `options` (for instance with a `search_path` naming a schema) and
    /// migrates; `name` is used in errors and must not hold a password.
    pub async fn connect_with(
        options: PgConnectOptions,
        name: &str,
    ) -> Result<PgStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|e| {
                StoreError::Connect(format!("cannot connect to PostgreSQL at {name}: {e}"))
            })?;
        MIGRATOR.run(&pool).await.map_err(|e| {
            StoreError::Connect(format!("cannot migrate PostgreSQL database {name}: {e}"))
        })?;
        terms::backfill(&pool).await?;
        Ok(PgStore { pool })
    }

    /// Connects to the database at `url` and works inside `schema` (created if missing), for
    /// several ledgers in one database: benchmarks, tests, one schema per site. The schema
    /// name is letters, digits and underscores only.
    pub async fn connect_in_schema(url: &str, schema: &str) -> Result<PgStore, StoreError> {
        check_schema_name(schema)?;
        let options = PgConnectOptions::from_str(url).map_err(|e| {
            StoreError::Connect(format!("{} is not a PostgreSQL URL: {e}", redact(url)))
        })?;
        let name = format!("{} (schema {schema})", redact(url));
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect_with(options.clone())
            .await
            .map_err(|e| {
                StoreError::Connect(format!("cannot connect to PostgreSQL at {name}: {e}"))
            })?;
        sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
            .execute(&admin)
            .await
            .map_err(|e| {
                StoreError::Connect(format!("cannot create schema {schema} at {name}: {e}"))
            })?;
        admin.close().await;
        PgStore::connect_with(options.options([("search_path", schema)]), &name).await
    }

    /// Drops `schema` and everything in it (the end of a benchmark or test).
    pub async fn drop_schema(&self, schema: &str) -> Result<(), StoreError> {
        check_schema_name(schema)?;
        sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .execute(&self.pool)
            .await
            .map_err(read_error)?;
        Ok(())
    }

    /// The connection pool, for tests that tamper with the tables directly.
    pub fn pool(&self) -> &PgPool {
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
        // serialization_failure, deadlock_detected, lock_not_available.
        if let Some(code) = db.code()
            && matches!(code.as_ref(), "40001" | "40P01" | "55P03")
        {
            return StoreError::Busy(db.message().to_owned());
        }
    }
    StoreError::Backend(Box::new(error))
}

fn read_error(error: sqlx::Error) -> StoreError {
    backend(error, -1)
}

// Each insert binds one array per column and reads them back with `UNNEST`: one statement
// per table and batch whatever its size, prepared once per connection, where a multi-row
// `VALUES` list is a new statement for the server to parse and plan at every batch size.

async fn insert_entries(
    tx: &mut Transaction<'_, Postgres>,
    entries: &[Entry],
    expected: i64,
) -> Result<(), StoreError> {
    let column = |f: fn(&Entry) -> String| entries.iter().map(f).collect::<Vec<String>>();
    let sequences: Vec<i64> = entries.iter().map(|e| e.sequence).collect();
    let borrowed = |f: fn(&Entry) -> &str| entries.iter().map(f).collect::<Vec<&str>>();
    sqlx::query(
        "INSERT INTO entries (sequence, recorded_at, actor, role, command_id, kind, event_type, payload, prev_hash, hash)
         SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])",
    )
    .bind(&sequences)
    .bind(column(|e| e.recorded_at.to_string()))
    .bind(borrowed(|e| &e.actor))
    .bind(borrowed(|e| &e.role))
    .bind(borrowed(|e| &e.command_id))
    .bind(borrowed(|e| e.kind.as_str()))
    .bind(borrowed(|e| &e.event_type))
    .bind(borrowed(|e| &e.payload))
    .bind(column(|e| e.prev_hash.to_hex()))
    .bind(column(|e| e.hash.to_hex()))
    .execute(&mut **tx)
    .await
    .map_err(|e| backend(e, expected))?;
    Ok(())
}

async fn insert_commands(
    tx: &mut Transaction<'_, Postgres>,
    commands: &[CommandRecord],
    expected: i64,
) -> Result<(), StoreError> {
    let text = |f: fn(&CommandRecord) -> &str| commands.iter().map(f).collect::<Vec<&str>>();
    let number = |f: fn(&CommandRecord) -> i64| commands.iter().map(f).collect::<Vec<i64>>();
    let refused: Vec<bool> = commands.iter().map(|c| c.refused).collect();
    sqlx::query(
        "INSERT INTO commands (command_id, command_hash, first_sequence, last_sequence, refused)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::boolean[])",
    )
    .bind(text(|c| &c.command_id))
    .bind(text(|c| &c.command_hash))
    .bind(number(|c| c.first_sequence))
    .bind(number(|c| c.last_sequence))
    .bind(&refused)
    .execute(&mut **tx)
    .await
    .map_err(|e| backend(e, expected))?;
    Ok(())
}

/// Inserts or replaces rows; a key that appears twice keeps its last version.
async fn upsert_rows(
    tx: &mut Transaction<'_, Postgres>,
    rows: &[Row],
    sequence: i64,
    expected: i64,
) -> Result<(), StoreError> {
    let mut latest: BTreeMap<(&str, &str), &Row> = BTreeMap::new();
    for row in rows {
        latest.insert(row.key(), row);
    }
    let latest: Vec<&Row> = latest.into_values().collect();
    if latest.is_empty() {
        return Ok(());
    }
    let text = |f: fn(&Row) -> &str| latest.iter().map(|r| f(r)).collect::<Vec<&str>>();
    let statuses: Vec<Option<&str>> = latest.iter().map(|r| r.status.as_deref()).collect();
    sqlx::query(
        "INSERT INTO projection_rows (kind, id, status, body, updated_seq)
         SELECT kind, id, status, body::jsonb, $5 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[]) AS r (kind, id, status, body)
         ON CONFLICT (kind, id) DO UPDATE SET status = excluded.status, body = excluded.body, updated_seq = excluded.updated_seq",
    )
    .bind(text(|r| &r.kind))
    .bind(text(|r| &r.id))
    .bind(&statuses)
    .bind(text(|r| r.body.as_str()))
    .bind(sequence)
    .execute(&mut **tx)
    .await
    .map_err(|e| backend(e, expected))?;
    Ok(())
}

async fn count(tx: &mut Transaction<'_, Postgres>, table: &str) -> Result<i64, StoreError> {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&mut **tx)
        .await
        .map_err(read_error)
}

impl Store for PgStore {
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
        let expected = batch.expected_last;
        let (Some(first), Some(last)) = (batch.entries.first(), batch.entries.last()) else {
            return Ok(());
        };
        if first.sequence != expected + 1 {
            return Err(StoreError::Conflict { expected });
        }
        let last_sequence = last.sequence;
        let terms = batch_terms(&batch.entries);
        let mut tx = self.pool.begin().await.map_err(|e| backend(e, expected))?;
        // The insert comes first: it waits for a concurrent writer of the same sequence and
        // fails if that writer commits.
        insert_entries(&mut tx, &batch.entries, expected).await?;
        if expected > 0 {
            let previous: Option<String> =
                sqlx::query_scalar("SELECT hash FROM entries WHERE sequence = $1")
                    .bind(expected)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(|e| backend(e, expected))?;
            if previous.as_deref() != Some(first.prev_hash.to_hex().as_str()) {
                return Err(StoreError::Conflict { expected });
            }
        }
        upsert_rows(&mut tx, &batch.rows, last_sequence, expected).await?;
        insert_commands(&mut tx, &batch.commands, expected).await?;
        terms::insert_terms(&mut tx, &terms, expected).await?;
        tx.commit().await.map_err(|e| backend(e, expected))
    }

    async fn entries_after(&self, sequence: i64, limit: u32) -> Result<Vec<Entry>, StoreError> {
        let rows = sqlx::query(
            "SELECT sequence, recorded_at, actor, role, command_id, kind, event_type, payload, prev_hash, hash
             FROM entries WHERE sequence > $1 ORDER BY sequence LIMIT $2",
        )
        .bind(sequence)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(read_error)?;
        rows.iter().map(ReadRow::entry).collect()
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
            let mut query = QueryBuilder::<Postgres>::new(
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
        let rows = sqlx::query(
            "SELECT command_id, command_hash, first_sequence, last_sequence, refused
             FROM commands WHERE first_sequence > $1 ORDER BY first_sequence LIMIT $2",
        )
        .bind(sequence)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(read_error)?;
        rows.iter().map(ReadRow::command).collect()
    }

    async fn row(&self, kind: &str, id: &str) -> Result<Option<StoredRow>, StoreError> {
        let row = sqlx::query(
            "SELECT kind, id, status, body::text AS body, updated_seq FROM projection_rows WHERE kind = $1 AND id = $2",
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
                "SELECT kind, id, status, body::text AS body, updated_seq FROM projection_rows
                 WHERE kind = $1 AND status = $2 AND id > $3 ORDER BY id LIMIT $4",
            )
            .bind(kind)
            .bind(status),
            None => sqlx::query(
                "SELECT kind, id, status, body::text AS body, updated_seq FROM projection_rows
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
            "SELECT kind, id, status, body::text AS body, updated_seq FROM projection_rows
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
        let mut tx = self.pool.begin().await.map_err(read_error)?;
        sqlx::query("DELETE FROM projection_rows")
            .execute(&mut *tx)
            .await
            .map_err(read_error)?;
        upsert_rows(&mut tx, &rows, sequence, -1).await?;
        tx.commit().await.map_err(read_error)
    }

    async fn import(&self, batch: AppendBatch) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(read_error)?;
        // Lock out writers before counting, so nothing slips in between.
        sqlx::query("LOCK TABLE entries, commands, projection_rows IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .map_err(read_error)?;
        let (entries, rows, commands) = (
            count(&mut tx, "entries").await?,
            count(&mut tx, "projection_rows").await?,
            count(&mut tx, "commands").await?,
        );
        if entries + rows + commands > 0 {
            return Err(StoreError::NotEmpty {
                entries,
                rows,
                commands,
            });
        }
        let last = batch.entries.last().map_or(0, |e| e.sequence);
        insert_entries(&mut tx, &batch.entries, 0).await?;
        insert_commands(&mut tx, &batch.commands, 0).await?;
        upsert_rows(&mut tx, &batch.rows, last, 0).await?;
        terms::insert_terms(&mut tx, &batch_terms(&batch.entries), 0).await?;
        tx.commit().await.map_err(read_error)
    }
}

/// Schema names are spliced into SQL, so only plain identifiers are accepted.
fn check_schema_name(schema: &str) -> Result<(), StoreError> {
    let plain = !schema.is_empty()
        && schema.len() <= 63
        && schema.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        Ok(())
    } else {
        Err(StoreError::Connect(format!(
            "{schema:?} is not a schema name Hemaflow uses: lowercase letters, digits and _ only, at most 63"
        )))
    }
}

/// The URL with its password replaced by `***`, for error messages.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:***{}",
            &url[..scheme_end + 3],
            &authority[..colon],
            &rest[at..]
        ),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod tests {
    use super::{check_schema_name, redact};

    #[test]
    fn schema_names_cannot_smuggle_sql() {
        assert!(check_schema_name("hemaflow_test_1").is_ok());
        assert!(check_schema_name("x; DROP TABLE entries").is_err());
        assert!(check_schema_name("").is_err());
        assert!(check_schema_name("1abc").is_err());
    }

    #[test]
    fn passwords_never_reach_error_messages() {
        assert_eq!(
            redact("postgres://ann:s3cret@db.example:5432/hemaflow"),
            "postgres://ann:***@db.example:5432/hemaflow"
        );
        assert_eq!(redact("postgres://ann@db/h"), "postgres://ann@db/h");
        assert_eq!(redact("postgres://db:5432/h"), "postgres://db:5432/h");
    }
}
