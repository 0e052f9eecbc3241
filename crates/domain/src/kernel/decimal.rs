//! Measurements (temperature, weight, haemoglobin, haematocrit...) in JSON as decimal strings
//! (`"12.5"`): the ledger hashes a canonical JSON that holds integers only, since a binary
//! float has no single canonical text. The string is Rust's shortest text that reads back to
//! the same `f64`, so a value survives the record exactly. Reading accepts a JSON number too,
//! so that people and scripts may write `12.5`.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serializer};
use std::fmt;

pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    deserializer.deserialize_any(DecimalVisitor)
}

struct DecimalVisitor;

impl Visitor<'_> for DecimalVisitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number, as a JSON number or a string such as \"12.5\"")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        v.trim()
            .parse()
            .map_err(|_| E::custom(format!("'{v}' is not a decimal number")))
    }
}

/// The same for an optional measurement (`null` when not taken).
pub mod option {
    use super::*;

    pub fn serialize<S: Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => serializer.collect_str(value),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<f64>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(deserialize_with = "super::deserialize")] f64);
        Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|Wrapped(v)| v))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct M {
        #[serde(with = "super")]
        hb: f64,
        #[serde(with = "super::option")]
        hct: Option<f64>,
    }

    #[test]
    fn measurements_are_decimal_strings_and_read_back_exactly() {
        let m = M {
            hb: 12.5,
            hct: Some(0.1 + 0.2),
        };
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"hb":"12.5","hct":"0.30000000000000004"}"#);
        assert_eq!(serde_json::from_str::<M>(&json).unwrap(), m);
        let numbers: M = serde_json::from_str(r#"{"hb":13,"hct":null}"#).unwrap();
        assert_eq!(
            numbers,
            M {
                hb: 13.0,
                hct: None
            }
        );
        assert!(serde_json::from_str::<M>(r#"{"hb":"high","hct":null}"#).is_err());
    }
}
