//! Why a scan was refused, where, and what the technologist can do about it.

use crate::Kind;

/// A scan or keyed-in value that is not valid ISBT 128.
///
/// `position` is the 0-based index of the offending character in the input as given (scanner
/// framing such as a trailing carriage return included), so that a screen can point at it.
///
/// The kind is boxed: errors are the cold path, and a small `Result` keeps the hot path of
/// every valid scan fast.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct ParseError {
    pub position: usize,
    pub kind: Box<ErrorKind>,
}

impl ParseError {
    pub fn new(position: usize, kind: ErrorKind) -> Self {
        ParseError {
            position,
            kind: Box::new(kind),
        }
    }
}

/// Every way an ISBT 128 input can be wrong. The `Display` text is written for the person at the
/// bench: what is wrong, in which part of which data structure, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    #[error("empty input: nothing was scanned")]
    Empty,
    #[error(
        "does not start with '=' or '&' (found '{found}'): not an ISBT 128 barcode, \
         and not a keyed-in DIN (13 characters and the check character)"
    )]
    NoDataIdentifier { found: char },
    #[error("unrecognized data identifier '{identifier}': not an ISBT 128 data structure")]
    UnknownDataIdentifier { identifier: String },
    #[error("data identifier '{identifier}' is cut short: the scan ends before it is complete")]
    IdentifierCutShort { identifier: String },
    #[error("{} is cut short: content length {found}, expected {expected}", kind.title())]
    Truncated {
        kind: Kind,
        expected: usize,
        found: usize,
    },
    #[error(
        "'{found}' is not allowed in the {} of {} (expected {expected})",
        words(field),
        kind.title()
    )]
    InvalidCharacter {
        kind: Kind,
        field: &'static str,
        found: char,
        expected: &'static str,
    },
    #[error("{} {} '{value}' is not valid: {reason}", kind.title(), words(field))]
    InvalidValue {
        kind: Kind,
        field: &'static str,
        value: String,
        reason: String,
    },
    #[error(
        "check character is '{found}', expected '{expected}': rescan the label or key the number in again"
    )]
    CheckCharacterMismatch { found: char, expected: char },
    #[error(
        "DIN flag '{found}' is a type 3 check flag but the DIN's check value is {expected}: \
         the flag and the DIN do not belong together"
    )]
    FlagCheckMismatch { found: String, expected: String },
    #[error(
        "a keyed-in DIN has 13 characters and its check character (spaces allowed); \
         this input has {found}"
    )]
    KeyedDinLength { found: usize },
    #[error(
        "unexpected character '{found}' after {}: a scan holds one data structure, \
         or two read together, or a compound message (=+)",
        after.title()
    )]
    TrailingCharacters { after: Kind, found: char },
    #[error(
        "a scan holds at most two data structures read together; a third ({}) needs a \
         compound message (=+)",
        found.title()
    )]
    TooManyStructures { found: Kind },
    #[error(
        "intervening character '{found}' between data structures: a compound message allows none"
    )]
    InterveningCharacter { found: char },
    #[error("declared count {declared} but only {found} data structures follow")]
    CompoundCountShort { declared: u8, found: u8 },
    #[error("declared count {declared} but more data structures follow")]
    CompoundCountExceeded { declared: u8 },
    #[error("a compound message must declare at least one data structure (count is 00)")]
    CompoundEmpty,
    #[error(
        "compound message sequence {sequence} is not in Hemaflow's copy of ICCBBA table RT017, \
         so the order of its structures cannot be verified; scan the linear barcodes instead"
    )]
    CompoundSequenceUnknown { sequence: String },
    #[error(
        "compound message may only contain ISBT 128 (non-national) structures; found {}",
        found.title()
    )]
    NationalInCompound { found: Kind },
    #[error("a compound message (=+) may only start a scan, not follow another data structure")]
    CompoundNotFirst,
    #[error("expected {}, but this is {}", expected_list(expected), found.title())]
    UnexpectedStructure { expected: Vec<Kind>, found: Kind },
}

fn expected_list(kinds: &[Kind]) -> String {
    let titles: Vec<String> = kinds.iter().map(|kind| kind.title()).collect();
    titles.join(" or ")
}

/// A field name as a technologist reads it: `day_of_year` becomes "day of year".
fn words(field: &str) -> String {
    field.replace('_', " ")
}
