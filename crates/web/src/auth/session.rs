//! Signed-in sessions, kept in the database beside the ledger (`SessionStore`), so that a
//! restart signs nobody out and several server processes on one database share them. The
//! cookie (or an API client's bearer header) carries a random token; the database keeps only
//! its SHA-256.
//!
//! A session ends after [`IDLE_SECONDS`] without a request or [`MAX_SECONDS`] after sign-in,
//! whichever comes first (21 CFR 11.200(a)(1)(i): a continuous period of controlled access);
//! expired rows are removed when they are next presented and whenever a session opens.
//!
//! Each server process remembers the sessions it read for [`RECHECK`], so that a client
//! sending many requests a second (a scanner at a bench, an instrument on the API) is not a
//! database query per request. Idle and age limits are checked on every request all the same;
//! a sign-out or a password change made through this process takes effect at once, one made
//! through another process on the same database within [`RECHECK`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

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
    /// The SHA-256 of the session's token (how [`Sessions::signed`] knows it).
    pub digest: String,
    /// Whether the session has signed before ([`Sessions::signed`]).
    pub signed_before: bool,
}

/// How long a session read from the database is used without reading it again.
pub const RECHECK: Duration = Duration::from_secs(1);
/// Sessions remembered at most (a bound on memory, far above a site's signed-in staff).
const REMEMBERED_AT_MOST: usize = 4096;

/// The sessions of the server's database.
#[derive(Clone)]
pub struct Sessions {
    store: AnyStore,
    recheck: Duration,
    remembered: Arc<Mutex<Remembered>>,
    signed: Arc<Mutex<Signers>>,
}

/// The sessions that have signed (P11-SIGN-SESSION, 21 CFR 11.200(a)(1)(i)): the first signing
/// of a continuous session takes the user ID and the password, later ones the password. Kept
/// by each server process in memory: after a restart, or on another process, a session is
/// asked for both components again, which asks more than the regulation, never less.
#[derive(Default)]
struct Signers {
    /// Token digest to user ID.
    by_digest: HashMap<String, String>,
}

/// Sessions whose signing is remembered at most; past it every session is asked for its user
/// ID again (a bound on memory, far above a site's signed-in staff).
const SIGNERS_AT_MOST: usize = 65_536;

/// Sessions as last read from the database, by token digest.
#[derive(Default)]
struct Remembered {
    sessions: HashMap<String, (StoredSession, Instant)>,
    /// Counts closings: a read that began before a closing must not remember what it read,
    /// or a session signed out during the read would come back.
    closings: u64,
}

impl Remembered {
    fn live(&self, digest: &str, now: i64, recheck: Duration) -> Option<StoredSession> {
        let (stored, read_at) = self.sessions.get(digest)?;
        let usable = read_at.elapsed() < recheck && LIMITS.usable_unwritten(stored, now);
        usable.then(|| stored.clone())
    }

    fn remember(&mut self, stored: StoredSession, read_at: Instant, recheck: Duration) {
        if self.sessions.len() >= REMEMBERED_AT_MOST {
            self.sessions.retain(|_, (_, at)| at.elapsed() < recheck);
        }
        if self.sessions.len() >= REMEMBERED_AT_MOST {
            // Thousands of sessions active within one recheck: start again rather than search.
            self.sessions.clear();
        }
        self.sessions
            .insert(stored.digest.clone(), (stored, read_at));
    }

    fn forget(&mut self, matching: impl Fn(&StoredSession) -> bool) {
        self.sessions.retain(|_, (stored, _)| !matching(stored));
        self.closings += 1;
    }
}

impl Sessions {
    pub fn new(store: AnyStore) -> Sessions {
        Sessions::with_recheck(store, RECHECK)
    }

    /// Sessions read again from the database when remembered for `recheck` or longer.
    pub fn with_recheck(store: AnyStore, recheck: Duration) -> Sessions {
        Sessions {
            store,
            recheck,
            remembered: Arc::default(),
            signed: Arc::default(),
        }
    }

    fn signers(&self) -> std::sync::MutexGuard<'_, Signers> {
        self.signed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Remembers that the session of `digest` (of `user_id`) has signed.
    pub fn mark_signed(&self, digest: &str, user_id: &str) {
        let mut signers = self.signers();
        if signers.by_digest.len() >= SIGNERS_AT_MOST {
            signers.by_digest.clear();
        }
        signers
            .by_digest
            .insert(digest.to_owned(), user_id.to_owned());
    }

    fn has_signed(&self, digest: &str) -> bool {
        self.signers().by_digest.contains_key(digest)
    }

    fn remembered(&self) -> std::sync::MutexGuard<'_, Remembered> {
        // The map holds no invariant a panicking holder could break halfway.
        self.remembered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
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
                digest: stored.digest,
                signed_before: false,
            },
        ))
    }

    /// The live session of a token, refreshed (at most once a [`REFRESH_SECONDS`]); an idle or
    /// old one is closed.
    pub async fn touch(&self, token: &str, now: i64) -> Result<Option<Session>, StoreError> {
        let digest = token::digest(token);
        let (known, closings) = {
            let remembered = self.remembered();
            (
                remembered.live(&digest, now, self.recheck),
                remembered.closings,
            )
        };
        let stored = match known {
            Some(stored) => Some(stored),
            None => {
                let read_at = Instant::now();
                let stored = self.store.touch_session(&digest, now, LIMITS).await?;
                let mut remembered = self.remembered();
                match &stored {
                    Some(live) if remembered.closings == closings => {
                        remembered.remember(live.clone(), read_at, self.recheck)
                    }
                    _ => {
                        remembered.sessions.remove(&digest);
                    }
                }
                stored
            }
        };
        if stored.is_none() {
            self.signers().by_digest.remove(&digest);
        }
        Ok(stored.map(|s| Session {
            signed_before: self.has_signed(&s.digest),
            user_id: s.user_id,
            csrf: s.csrf,
            digest: s.digest,
        }))
    }

    /// Forgotten after the row is deleted, so that a read racing the deletion is not
    /// remembered (see [`Remembered::closings`]), and even when the deletion failed.
    pub async fn close(&self, token: &str) -> Result<(), StoreError> {
        let digest = token::digest(token);
        let closed = self.store.close_session(&digest).await;
        self.remembered().forget(|s| s.digest == digest);
        self.signers().by_digest.remove(&digest);
        closed
    }

    /// Closes every session of a user (password changed, account disabled).
    pub async fn close_all_of(&self, user_id: &str) -> Result<(), StoreError> {
        let closed = self.store.close_sessions_of(user_id).await;
        self.remembered().forget(|s| s.user_id == user_id);
        self.signers().by_digest.retain(|_, user| user != user_id);
        closed.map(|_| ())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    /// Two pools on one database file: two server processes.
    async fn two_processes(recheck: Duration) -> (tempfile::TempDir, Sessions, Sessions) {
        let folder = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", folder.path().join("s.db").display());
        let first = hemaflow_service::store::connect(&url).await.unwrap();
        let second = hemaflow_service::store::connect(&url).await.unwrap();
        (
            folder,
            Sessions::with_recheck(first, recheck),
            Sessions::with_recheck(second, recheck),
        )
    }

    #[tokio::test]
    async fn p11_access_a_sign_out_through_this_process_takes_effect_at_once() {
        let (_folder, sessions, _) = two_processes(Duration::from_secs(3600)).await;
        let (token, _) = sessions.open("ann", 100).await.unwrap();
        assert!(sessions.touch(&token, 101).await.unwrap().is_some());
        sessions.close(&token).await.unwrap();
        assert_eq!(sessions.touch(&token, 102).await.unwrap(), None);

        let (first, _) = sessions.open("bob", 100).await.unwrap();
        let (second, _) = sessions.open("bob", 100).await.unwrap();
        assert!(sessions.touch(&first, 101).await.unwrap().is_some());
        assert!(sessions.touch(&second, 101).await.unwrap().is_some());
        sessions.close_all_of("bob").await.unwrap();
        assert_eq!(sessions.touch(&first, 102).await.unwrap(), None);
        assert_eq!(sessions.touch(&second, 102).await.unwrap(), None);
    }

    #[tokio::test]
    async fn p11_access_a_sign_out_through_another_process_takes_effect_within_the_recheck() {
        let recheck = Duration::from_millis(200);
        let (_folder, signing_out, serving) = two_processes(recheck).await;
        let (token, _) = signing_out.open("ann", 100).await.unwrap();
        assert!(serving.touch(&token, 101).await.unwrap().is_some());
        signing_out.close(&token).await.unwrap();
        tokio::time::sleep(recheck).await;
        assert_eq!(serving.touch(&token, 102).await.unwrap(), None);
    }

    #[tokio::test]
    async fn p11_access_a_remembered_session_still_ends_when_idle() {
        let (_folder, sessions, _) = two_processes(Duration::from_secs(3600)).await;
        let (token, opened) = sessions.open("ann", 0).await.unwrap();
        assert_eq!(sessions.touch(&token, 10).await.unwrap(), Some(opened));
        assert_eq!(sessions.touch(&token, IDLE_SECONDS).await.unwrap(), None);
    }

    #[test]
    fn p11_access_sessions_live_thirty_idle_minutes_and_twelve_hours_at_most() {
        assert!(LIMITS.is_live(0, 0, IDLE_SECONDS - 1));
        assert!(!LIMITS.is_live(0, 0, IDLE_SECONDS));
        assert!(LIMITS.is_live(0, MAX_SECONDS - 60, MAX_SECONDS - 1));
        assert!(!LIMITS.is_live(0, MAX_SECONDS - 60, MAX_SECONDS));
    }
}
