//! The terms of an entry: what the `entry_terms` index of each store holds, so that the
//! entries naming an identifier (a DIN, a unit, a donor, a hold...) are found without reading
//! the whole ledger (REC-TRACE: the unit's history).
//!
//! The rule, the same on every backend: a term is a **string value** of the entry's payload
//! (at any depth, in objects and arrays; never an object key) that is **1 to
//! [`MAX_TERM_BYTES`] bytes long and contains no whitespace** (`char::is_whitespace`). Each
//! entry's terms are deduplicated. Identifiers are short and have no spaces; free text
//! (reasons, messages, names with spaces) is left out, which keeps the index small. A search
//! for a string that is not a term ([`is_term`]) cannot use the index.

use std::collections::BTreeSet;

/// The longest string value indexed, in bytes (a DIN is 13 characters, a unit id 21).
pub const MAX_TERM_BYTES: usize = 64;

/// Whether `value` is indexed when it is a string value of a payload.
pub fn is_term(value: &str) -> bool {
    !value.is_empty() && value.len() <= MAX_TERM_BYTES && !value.chars().any(char::is_whitespace)
}

/// The terms of a payload (canonical JSON text), deduplicated, in byte order; none when the
/// payload is not JSON.
pub fn entry_terms(payload: &str) -> Vec<String> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(payload) else {
        return Vec::new();
    };
    let mut terms = BTreeSet::new();
    collect(&value, &mut terms);
    terms.into_iter().collect()
}

fn collect(value: &serde_json::Value, terms: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::String(s) if is_term(s) => {
            terms.insert(s.clone());
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect(v, terms)),
        serde_json::Value::Object(fields) => fields.values().for_each(|v| collect(v, terms)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_the_short_string_values_without_whitespace_once_each() {
        let payload = r#"{"type":"unit_held","din":"W123426000001","ids":["W123426000001","H-7"],"reason":"ABO discrepancy","n":5,"nested":{"k":"x"},"empty":""}"#;
        assert_eq!(
            entry_terms(payload),
            vec!["H-7", "W123426000001", "unit_held", "x"]
        );
        assert!(!is_term(&"a".repeat(MAX_TERM_BYTES + 1)));
        assert!(is_term(&"a".repeat(MAX_TERM_BYTES)));
        assert!(!is_term("a\tb"));
        assert!(entry_terms("not json").is_empty());
    }
}
