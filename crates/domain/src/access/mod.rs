//! Accounts and access: user accounts, electronic signatures (P11-SIGN), API tokens of
//! machine clients, the record of sign-in attempts (P11-AUDIT) and who may give which
//! command (P11-ACCESS).

pub mod command;
pub(crate) mod decide;
pub(crate) mod evolve;
pub(crate) mod rows;
pub use command::{Command, Event};
pub mod accounts;
pub mod binding;
pub mod credentials;
pub mod roles;

// The doors: what other areas may use of this one. Everything else stays inside.
pub use binding::hospital_binding;
pub(crate) use credentials::TOKEN_ACTOR_PREFIX;
