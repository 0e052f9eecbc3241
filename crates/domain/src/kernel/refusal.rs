//! What the rules answer when they refuse a command: the rule that refused and why, in the
//! words of the bench. A refusal changes nothing (invariant 6).

use std::fmt;

use serde::Serialize;

/// A refused command: `rule` is the rule ID of the rule book (`ELIG-HB-F`, `P11-ACCESS`, ...)
/// or one of the local IDs listed in the crate docs; `message` says what is wrong and, where
/// there is one, what to do next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub rule: &'static str,
    pub message: String,
}

impl Refusal {
    pub fn new(rule: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            rule,
            message: message.into(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.rule, self.message)
    }
}

impl std::error::Error for Refusal {}

/// Shorthand for a refusal in `Err`.
pub(crate) fn refuse<T>(rule: &'static str, message: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal::new(rule, message))
}
