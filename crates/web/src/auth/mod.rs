//! Who is at the bench: passwords, sessions, CSRF tokens and lockout (21 CFR 11.10(d), 11.300),
//! and the [`Caller`] every handler extracts.
//!
//! The rules (how long a lockout lasts, what a session token looks like) are pure and tested
//! without a server; `caller.rs` and `csrf.rs` apply them to requests.

pub mod caller;
pub mod csrf;
pub mod lockout;
pub mod password;
pub mod session;
pub mod token;

pub use caller::Caller;
