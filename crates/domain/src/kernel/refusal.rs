//! What the rules answer when they refuse a command: the rule that refused and why, in the
//! words of the bench. A refusal changes nothing (invariant 6).

use std::fmt;

use serde::Serialize;

pub use super::rule::Rule;

/// A refused command: `rule` is the rule that refused (a [`Rule`]: a rule-book ID such as
/// `ELIG-HB-F` or `P11-ACCESS`, or a local one), serialised as its ID string; `message` says
/// what is wrong and, where there is one, what to do next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Refusal {
    pub rule: Rule,
    pub message: String,
}

impl Refusal {
    pub fn new(rule: Rule, message: impl Into<String>) -> Refusal {
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
pub(crate) fn refuse<T>(rule: Rule, message: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal::new(rule, message))
}

/// A required free text (a reason, a description): given, and at most `max` characters.
pub(crate) fn required_text(
    rule: Rule,
    field: &str,
    text: &str,
    max: usize,
) -> Result<(), Refusal> {
    let text = text.trim();
    if text.is_empty() {
        return refuse(rule, format!("the {field} is empty"));
    }
    let chars = text.chars().count();
    if chars > max {
        return refuse(
            rule,
            format!("the {field} is {chars} characters long; at most {max}"),
        );
    }
    Ok(())
}
