//! Test support for Hemaflow, kept out of the product: nothing but tests depends on this crate.
//!
//! - [`scenario`]: a donor centre with a clock and shorthand for a day's work, and the
//!   fixtures of the tests (a healthy screening, an identity, the supply network).
//! - [`transfusion`]: a hospital transfusion service: its staff, units delivered and received,
//!   patients, and the bench's steps.
//! - [`lookback`]: a donor with a history of released donations, a reactive donation.
//! - [`simulation`]: seeded random command sequences checking the domain's invariants
//!   ([`hemaflow_domain::invariants`]) after every step.
//!
//! Every step goes through `hemaflow_domain::decide` and `evolve` like any other caller.

pub mod lookback;
pub mod scenario;
pub mod simulation;
pub mod transfusion;
