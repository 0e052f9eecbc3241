//! Lookback and recall: from a reactive donor to every earlier donation, unit, consignee and
//! recipient (LB-WINDOW, LB-DEADLINES), recalls and market withdrawals (RECALL-CLASS,
//! RECALL-TRACK), biological product deviations (BPD-45) and transfusion fatalities
//! (FATAL-7), each with its clocks; the dates themselves and retention (REC-RETAIN) are
//! computed in [`clocks`].
//!
//! Its records are its own (`LookbackState`, in `State::lookback`). It starts work from
//! other areas' events in the same decision ([`follow`]: a reactive result, a supplemental
//! result, post-donation information, a fatal reaction); it holds units through release's
//! holds and reads where a unit is through distribution, manufacturing and the transfusion
//! service's doors.

pub mod clocks;
pub mod command;
pub mod config;
pub mod deadlines;
pub(crate) mod decide;
pub mod deviations;
pub(crate) mod evolve;
pub(crate) mod follow;
pub mod invariants;
pub mod lookbacks;
pub mod recalls;
pub mod register;
pub mod retention;
pub(crate) mod rows;
pub mod trace;
pub use command::{Command, Event};
pub use register::LookbackState;

use crate::kernel::refusal::{Refusal, Rule};

/// The longest text a lookback, recall or deviation field takes.
pub const MAX_TEXT: usize = 2_000;

/// LB-INPUT: a required text is given, and not too long.
pub(crate) fn check_text(field: &str, text: &str) -> Result<(), Refusal> {
    crate::kernel::refusal::required_text(Rule::LbInput, field, text, MAX_TEXT)
}

// The doors: what other areas may use of this one. Only the top level reaches in (the
// follow-up of every decision); no area depends on this one.
