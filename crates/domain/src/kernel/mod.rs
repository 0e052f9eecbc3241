//! The shared kernel every area stands on: refusals and the rules they name, roles, decimal
//! measurements, periods in the rule book's units (days, weeks, months, years) with calendar
//! arithmetic, blood groups (the codec's own types) and the ABO/RhD compatibility tables.
//! It imports no area.

pub mod compat;
pub mod decimal;
pub mod period;
pub mod refusal;
pub mod role;
pub mod rule;

pub use hemaflow_isbt128::{Abo, RhD};
pub use period::Period;
pub use refusal::Refusal;
pub use role::Role;
pub use rule::Rule;
