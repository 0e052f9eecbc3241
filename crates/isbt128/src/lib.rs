//! # hemaflow-isbt128
//!
//! The ISBT 128 codec of Hemaflow: every data structure of ICCBBA's ST-001 (v6.2.2) parsed
//! from the string a barcode scanner delivers into typed, valid values, and encoded back to
//! the exact same string.
//!
//! * [`parse`] reads a scan: one structure, two read together, a compound message, or a DIN
//!   keyed in by hand with its check character.
//! * [`parse_as`] reads a scan at a prompt that expects particular structures, checking the
//!   data identifier first (ST-001 §2.2).
//! * [`Din`] is a valid Donation Identification Number; [`Din::parse_keyed`] verifies the
//!   keyboard entry check character; [`mod37`] is ISO 7064 MOD 37-2.
//! * [`verify_scans`] compares the scans of an applied label with the structures it must
//!   carry; any difference is a [`Mismatch`].
//! * Every error is a [`ParseError`] with the position of the offending character and a
//!   message for the technologist. No input panics.
//!
//! The crate does no I/O and has one dependency (`thiserror`). Tables that ICCBBA licenses
//! (product descriptions, special testing codes, manufacturer codes) ship only with the
//! entries published in public sources; any other code is reported as not in the table,
//! never guessed.
//!
//! ## Field names
//! [`DataStructure::fields`] reports each structure's raw segments, named in [`spec`], then
//! its interpreted fields. For a DIN (001): `facility`, `year`, `sequence`, `flags`, then
//! `din`, `check_character` (computed), `eye_readable`, `flag_type`, `flag_meaning`.

mod antigens;
pub mod blood_group;
pub mod charset;
pub mod date;
mod din;
mod error;
mod fields;
mod meaning;
pub mod mod37;
pub mod product;
mod scan;
pub mod spec;
mod structure;
pub mod verify;

pub use blood_group::{Abo, BloodGroup, IntendedUse, RhD};
pub use date::{Date, DateTime, Time};
pub use din::{Din, DonationNumber, FlagKind, Flags};
pub use error::{ErrorKind, ParseError};
pub use fields::{FieldValue, Fields};
pub use scan::{Form, Scan, parse, parse_as};
pub use spec::Kind;
pub use structure::{CompoundHeader, DataStructure, ProductCode, Raw};
pub use verify::{Mismatch, verify_scans};

/// Rebuild one structure of `kind` from its raw segment fields (as [`DataStructure::fields`]
/// names them) and check it: the result is parsed like a scan, and every interpreted field
/// given must agree with what the rebuilt structure means.
pub fn encode_fields(kind: Kind, given: &[(String, String)]) -> Result<DataStructure, EncodeError> {
    let lookup = |name: &str| {
        given
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, v)| v.as_str())
    };
    let raw_names: Vec<&'static str> = fields::raw_fields(kind, "")
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let mut content = String::new();
    for name in &raw_names {
        let value = lookup(name).ok_or(EncodeError::MissingField { kind, field: name })?;
        content.push_str(value);
    }
    let identifier = match kind {
        Kind::DonationIdentificationNumber => "=",
        _ => kind.spec().identifier,
    };
    let scan = format!("{identifier}{content}");
    let structure =
        parse_as(&scan, &[kind]).map_err(|error| EncodeError::Invalid { scan, error })?;
    let derived = structure.fields();
    for (name, value) in given {
        if raw_names.contains(&name.as_str()) {
            continue;
        }
        let Some((_, actual)) = derived.iter().find(|(key, _)| key == name) else {
            return Err(EncodeError::UnknownField {
                kind,
                field: name.clone(),
            });
        };
        let actual = match actual {
            FieldValue::Text(text) => text.clone(),
            FieldValue::Integer(number) => number.to_string(),
            FieldValue::Bool(flag) => flag.to_string(),
            FieldValue::Null => "null".to_owned(),
            FieldValue::List(_) => continue,
        };
        if &actual != value {
            return Err(EncodeError::Contradiction {
                kind,
                field: name.clone(),
                given: value.clone(),
                actual,
            });
        }
    }
    Ok(structure)
}

/// Why a structure could not be encoded from fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("{} needs the field '{field}'", kind.title())]
    MissingField { kind: Kind, field: &'static str },
    #[error("{} has no field '{field}'", kind.title())]
    UnknownField { kind: Kind, field: String },
    #[error("the fields make '{scan}', which is not valid: {error}")]
    Invalid { scan: String, error: ParseError },
    #[error("{} field '{field}' is '{given}', but the other fields make it '{actual}'", kind.title())]
    Contradiction {
        kind: Kind,
        field: String,
        given: String,
        actual: String,
    },
}
