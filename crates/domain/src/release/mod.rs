//! Release and quality: the release gate (REL-*), holds and quarantine, post-donation
//! information (REL-PDI), expiry and the tasks QA works through.

pub mod command;
pub(crate) mod decide;
pub(crate) mod evolve;
pub mod gate;
pub(crate) mod rows;
pub use command::{Command, Event};

// The doors: what other areas may use of this one. Everything else stays inside.
pub(crate) use gate::{
    HoldKind, HoldPlan, HoldTarget, Ids, Task, TaskKind, confirmed_group, open_holds_covering,
    release_blockers, release_blockers_before_label,
};
