//! The testing laboratory: the panel ordered per donation, results and the repeat-reactive
//! algorithm (TEST-*), ABO/RhD twice and the antibody screen.

pub mod command;
pub(crate) mod decide;
pub(crate) mod evolve;
pub use command::{Command, Event};
pub mod testing;
