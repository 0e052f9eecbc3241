//! Manufacturing: components from recipes, modifications, divisions and pools (COMP-*,
//! MOD-*), bacterial risk control (TEST-BACT), discard, and the final label (LABEL-*).

pub mod command;
pub(crate) mod decide;
pub(crate) mod evolve;
pub(crate) mod rows;
pub use command::{Command, Event};
pub mod components;
pub mod config;
pub mod label;

// The doors: what other areas may use of this one. Everything else stays inside.
pub(crate) use components::{Attr, Component, Family, Status, find as find_component};
pub(crate) use label::label_blocker;
