//! Canonical JSON (RFC 8785 style): the only bytes the ledger ever hashes.
//!
//! The workspace enables serde_json's `preserve_order`, so `serde_json::to_string` keeps keys
//! in insertion order; hashing that output would make a hash depend on how a struct happened
//! to be declared. Here the bytes are written by hand: object keys sorted by their UTF-16 code
//! units (RFC 8785 §3.2.3), no whitespace, strings escaped as RFC 8785 requires (serde_json's
//! string escaping is exactly that: `\b \t \n \f \r \" \\`, other controls as lowercase
//! `\u00xx`, everything else literal). Integers are written as they are; other numbers as
//! RFC 8785 §3.2.2.3 says, by ECMAScript's Number-to-String rules over the shortest digits
//! that read back to the same double (the domain records measured values such as a
//! temperature of 36.8 °C or a height of 165.0 cm, which is written `165`).

use serde::Serialize;
use serde_json::Value;

mod writer;

/// Why a value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    #[error("the value could not be turned into JSON: {0}")]
    Serialize(String),
    #[error("the stored payload is not in canonical form: it was rewritten after it was hashed")]
    NotCanonical,
    #[error("the number {0} at {1} has no JSON form (not finite)")]
    NonInteger(String, String),
}

/// The canonical JSON text of any serialisable value: the text
/// `canonical_value(&serde_json::to_value(value)?)` would give, written straight from the
/// value without building a `Value` (see [`writer`]). One difference: a float that is not
/// finite is refused with its path, where `to_value` would have made it `null`.
pub fn to_canonical<T: Serialize + ?Sized>(value: &T) -> Result<String, CanonicalError> {
    let mut writer = writer::Writer::new();
    value.serialize(&mut writer)?;
    Ok(writer.out)
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
                match n.as_f64().filter(|f| f.is_finite()) {
                    Some(f) => write_double(f, n, out),
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

/// ECMAScript's Number::toString (ECMA-262 §6.1.6.1.20) of a finite double, from the shortest
/// round-trip digits that serde_json (ryu) prints for it, as RFC 8785 requires.
fn write_double(f: f64, n: &serde_json::Number, out: &mut String) {
    if f == 0.0 {
        out.push('0'); // -0 too
        return;
    }
    let text = n.to_string();
    let (text, negative) = match text.strip_prefix('-') {
        Some(rest) => (rest.to_owned(), true),
        None => (text, false),
    };
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (text.as_str(), 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: String = format!("{whole}{fraction}");
    // The decimal point sits after `point` digits: value = 0.digits x 10^point.
    let mut point = whole.len() as i32 + exponent;
    let leading = digits.len() - digits.trim_start_matches('0').len();
    digits.drain(..leading);
    point -= leading as i32;
    digits.truncate(digits.trim_end_matches('0').len());
    let k = digits.len() as i32;
    if negative {
        out.push('-');
    }
    if k <= point && point <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (point - k) as usize));
    } else if 0 < point && point <= 21 {
        out.push_str(&digits[..point as usize]);
        out.push('.');
        out.push_str(&digits[point as usize..]);
    } else if -6 < point && point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-point) as usize));
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = point - 1;
        out.push('e');
        out.push(if e < 0 { '-' } else { '+' });
        out.push_str(&e.abs().to_string());
    }
}

pub(crate) fn write_string(s: &str, out: &mut String) {
    // Most strings (ids, names, timestamps) need no escape: copy them as they are.
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.reserve(s.len() + 2);
        out.push('"');
        out.push_str(s);
        out.push('"');
        return;
    }
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
    fn doubles_are_written_as_ecmascript_writes_them() {
        let cases: [(f64, &str); 12] = [
            (165.0, "165"),
            (36.8, "36.8"),
            (-0.5, "-0.5"),
            (-0.0, "0"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (1e21, "1e+21"),
            (1.23e22, "1.23e+22"),
            (1e20, "100000000000000000000"),
            (123456.789, "123456.789"),
            (5e-324, "5e-324"),
        ];
        for (value, expected) in cases {
            assert_eq!(
                canonical_value(&json!(value)).unwrap(),
                expected,
                "{value:e}"
            );
        }
    }

    proptest! {
        #[test]
        fn a_canonical_double_reads_back_to_the_same_double(bits in any::<u64>()) {
            let value = f64::from_bits(bits);
            prop_assume!(value.is_finite());
            let text = canonical_value(&json!(value)).unwrap();
            let back: f64 = text.parse().unwrap();
            prop_assert_eq!(back, value);
            let again = canonical_value(&serde_json::from_str::<Value>(&text).unwrap()).unwrap();
            prop_assert_eq!(again, text);
        }
    }

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
    fn measured_values_are_hashed_in_their_shortest_form() {
        assert_eq!(
            canonical_value(&json!({"a": [1, 2.5, 80.0]})).unwrap(),
            r#"{"a":[1,2.5,80]}"#
        );
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

    /// Strings of characters from the ranges where canonical JSON is easy to get wrong:
    /// controls, quotes and backslashes, U+E000..U+FFFF and beyond U+FFFF (where UTF-16
    /// order differs from code point order), and any character at all.
    fn tricky_string() -> impl Strategy<Value = String> {
        let ch = prop_oneof![
            prop::char::range('\u{0}', '\u{7f}'),
            Just('"'),
            Just('\\'),
            prop::char::range('\u{e000}', '\u{ffff}'),
            prop::char::range('\u{10000}', '\u{10ffff}'),
            any::<char>(),
        ];
        prop::collection::vec(ch, 0..5).prop_map(|chars| chars.into_iter().collect())
    }

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(-1), Just(0)].prop_map(|n| json!(n)),
            Just(json!(u64::MAX)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| json!(f)),
            tricky_string().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((tricky_string(), inner), 0..8)
                    .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// `to_canonical` writes straight from the value; `canonical_value` is the reference.
        #[test]
        fn to_canonical_writes_what_canonical_value_writes(value in any_json()) {
            prop_assert_eq!(to_canonical(&value).unwrap(), canonical_value(&value).unwrap());
        }

        #[test]
        fn derived_types_are_written_as_to_value_makes_them(
            sample in sample_strategy()
        ) {
            let reference = canonical_value(&serde_json::to_value(&sample).unwrap()).unwrap();
            prop_assert_eq!(to_canonical(&sample).unwrap(), reference);
        }
    }

    use serde::Serialize;
    use std::collections::BTreeMap;

    #[derive(Debug, Serialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Tagged {
        Plain {
            zeta: String,
            alpha: Option<i64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            skipped: Option<u8>,
        },
        Wrapped(Inner),
        Nothing,
    }

    #[derive(Debug, Serialize)]
    struct Inner {
        b: f64,
        a: Vec<Outer>,
        #[serde(flatten)]
        extra: BTreeMap<String, i32>,
    }

    #[derive(Debug, Serialize)]
    enum Outer {
        Unit,
        Newtype(String),
        Tuple(i8, char),
        Struct { y: u32, x: Option<bool> },
    }

    #[derive(Debug, Serialize)]
    struct Sample {
        tagged: Tagged,
        by_number: BTreeMap<u16, String>,
        by_variant: BTreeMap<Key, bool>,
        pair: (u128, i128),
        unit: (),
        bytes: serde_bytes_like::Bytes,
        tiny: f32,
    }

    #[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
    enum Key {
        Left,
        Right,
    }

    /// `serialize_bytes` without a dependency on serde_bytes.
    mod serde_bytes_like {
        #[derive(Debug)]
        pub struct Bytes(pub Vec<u8>);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&self.0)
            }
        }
    }

    fn outer_strategy() -> impl Strategy<Value = Outer> {
        prop_oneof![
            Just(()).prop_map(|()| Outer::Unit),
            tricky_string().prop_map(Outer::Newtype),
            (any::<i8>(), any::<char>()).prop_map(|(a, b)| Outer::Tuple(a, b)),
            (any::<u32>(), any::<Option<bool>>()).prop_map(|(y, x)| Outer::Struct { y, x }),
        ]
    }

    fn sample_strategy() -> impl Strategy<Value = Sample> {
        let finite = any::<f64>().prop_filter("finite", |f| f.is_finite());
        let tagged = prop_oneof![
            (tricky_string(), any::<Option<i64>>(), any::<Option<u8>>()).prop_map(
                |(zeta, alpha, skipped)| Tagged::Plain {
                    zeta,
                    alpha,
                    skipped
                }
            ),
            (
                finite,
                prop::collection::vec(outer_strategy(), 0..4),
                // Flattened keys may repeat a field's name: the last one wins, as in to_value.
                prop::collection::btree_map(
                    prop_oneof![Just("a".to_owned()), Just("b".to_owned()), tricky_string()],
                    any::<i32>(),
                    0..4
                ),
            )
                .prop_map(|(b, a, extra)| Tagged::Wrapped(Inner { b, a, extra })),
            Just(()).prop_map(|()| Tagged::Nothing),
        ];
        (
            tagged,
            prop::collection::btree_map(any::<u16>(), tricky_string(), 0..4),
            prop::collection::btree_map(
                prop_oneof![Just(Key::Left), Just(Key::Right)],
                any::<bool>(),
                0..3,
            ),
            (
                0..=u128::from(u64::MAX),
                i128::from(i64::MIN)..=i128::from(u64::MAX),
            ),
            prop::collection::vec(any::<u8>(), 0..4),
            any::<f32>().prop_filter("finite", |f| f.is_finite()),
        )
            .prop_map(
                |(tagged, by_number, by_variant, pair, bytes, tiny)| Sample {
                    tagged,
                    by_number,
                    by_variant,
                    pair,
                    unit: (),
                    bytes: serde_bytes_like::Bytes(bytes),
                    tiny,
                },
            )
    }

    #[test]
    fn what_to_value_refuses_is_refused() {
        // A map key that is no string, number, bool or unit variant.
        let by_list: BTreeMap<Vec<u8>, u8> = [(vec![1], 1)].into_iter().collect();
        assert!(serde_json::to_value(&by_list).is_err());
        assert!(matches!(
            to_canonical(&by_list),
            Err(CanonicalError::Serialize(message)) if message.contains("key must be a string")
        ));
        // Integers beyond both i64 and u64.
        assert!(serde_json::to_value(u128::MAX).is_err());
        assert!(to_canonical(&u128::MAX).is_err());
        assert!(serde_json::to_value(i128::MIN).is_err());
        assert!(to_canonical(&i128::MIN).is_err());
        // A type's own refusal.
        struct Refuses;
        impl Serialize for Refuses {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("no JSON for this"))
            }
        }
        assert_eq!(
            to_canonical(&vec![Refuses]),
            Err(CanonicalError::Serialize("no JSON for this".into()))
        );
    }

    #[test]
    fn a_number_that_is_not_finite_is_refused_with_its_path() {
        assert_eq!(
            to_canonical(&f64::NAN),
            Err(CanonicalError::NonInteger("NaN".into(), "$".into()))
        );
        let nested: BTreeMap<&str, Vec<f64>> = [("x", vec![1.0, f64::INFINITY])].into();
        assert_eq!(
            to_canonical(&nested),
            Err(CanonicalError::NonInteger("inf".into(), "$.x[1]".into()))
        );
        #[derive(Serialize)]
        enum Reading {
            Pair(f64, f32),
            Named { celsius: f64 },
        }
        assert_eq!(
            to_canonical(&vec![Reading::Pair(1.0, f32::NEG_INFINITY)]),
            Err(CanonicalError::NonInteger(
                "-inf".into(),
                "$[0].Pair[1]".into()
            ))
        );
        assert_eq!(
            to_canonical(&Reading::Named { celsius: f64::NAN }),
            Err(CanonicalError::NonInteger(
                "NaN".into(),
                "$.Named.celsius".into()
            ))
        );
        let inner = Inner {
            b: 1.0,
            a: vec![],
            extra: BTreeMap::new(),
        };
        assert!(
            to_canonical(&Tagged::Wrapped(Inner {
                b: f64::NAN,
                ..inner
            }))
            .is_err()
        );
    }

    #[test]
    fn repeated_keys_keep_the_last_value_as_to_value_does() {
        let inner = Inner {
            b: 2.5,
            a: vec![Outer::Unit],
            extra: [("b".to_owned(), 7), ("c".to_owned(), 8)].into(),
        };
        let text = to_canonical(&inner).unwrap();
        assert_eq!(text, r#"{"a":["Unit"],"b":7,"c":8}"#);
        assert_eq!(
            text,
            canonical_value(&serde_json::to_value(&inner).unwrap()).unwrap()
        );
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
