//! The one clock of a process: what the ledger reads, once per command (or batch) under its
//! lock, to stamp a command that asks for it ([`crate::Model::stamped`]), and what screens
//! read to show "now". The server and the command line construct it ([`SystemClock`]); tests
//! pass a [`FixedClock`] or a [`SteppingClock`].
//!
//! This module is the only place where Hemaflow reads the system's time (the web and the
//! command line crates check that no other code of theirs does).

use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// A clock shared by the ledger and the screens of one process.
pub type SharedClock = Arc<dyn Clock>;

/// The system's clock (UTC).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

impl SystemClock {
    /// The system clock as a [`SharedClock`].
    pub fn shared() -> SharedClock {
        Arc::new(SystemClock)
    }
}

/// A clock that always reads the same instant.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// A clock that reads `start`, then one `step` later at each reading: a test's time that moves
/// deterministically.
#[derive(Debug)]
pub struct SteppingClock {
    next: Mutex<Timestamp>,
    step: SignedDuration,
}

impl SteppingClock {
    pub fn new(start: Timestamp, step: SignedDuration) -> SteppingClock {
        SteppingClock {
            next: Mutex::new(start),
            step,
        }
    }
}

impl Clock for SteppingClock {
    fn now(&self) -> Timestamp {
        let mut next = self
            .next
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = *next;
        *next = now.saturating_add(self.step).unwrap_or(now);
        now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stepping_clock_moves_by_its_step_at_each_reading() {
        let start = Timestamp::from_second(1_795_000_000).expect("a time");
        let clock = SteppingClock::new(start, SignedDuration::from_secs(2));
        assert_eq!(clock.now(), start);
        assert_eq!(clock.now().as_second(), start.as_second() + 2);
        assert_eq!(FixedClock(start).now(), start);
    }
}
