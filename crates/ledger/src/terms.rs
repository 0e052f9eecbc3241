//! The terms of an entry: what the `entry_terms` index of each store holds, so that the
//! entries naming an identifier (a DIN, a unit, a donor, a hold...) are found without reading
//! the whole ledger (REC-TRACE: the unit's history).
//!
//! The rule, the same on every backend: a term is a **string value** of the entry's payload
//! (at any depth, in objects and arrays; never an object key) that **looks like an
//! identifier**: 1 to [`MAX_TERM_BYTES`] bytes long, no whitespace (`char::is_whitespace`), at
//! least one ASCII letter and one ASCII digit, and not a calendar date or date-time (it does not
//! begin with four digits and a hyphen). Each entry's terms are deduplicated.
//!
//! Why this shape: every identifier Hemaflow mints has a letter and a digit (a DIN and a donor
//! number begin with the facility's letter, the other ids with a letter prefix such as `S-`,
//! `DF-`, `H-`, `T-`, `ORD-`), while the vocabulary of the payloads (event types, statuses,
//! markers, roles, actors) has no digit, and measurements, dates and times identify nothing.
//! Those made up three quarters of the index and each sat in a bucket of a large share of the
//! ledger, which no look-up reads. A search for a string that is not a term ([`is_term`])
//! cannot use the index: the unit history then reads the ledger instead.

use std::collections::BTreeSet;

/// The longest string value indexed, in bytes (a DIN is 13 characters, a unit id 21).
pub const MAX_TERM_BYTES: usize = 64;

/// Whether `value` is indexed when it is a string value of a payload.
pub fn is_term(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_TERM_BYTES
        && value.bytes().any(|b| b.is_ascii_alphabetic())
        && value.bytes().any(|b| b.is_ascii_digit())
        && !begins_like_a_date(value)
        && !value.chars().any(char::is_whitespace)
}

/// `YYYY-`: the start of an RFC 3339 date or date-time (`2026-11-25`, `2026-11-25T10:00:00Z`).
fn begins_like_a_date(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() >= 5 && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[4] == b'-'
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
    fn terms_are_the_identifier_like_string_values_once_each() {
        let payload = r#"{"type":"unit_held","din":"W123426000001","ids":["W123426000001","H-000007"],"reason":"ABO discrepancy","n":5,"nested":{"k":"T-000001"},"empty":"","at":"2026-11-25T10:00:00Z","born":"1986-04-08","temperature":"36.8","status":"quarantined"}"#;
        assert_eq!(
            entry_terms(payload),
            vec!["H-000007", "T-000001", "W123426000001"]
        );
        let long = format!("W{}", "1".repeat(MAX_TERM_BYTES - 1));
        assert!(is_term(&long));
        assert!(!is_term(&format!("{long}1")));
        assert!(!is_term("W1\tb"));
        for identifier in [
            "W12340000000000000001",
            "S-000001",
            "DF-000001",
            "W123426000558-D4000V00",
            "ORD-2026-01-31-00008",
            "SHP-ORD-2026-01-31-00008-C",
        ] {
            assert!(is_term(identifier), "{identifier}");
        }
        for vocabulary in [
            "negative",
            "lab.bench",
            "36.8",
            "178",
            "2026-11-25",
            "O",
            "",
        ] {
            assert!(!is_term(vocabulary), "{vocabulary}");
        }
        assert!(entry_terms("not json").is_empty());
    }
}
