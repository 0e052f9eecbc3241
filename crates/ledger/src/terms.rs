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

use crate::entry::Entry;

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

/// The `entry_terms` rows of `entries`: each entry's terms with its sequence number.
pub fn batch_terms(entries: &[Entry]) -> Vec<(String, i64)> {
    entries
        .iter()
        .flat_map(|e| entry_terms(&e.payload).into_iter().map(|t| (t, e.sequence)))
        .collect()
}

/// The terms of a payload (JSON text, as the ledger stores it), deduplicated, in byte order;
/// none when the payload is not JSON.
///
/// Every append computes this for each entry, so it reads the text once without building a
/// `serde_json::Value`: after checking that the payload is JSON (`IgnoredAny`, which keeps
/// nothing), it walks the text and takes each string that is not followed by `:`, that is,
/// every string value and no object key. Only a string holding an escape is decoded. (A
/// payload never repeats a key: it is canonical JSON. Were one repeated, the values of both
/// would count, where a parser keeps the last.)
pub fn entry_terms(payload: &str) -> Vec<String> {
    if serde_json::from_str::<serde::de::IgnoredAny>(payload).is_err() {
        return Vec::new();
    }
    let mut terms: Vec<String> = Vec::new();
    let bytes = payload.as_bytes();
    let mut at = 0;
    while let Some(open) = bytes[at..].iter().position(|&b| b == b'"') {
        let start = at + open + 1;
        let (end, escaped) = string_end(bytes, start);
        at = end + 1;
        let is_key = bytes[at..]
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| b == b':');
        if is_key {
            continue;
        }
        let value = if escaped {
            match serde_json::from_str::<String>(&payload[start - 1..=end]) {
                Ok(decoded) => decoded,
                Err(_) => continue,
            }
        } else {
            payload[start..end].to_owned()
        };
        if is_term(&value) {
            terms.push(value);
        }
    }
    terms.sort_unstable();
    terms.dedup();
    terms
}

/// The index of the quote closing the string whose text begins at `start`, and whether the
/// string holds an escape. The payload is valid JSON, so the closing quote exists.
fn string_end(bytes: &[u8], start: usize) -> (usize, bool) {
    let mut escaped = false;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return (i, escaped),
            b'\\' => {
                escaped = true;
                i += 2;
            }
            _ => i += 1,
        }
    }
    (bytes.len().saturating_sub(1), escaped)
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

    #[test]
    fn keys_are_not_terms_and_escaped_values_are_decoded() {
        let payload =
            r#"{ "K1" : "V1", "list": ["a\"1", "\u0057\u0031", {"X9": {"Y8": "Z7"}}], "s1":"" }"#;
        assert_eq!(entry_terms(payload), vec!["V1", "W1", "Z7", "a\"1"]);
    }

    /// The reference: every string value of the parsed payload, by the rule.
    fn terms_by_parsing(payload: &str) -> Vec<String> {
        fn collect(value: &serde_json::Value, terms: &mut std::collections::BTreeSet<String>) {
            match value {
                serde_json::Value::String(s) if is_term(s) => {
                    terms.insert(s.clone());
                }
                serde_json::Value::Array(items) => items.iter().for_each(|v| collect(v, terms)),
                serde_json::Value::Object(fields) => {
                    fields.values().for_each(|v| collect(v, terms))
                }
                _ => {}
            }
        }
        let Ok(value) = serde_json::from_str::<serde_json::Value>(payload) else {
            return Vec::new();
        };
        let mut terms = std::collections::BTreeSet::new();
        collect(&value, &mut terms);
        terms.into_iter().collect()
    }

    fn json_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let text = prop_oneof![
            "[A-Z]{1,3}-?[0-9]{1,6}",
            "[a-z .]{0,8}",
            "2026-[0-9]{2}-[0-9]{2}",
            "[ -~]{0,12}",
            "\\PC{0,6}",
        ];
        let leaf = prop_oneof![
            text.clone().prop_map(serde_json::Value::String),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<bool>().prop_map(serde_json::Value::Bool),
            Just(serde_json::Value::Null),
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
                proptest::collection::btree_map(text.clone(), inner, 0..6)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// The walk over the text finds what parsing finds, compact or pretty-printed.
        #[test]
        fn walking_the_text_finds_the_terms_parsing_finds(value in json_value()) {
            let compact = value.to_string();
            proptest::prop_assert_eq!(entry_terms(&compact), terms_by_parsing(&compact));
            let pretty = serde_json::to_string_pretty(&value).unwrap_or_default();
            proptest::prop_assert_eq!(entry_terms(&pretty), terms_by_parsing(&pretty));
        }

        /// Any text at all: no panic, and nothing when it is not JSON.
        #[test]
        fn any_text_gives_terms_only_when_it_is_json(text in "\\PC{0,40}") {
            let terms = entry_terms(&text);
            proptest::prop_assert_eq!(terms, terms_by_parsing(&text));
        }
    }
}
