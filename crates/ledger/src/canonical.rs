//! Canonical JSON (RFC 8785 style): the only bytes the ledger ever hashes.
//!
//! The workspace enables serde_json's `preserve_order`, so `serde_json::to_string` keeps keys
//! in insertion order; hashing that output would make a hash depend on how a struct happened
//! to be declared. Here the bytes are written by hand: object keys sorted by their UTF-16 code
//! units (RFC 8785 §3.2.3), no whitespace, strings escaped as RFC 8785 requires (serde_json's
//! string escaping is exactly that: `\b \t \n \f \r \" \\`, other controls as lowercase
//! `\u00xx`, everything else literal). Integers are written as they are. A non-integer number
//! (a screening's temperature, weight or haemoglobin, measured values the domain records as
//! given) is written as RFC 8785 §3.2.2.3 says (ECMAScript's shortest round-trip form) where
//! that form equals Rust's shortest round-trip `Display`: zero, and magnitudes from 1e-6 to
//! below 1e21, integral values without a fraction (`80.0` is `80`). Numbers outside that range
//! are refused, so that no formatting rule is ever guessed.

use serde::Serialize;
use serde_json::Value;

/// Why a value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    #[error("the value could not be turned into JSON: {0}")]
    Serialize(String),
    #[error("the stored payload is not in canonical form: it was rewritten after it was hashed")]
    NotCanonical,
    #[error(
        "the number {0} at {1} has no canonical form here; ledger payloads hold integers and decimals from 1e-6 to below 1e21"
    )]
    NonInteger(String, String),
}

/// The canonical JSON text of any serialisable value.
pub fn to_canonical<T: Serialize + ?Sized>(value: &T) -> Result<String, CanonicalError> {
    let value =
        serde_json::to_value(value).map_err(|e| CanonicalError::Serialize(e.to_string()))?;
    canonical_value(&value)
}

/// The ECMAScript form of `x` (RFC 8785 §3.2.2.3) where it equals Rust's shortest
/// round-trip `Display`; `None` outside that range.
fn ecmascript_number(x: f64) -> Option<String> {
    if x == 0.0 {
        return Some("0".to_owned());
    }
    let magnitude = x.abs();
    if !x.is_finite() || !(1e-6..1e21).contains(&magnitude) {
        return None;
    }
    Some(format!("{x}"))
}

/// The canonical JSON text of a JSON value.
pub fn canonical_value(value: &Value) -> Result<String, CanonicalError> {
    let mut out = String::new();
    write_value(value, &mut out, &mut String::from("$"))?;
    Ok(out)
}

fn write_value(value: &Value, out: &mut String, path: &mut String) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if n.is_i64() || n.is_u64() {
                out.push_str(&n.to_string());
            } else {
                match n.as_f64().and_then(ecmascript_number) {
                    Some(text) => out.push_str(&text),
                    None => return Err(CanonicalError::NonInteger(n.to_string(), path.clone())),
                }
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                write_value(item, out, path)?;
                path.truncate(len);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                let len = path.len();
                path.push('.');
                path.push_str(key);
                write_value(&map[key.as_str()], out, path)?;
                path.truncate(len);
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_string(s: &str, out: &mut String) {
    // serde_json's escaping of a string is RFC 8785's; serialising a &str cannot fail.
    match serde_json::to_string(s) {
        Ok(text) => out.push_str(&text),
        Err(_) => unreachable!("serialising a string to JSON text cannot fail"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_and_whitespace_is_gone() {
        let value = json!({"b": 1, "a": {"d": [1, 2, {"z": null, "y": true}], "c": "x"}});
        assert_eq!(
            canonical_value(&value).unwrap(),
            r#"{"a":{"c":"x","d":[1,2,{"y":true,"z":null}]},"b":1}"#
        );
    }

    #[test]
    fn keys_sort_by_utf16_code_units_as_rfc_8785_says() {
        // As code points U+E000 < U+1F600, but in UTF-16 U+1F600 starts with the surrogate
        // 0xD83D < 0xE000, so RFC 8785 puts it first.
        let value = json!({"\u{E000}": 1, "\u{1F600}": 2});
        assert_eq!(
            canonical_value(&value).unwrap(),
            "{\"\u{1F600}\":2,\"\u{E000}\":1}"
        );
    }

    #[test]
    fn strings_are_escaped_as_rfc_8785_says() {
        let value = json!("a\"b\\c\n\u{1}\u{7f}é€");
        assert_eq!(
            canonical_value(&value).unwrap(),
            "\"a\\\"b\\\\c\\n\\u0001\u{7f}é€\""
        );
    }

    #[test]
    fn decimals_are_written_in_their_ecmascript_form() {
        let value = json!({"t": 36.8, "w": 80.0, "z": -0.0, "hb": 12.5, "n": -0.000001});
        assert_eq!(
            canonical_value(&value).unwrap(),
            r#"{"hb":12.5,"n":-0.000001,"t":36.8,"w":80,"z":0}"#
        );
    }

    #[test]
    fn numbers_without_a_sure_canonical_form_are_refused_with_their_place() {
        let err = canonical_value(&json!({"a": [1, 1e-7]})).unwrap_err();
        assert_eq!(
            err,
            CanonicalError::NonInteger("1e-7".into(), "$.a[1]".into())
        );
        assert!(canonical_value(&json!(1e21)).is_err());
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            ".*".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((".*", inner), 0..6)
                    .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn canonical_text_parses_back_to_the_same_value(value in json_value()) {
            let text = canonical_value(&value).unwrap();
            let back: Value = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(&back, &value);
            // Canonicalising is idempotent: the text of the parsed text is the same text.
            prop_assert_eq!(canonical_value(&back).unwrap(), text);
        }

        #[test]
        fn key_insertion_order_does_not_change_the_text(
            pairs in prop::collection::vec(("[a-z]{0,3}", any::<i64>()), 0..8)
        ) {
            let forward: serde_json::Map<String, Value> =
                pairs.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
            let backward: serde_json::Map<String, Value> =
                forward.iter().rev().map(|(k, v)| (k.clone(), v.clone())).collect();
            prop_assert_eq!(
                canonical_value(&Value::Object(forward)).unwrap(),
                canonical_value(&Value::Object(backward)).unwrap()
            );
        }
    }
}
