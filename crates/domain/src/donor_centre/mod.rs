//! The donor centre: donors and their identity, eligibility at screening (ELIG-*), donation
//! intervals (INT-*), deferrals (DEF-*) and the collection of a donation.

pub mod command;
pub(crate) mod decide;
pub(crate) mod evolve;
pub use command::{Command, Event};
pub mod collection;
pub mod donor;
pub mod eligibility;
