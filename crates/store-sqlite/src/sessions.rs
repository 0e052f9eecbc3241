//! `SessionStore` on SQLite: the `sessions` table (token digests only).

use hemaflow_ledger::{SessionLimits, SessionStore, StoreError, StoredSession};
use hemaflow_store_sql::ReadRow;

use crate::{SqliteStore, read_error};

impl SessionStore for SqliteStore {
    async fn open_session(
        &self,
        session: &StoredSession,
        limits: SessionLimits,
    ) -> Result<(), StoreError> {
        self.remove_expired_sessions(session.started, limits)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (digest, user_id, csrf, started, last_seen) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&session.digest)
        .bind(&session.user_id)
        .bind(&session.csrf)
        .bind(session.started)
        .bind(session.last_seen)
        .execute(self.pool())
        .await
        .map_err(read_error)?;
        Ok(())
    }

    async fn touch_session(
        &self,
        digest: &str,
        now: i64,
        limits: SessionLimits,
    ) -> Result<Option<StoredSession>, StoreError> {
        // A read first: most requests find their session seen moments ago and write nothing.
        let stored = sqlx::query(
            "SELECT digest, user_id, csrf, started, last_seen FROM sessions WHERE digest = ?",
        )
        .bind(digest)
        .fetch_optional(self.pool())
        .await
        .map_err(read_error)?
        .map(|row| row.session())
        .transpose()?;
        match stored {
            None => return Ok(None),
            Some(stored) if limits.usable_unwritten(&stored, now) => return Ok(Some(stored)),
            Some(_) => {}
        }
        let row = sqlx::query(
            "UPDATE sessions SET last_seen = ?1
             WHERE digest = ?2 AND ?1 - last_seen < ?3 AND ?1 - started < ?4
             RETURNING digest, user_id, csrf, started, last_seen",
        )
        .bind(now)
        .bind(digest)
        .bind(limits.idle)
        .bind(limits.max)
        .fetch_optional(self.pool())
        .await
        .map_err(read_error)?;
        match row {
            Some(row) => row.session().map(Some),
            None => {
                self.close_session(digest).await?;
                Ok(None)
            }
        }
    }

    async fn close_session(&self, digest: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE digest = ?")
            .bind(digest)
            .execute(self.pool())
            .await
            .map_err(read_error)?;
        Ok(())
    }

    async fn close_sessions_of(&self, user_id: &str) -> Result<u64, StoreError> {
        sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(user_id)
            .execute(self.pool())
            .await
            .map(|done| done.rows_affected())
            .map_err(read_error)
    }

    async fn remove_expired_sessions(
        &self,
        now: i64,
        limits: SessionLimits,
    ) -> Result<u64, StoreError> {
        sqlx::query("DELETE FROM sessions WHERE ?1 - last_seen >= ?2 OR ?1 - started >= ?3")
            .bind(now)
            .bind(limits.idle)
            .bind(limits.max)
            .execute(self.pool())
            .await
            .map(|done| done.rows_affected())
            .map_err(read_error)
    }
}
