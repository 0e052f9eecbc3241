//! The testing laboratory: the panel ordered per donation, results and the repeat-reactive
//! algorithm (TEST-*), ABO/RhD twice and the antibody screen.

pub mod command;
pub(crate) mod decide;
pub(crate) mod evolve;
pub mod panel;
pub(crate) mod rows;
pub use command::{Command, Event};
pub mod config;
pub mod correction;
pub mod testing;

// The doors: what other areas may use of this one. Everything else stays inside.
pub(crate) use correction::ResultCorrection;
pub(crate) use testing::{
    MarkerStatus, Method, Reading, Stage, Typing, donation_typing, find_donation,
};
