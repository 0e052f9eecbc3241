//! The donor centre: donors and their identity, eligibility at screening (ELIG-*), donation
//! intervals (INT-*), deferrals (DEF-*) and the collection of a donation.

pub mod command;
pub(crate) mod decide;
pub(crate) mod evolve;
pub(crate) mod rows;
pub use command::{Command, Event};
pub mod collection;
pub mod config;
pub mod correction;
pub mod donor;
pub mod eligibility;

// The doors: what other areas may use of this one. Everything else stays inside.
pub(crate) use collection::{Determination, Donation, VolumeStatus, check_new_din};
pub(crate) use correction::{ScreeningCorrection, donation_of_screening};
pub(crate) use donor::{Donor, find as find_donor};
pub(crate) use eligibility::{DeferralIds, Procedure, current_deferrals, deferral};
