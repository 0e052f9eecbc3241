//! Lockout after repeated failed sign-ins (21 CFR 11.300(d): safeguards against unauthorized
//! use, and detection of attempts). A pure policy over what the account remembers.

/// After this many failed sign-ins in a row, the account locks.
pub const FAILURES_BEFORE_LOCK: u32 = 5;
/// How long a lock lasts, in seconds, before the user may try again.
pub const LOCK_SECONDS: i64 = 15 * 60;

/// What the account remembers about failed sign-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attempts {
    pub consecutive_failures: u32,
    /// Unix seconds until which the account is locked, if it is.
    pub locked_until: Option<i64>,
}

impl Attempts {
    /// Whether a sign-in may be tried at `now` (Unix seconds).
    pub fn is_locked(&self, now: i64) -> bool {
        self.locked_until.is_some_and(|until| now < until)
    }

    /// The record after a failed sign-in at `now`: the fifth failure in a row locks.
    pub fn after_failure(self, now: i64) -> Attempts {
        let consecutive_failures = self.consecutive_failures + 1;
        let locked_until = if consecutive_failures >= FAILURES_BEFORE_LOCK {
            Some(now + LOCK_SECONDS)
        } else {
            self.locked_until
        };
        Attempts {
            consecutive_failures,
            locked_until,
        }
    }

    /// The record of `consecutive` failures in a row, the last at `last_at` (Unix seconds):
    /// locked for [`LOCK_SECONDS`] after the last one once there are enough.
    pub fn from_run(consecutive: u32, last_at: i64) -> Attempts {
        Attempts {
            consecutive_failures: consecutive,
            locked_until: (consecutive >= FAILURES_BEFORE_LOCK).then_some(last_at + LOCK_SECONDS),
        }
    }

    /// The record after a successful sign-in: the count starts again.
    pub fn after_success(self) -> Attempts {
        Attempts::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p11_access_the_fifth_failure_in_a_row_locks_for_fifteen_minutes() {
        let mut attempts = Attempts::default();
        for _ in 0..4 {
            attempts = attempts.after_failure(1_000);
            assert!(!attempts.is_locked(1_000));
        }
        attempts = attempts.after_failure(1_000);
        assert!(attempts.is_locked(1_000));
        assert!(attempts.is_locked(1_000 + LOCK_SECONDS - 1));
        assert!(!attempts.is_locked(1_000 + LOCK_SECONDS));
    }

    #[test]
    fn p11_access_a_run_of_five_failures_locks_from_the_last_one() {
        assert!(!Attempts::from_run(4, 1_000).is_locked(1_000));
        let locked = Attempts::from_run(5, 1_000);
        assert!(locked.is_locked(1_000 + LOCK_SECONDS - 1));
        assert!(!locked.is_locked(1_000 + LOCK_SECONDS));
        assert_eq!(locked, Attempts::from_run(4, 0).after_failure(1_000));
    }

    #[test]
    fn a_success_clears_the_count() {
        let attempts = Attempts::default().after_failure(0).after_failure(0);
        assert_eq!(attempts.after_success(), Attempts::default());
    }
}
