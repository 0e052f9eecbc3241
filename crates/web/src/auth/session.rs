//! Signed-in sessions, kept in the database beside the ledger (`SessionStore`), so that a
//! restart signs nobody out and several server processes on one database share them. The
//! cookie (or an API client's bearer header) carries a random token; the database keeps only
//! its SHA-256.
//!
//! A session ends after [`IDLE_SECONDS`] without a request or [`MAX_SECONDS`] after sign-in,
//! whichever comes first (21 CFR 11.200(a)(1)(i): a continuous period of controlled access);
//! expired rows are removed when they are next presented and whenever a session opens.

use hemaflow_service::ledger::{SessionLimits, SessionStore, StoreError, StoredSession};
use hemaflow_service::store::AnyStore;

use super::token;

pub const IDLE_SECONDS: i64 = 30 * 60;
pub const MAX_SECONDS: i64 = 12 * 60 * 60;
/// How stale the stored `last_seen` may grow before a request writes it again: a session ends
/// at most this much before its 30 idle minutes, never after, and a bench scanning all day
/// costs one write a minute instead of one per scan.
pub const REFRESH_SECONDS: i64 = 60;
pub const LIMITS: SessionLimits = SessionLimits {
    idle: IDLE_SECONDS,
    max: MAX_SECONDS,
    refresh: REFRESH_SECONDS,
};
pub const COOKIE: &str = "hemaflow_session";

/// Who a session belongs to, and its CSRF token for forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: String,
    pub csrf: String,
}

/// The sessions of the server's database.
#[derive(Clone)]
pub struct Sessions {
    store: AnyStore,
}

impl Sessions {
    pub fn new(store: AnyStore) -> Sessions {
        Sessions { store }
    }

    /// Opens a session for `user_id` at `now` (Unix seconds); returns the token to hand out.
    pub async fn open(&self, user_id: &str, now: i64) -> Result<(String, Session), StoreError> {
        let token = token::generate();
        let stored = StoredSession {
            digest: token::digest(&token),
            user_id: user_id.to_owned(),
            csrf: token::generate(),
            started: now,
            last_seen: now,
        };
        self.store.open_session(&stored, LIMITS).await?;
        Ok((
            token,
            Session {
                user_id: stored.user_id,
                csrf: stored.csrf,
            },
        ))
    }

    /// The live session of a token, refreshed (at most once a [`REFRESH_SECONDS`]); an idle or
    /// old one is closed.
    pub async fn touch(&self, token: &str, now: i64) -> Result<Option<Session>, StoreError> {
        let stored = self
            .store
            .touch_session(&token::digest(token), now, LIMITS)
            .await?;
        Ok(stored.map(|s| Session {
            user_id: s.user_id,
            csrf: s.csrf,
        }))
    }

    pub async fn close(&self, token: &str) -> Result<(), StoreError> {
        self.store.close_session(&token::digest(token)).await
    }

    /// Closes every session of a user (password changed, account disabled).
    pub async fn close_all_of(&self, user_id: &str) -> Result<(), StoreError> {
        self.store.close_sessions_of(user_id).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p11_access_sessions_live_thirty_idle_minutes_and_twelve_hours_at_most() {
        assert!(LIMITS.is_live(0, 0, IDLE_SECONDS - 1));
        assert!(!LIMITS.is_live(0, 0, IDLE_SECONDS));
        assert!(LIMITS.is_live(0, MAX_SECONDS - 60, MAX_SECONDS - 1));
        assert!(!LIMITS.is_live(0, MAX_SECONDS - 60, MAX_SECONDS));
    }
}
