//! Release and quality: the release gate (REL-*), holds and quarantine, post-donation
//! information (REL-PDI), expiry and the tasks QA works through.

pub mod command;
pub(crate) mod decide;
pub(crate) mod evolve;
pub mod gate;
pub use command::{Command, Event};
