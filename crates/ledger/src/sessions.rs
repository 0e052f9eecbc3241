//! The sessions boundary: signed-in sessions kept in the database beside the ledger, so that a
//! restart signs nobody out and several server processes on one database share them. Not part
//! of the ledger (a session is not a record of the establishment); it lives here because this
//! crate is where the storage traits are, and only the `store-*` crates hold SQL.
//!
//! Only the SHA-256 digest of a session token is stored: a copy of the database opens no
//! session. The policy (how long a session lives) is the caller's, given with each call.

use std::future::Future;

use crate::store::StoreError;

/// A session as stored. Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    /// SHA-256 (hex) of the token the cookie or bearer header carries.
    pub digest: String,
    pub user_id: String,
    /// The session's CSRF token, sent back by its forms.
    pub csrf: String,
    pub started: i64,
    pub last_seen: i64,
}

/// How long a session lives: `idle` seconds without a request, `max` seconds after sign-in.
///
/// A request moves the stored `last_seen` only when it is at least `refresh` seconds old, so
/// that a busy client (a bench scanning all day) does not make every request a write: the
/// stored time lags the last request by less than `refresh` seconds, and a session can end
/// up to that much before its idle limit, never after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub idle: i64,
    pub max: i64,
    pub refresh: i64,
}

impl SessionLimits {
    /// Whether a session started at `started` and last seen at `last_seen` is live at `now`.
    pub fn is_live(&self, started: i64, last_seen: i64, now: i64) -> bool {
        now - last_seen < self.idle && now - started < self.max
    }

    /// Whether a request at `now` may use `stored` as it is: live, and seen less than
    /// `refresh` seconds ago (otherwise its `last_seen` is written, or it has expired).
    pub fn usable_unwritten(&self, stored: &StoredSession, now: i64) -> bool {
        self.is_live(stored.started, stored.last_seen, now) && now - stored.last_seen < self.refresh
    }
}

/// Sessions in a database. Every write is one statement or one transaction; `touch_session`
/// reads before it writes, and its write checks again what the read found.
pub trait SessionStore: Send + Sync {
    /// Stores a new session, and removes the expired ones of every user.
    fn open_session(
        &self,
        session: &StoredSession,
        limits: SessionLimits,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The live session of `digest`, its `last_seen` moved to `now` when it is `limits.refresh`
    /// seconds old or more (otherwise a read, returned as stored); an expired one is removed
    /// and `None` returned. The write is one atomic update that checks liveness again: two
    /// processes cannot revive an expired session.
    fn touch_session(
        &self,
        digest: &str,
        now: i64,
        limits: SessionLimits,
    ) -> impl Future<Output = Result<Option<StoredSession>, StoreError>> + Send;

    /// Removes one session (sign-out).
    fn close_session(&self, digest: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Removes every session of a user (password changed, account disabled); how many.
    fn close_sessions_of(
        &self,
        user_id: &str,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Removes every session expired at `now`; how many.
    fn remove_expired_sessions(
        &self,
        now: i64,
        limits: SessionLimits,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}
