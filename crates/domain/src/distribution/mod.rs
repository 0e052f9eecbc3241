//! Distribution: our sites and storage, where each unit is, transfers, hospitals, orders,
//! allocation, picking, shipping, receipt and returns (DIST-*, ORDER-*, ALLOC-*).

pub mod command;
pub(crate) mod decide;
pub(crate) mod evolve;
pub(crate) mod rows;
pub use command::{Command, Event};
pub mod allocation;
pub mod config;
pub mod orders;
pub mod shipping;
pub mod sites;
pub(crate) mod supply;

// The doors: what other areas may use of this one. Everything else stays inside.
pub(crate) use orders::hospital_of;
pub(crate) use shipping::received_at_hospital;
pub(crate) use sites::{Celsius, Location, check_at_a_site, production_location};
