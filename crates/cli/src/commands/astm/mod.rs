//! Analysers over ASTM: `serve --astm` listens for them (`listener.rs`), records their
//! results (`intake.rs`) with the code tables of `analysers.rs`; `hemaflow analyser` is a
//! simulated analyser for trying it (`simulator.rs`).

pub mod analysers;
pub mod intake;
pub mod listener;
pub mod simulator;
