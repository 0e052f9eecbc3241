//! Signed-in sessions, held in the server's memory: a restart signs everyone out, which is the
//! safe direction. The cookie carries a random token; the server keeps only its SHA-256.
//!
//! A session ends after [`IDLE_SECONDS`] without a request or [`MAX_SECONDS`] after sign-in,
//! whichever comes first (21 CFR 11.200(a)(1)(i): a continuous period of controlled access).

use std::collections::HashMap;
use std::sync::Mutex;

use super::token;

pub const IDLE_SECONDS: i64 = 30 * 60;
pub const MAX_SECONDS: i64 = 12 * 60 * 60;
pub const COOKIE: &str = "hemaflow_session";

/// Who a session belongs to, and its CSRF token for forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: String,
    pub csrf: String,
    started: i64,
    last_seen: i64,
}

impl Session {
    fn is_live(&self, now: i64) -> bool {
        now - self.last_seen < IDLE_SECONDS && now - self.started < MAX_SECONDS
    }
}

#[derive(Default)]
pub struct Sessions {
    by_digest: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// Opens a session for `user_id` at `now`; returns the cookie token and the session.
    pub fn open(&self, user_id: &str, now: i64) -> (String, Session) {
        let token = token::generate();
        let session = Session {
            user_id: user_id.to_owned(),
            csrf: token::generate(),
            started: now,
            last_seen: now,
        };
        let mut map = self.lock();
        map.retain(|_, existing| existing.is_live(now));
        map.insert(token::digest(&token), session.clone());
        (token, session)
    }

    /// The live session of a cookie token, refreshed; an idle or old one is closed.
    pub fn touch(&self, cookie_token: &str, now: i64) -> Option<Session> {
        let digest = token::digest(cookie_token);
        let mut map = self.lock();
        let session = map.get_mut(&digest)?;
        if !session.is_live(now) {
            map.remove(&digest);
            return None;
        }
        session.last_seen = now;
        Some(session.clone())
    }

    pub fn close(&self, cookie_token: &str) {
        self.lock().remove(&token::digest(cookie_token));
    }

    /// Closes every session of a user (password changed, account disabled).
    pub fn close_all_of(&self, user_id: &str) {
        self.lock().retain(|_, session| session.user_id != user_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        // A panic while holding this lock cannot leave a half-written map (every change is one
        // HashMap call), so a poisoned lock is still safe to use.
        self.by_digest
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p11_access_a_session_ends_after_thirty_idle_minutes() {
        let sessions = Sessions::default();
        let (token, opened) = sessions.open("u1", 0);
        assert_eq!(
            sessions.touch(&token, IDLE_SECONDS - 1),
            Some(opened.clone()).map(|s| Session {
                last_seen: IDLE_SECONDS - 1,
                ..s
            })
        );
        assert!(sessions.touch(&token, 2 * IDLE_SECONDS).is_none());
        assert!(
            sessions.touch(&token, 2 * IDLE_SECONDS - 2).is_none(),
            "closed for good"
        );
    }

    #[test]
    fn p11_access_a_session_ends_twelve_hours_after_sign_in_even_when_busy() {
        let sessions = Sessions::default();
        let (token, _) = sessions.open("u1", 0);
        let mut now = 0;
        while now < MAX_SECONDS - 60 {
            now += 60;
            assert!(sessions.touch(&token, now).is_some());
        }
        assert!(sessions.touch(&token, MAX_SECONDS).is_none());
    }

    #[test]
    fn a_closed_session_and_an_unknown_token_open_nothing() {
        let sessions = Sessions::default();
        let (token, _) = sessions.open("u1", 0);
        sessions.close(&token);
        assert!(sessions.touch(&token, 1).is_none());
        assert!(sessions.touch("forged", 1).is_none());
        let (a, _) = sessions.open("u2", 0);
        let (b, _) = sessions.open("u2", 0);
        sessions.close_all_of("u2");
        assert!(sessions.touch(&a, 1).is_none() && sessions.touch(&b, 1).is_none());
    }
}
