//! The transfusion service of a client hospital: patients identified by their ISBT 128
//! wristband (TX-PATIENT), samples and type and screen (XM-SAMPLE, TX-TYPE), units retyped on
//! receipt (XM-RETYPE) and crossmatched (XM-ELECTRONIC, COMPAT-*, TX-REQUIRE), issued by scan to
//! one patient (TX-UNIT, TX-WRONG-PATIENT), the bedside check (TX-BEDSIDE), every issue's final
//! fate (TX-FATE), reactions (TX-REACTION), emergency release (EMERG-RELEASE) and the massive
//! transfusion protocol (TX-MTP).
//!
//! Its records are its own (`TransfusionState`, in `State::transfusion`); it reads a unit's
//! place and group only through the doors of distribution, manufacturing and release.

pub mod bedside;
pub mod bench;
pub mod command;
pub(crate) mod decide;
pub mod emergency;
pub(crate) mod evolve;
pub mod invariants;
pub mod patients;
pub(crate) mod rows;
pub mod samples;
pub mod service;
pub mod settings;
pub mod units;
pub use command::{Command, Event};
pub use service::TransfusionState;

// The doors: what other areas may use of this one: where a unit stands in a service and who
// received it (lookback and recall trace units to their recipients).
pub(crate) use service::{ServiceStanding, acting_hospital, unit_standing};
