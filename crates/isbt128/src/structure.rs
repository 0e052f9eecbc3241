//! One data structure: recognising its data identifier, checking its content field by field,
//! giving it its typed meaning, and writing it back.

use std::fmt;

use crate::blood_group::BloodGroup;
use crate::charset::CharClass;
use crate::date::{self, Date, DateTime};
use crate::din::{Din, DonationNumber};
use crate::error::{ErrorKind, ParseError};
use crate::product::{self, TrailerRule};
use crate::spec::{Kind, Length, Segment};

/// One parsed ISBT 128 data structure. Every value is valid: it can only be made by parsing.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum DataStructure {
    /// 001 as scanned: DIN and flags.
    Donation(DonationNumber),
    /// 001 keyed in by hand from the eye-readable text, verified by its check character.
    KeyedDin(Din),
    /// 002.
    BloodGroup(BloodGroup),
    /// 003.
    Product(ProductCode),
    /// 004, 006 or 008.
    Date { kind: Kind, date: Date },
    /// 005, 007 or 009.
    DateTime { kind: Kind, date_time: DateTime },
    /// 023: the header of a compound message.
    Compound(CompoundHeader),
    /// Every other structure, its content checked character by character and value by value.
    Other(Raw),
}

/// The header of a compound message (023): how many structures follow, and in which
/// specified sequence (`0` for an undefined order).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct CompoundHeader {
    pub count: u8,
    pub sequence: u16,
}

/// A product code (003): product description code, collection type and divisions.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct ProductCode([u8; 8]);

impl ProductCode {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("product codes are ASCII, checked when parsed")
    }

    /// The product description code (PDC), e.g. `E0398`.
    pub fn description_code(&self) -> &str {
        &self.as_str()[..5]
    }

    /// The collection type character `t` (Table 7).
    pub fn collection_type(&self) -> char {
        self.0[5] as char
    }

    /// The division code `ds`.
    pub fn divisions(&self) -> &str {
        &self.as_str()[6..]
    }

    /// The catalogue description, if Hemaflow's catalogue has the code.
    pub fn description(&self) -> Option<&'static str> {
        product::description(self.description_code())
    }
}

impl fmt::Display for ProductCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The checked content of a structure without a richer type of its own.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Raw {
    kind: Kind,
    content: Content,
}

/// The longest content held inline: every fixed-length structure but DS038 (40) fits, and
/// the enum stays small enough to move cheaply.
const INLINE_CONTENT_MAX: usize = 22;

/// Content text, inline when it fits so that parsing a fixed-length structure allocates
/// nothing; variable-length structures (025, 029, 030, national) may need the heap.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
enum Content {
    Inline {
        bytes: [u8; INLINE_CONTENT_MAX],
        len: u8,
    },
    Heap(Box<str>),
}

impl Content {
    fn new(text: &str) -> Content {
        if text.len() <= INLINE_CONTENT_MAX {
            let mut bytes = [0u8; INLINE_CONTENT_MAX];
            bytes[..text.len()].copy_from_slice(text.as_bytes());
            Content::Inline {
                bytes,
                len: text.len() as u8,
            }
        } else {
            Content::Heap(text.into())
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Content::Inline { bytes, len } => std::str::from_utf8(&bytes[..usize::from(*len)])
                .expect("inline content is copied whole from a str"),
            Content::Heap(text) => text,
        }
    }
}

impl Raw {
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The content after the data identifier (for `&a`..`&z`, the letter and what follows).
    pub fn content(&self) -> &str {
        self.content.as_str()
    }
}

impl DataStructure {
    pub fn kind(&self) -> Kind {
        match self {
            DataStructure::Donation(_) | DataStructure::KeyedDin(_) => {
                Kind::DonationIdentificationNumber
            }
            DataStructure::BloodGroup(_) => Kind::BloodGroups,
            DataStructure::Product(_) => Kind::ProductCode,
            DataStructure::Date { kind, .. } | DataStructure::DateTime { kind, .. } => *kind,
            DataStructure::Compound(_) => Kind::CompoundMessage,
            DataStructure::Other(raw) => raw.kind,
        }
    }

    /// The content without the data identifier, as it appears in the scan. For a keyed-in
    /// DIN, the 13 characters and the check character.
    pub fn content(&self) -> String {
        let mut out = String::with_capacity(24);
        self.write_content(&mut out);
        out
    }

    fn write_content(&self, out: &mut String) {
        match self {
            DataStructure::Donation(number) => number.write_content(out),
            DataStructure::KeyedDin(din) => {
                out.push_str(din.as_str());
                out.push(din.check_character());
            }
            DataStructure::BloodGroup(group) => group.write_content(out),
            DataStructure::Product(code) => out.push_str(code.as_str()),
            DataStructure::Date { date, .. } => {
                out.push_str(&date.to_julian().expect("parsed dates lie in 2000-2999"));
            }
            DataStructure::DateTime { date_time, .. } => {
                out.push_str(
                    &date_time
                        .date
                        .to_julian()
                        .expect("parsed dates lie in 2000-2999"),
                );
                let time = date_time.time;
                out.push_str(&format!("{:02}{:02}", time.hour(), time.minute()));
            }
            DataStructure::Compound(header) => {
                out.push_str(&format!("{:02}{:03}", header.count, header.sequence));
            }
            DataStructure::Other(raw) => out.push_str(raw.content()),
        }
    }

    /// Write the structure as a scanner delivers it: data identifier and content.
    pub fn encode_into(&self, out: &mut String) {
        match self {
            DataStructure::KeyedDin(_) => {}
            DataStructure::Donation(_) => out.push('='),
            DataStructure::Other(raw) if raw.kind == Kind::NonIccbba => out.push('&'),
            _ => out.push_str(self.kind().spec().identifier),
        }
        self.write_content(out);
    }

    /// The structure as a scanner delivers it (a keyed-in DIN as it was keyed, without spaces).
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(32);
        self.encode_into(&mut out);
        out
    }
}

/// Checks characters against a structure's layout, reporting the first that does not fit.
pub(crate) struct Checker<'a> {
    pub input: &'a str,
    pub kind: Kind,
    /// Where the content starts in `input` (for the "content length" of a cut-short scan).
    pub content_start: usize,
    /// The content length the structure needs, for the message of a cut-short scan.
    pub expected_len: usize,
}

impl Checker<'_> {
    /// Check `classes` from byte `at`; returns the position after them.
    pub fn check(
        &self,
        field: &'static str,
        classes: &[CharClass],
        at: usize,
    ) -> Result<usize, ParseError> {
        let bytes = self.input.as_bytes();
        // Fast path: the whole field is present and every character fits.
        if let Some(field_bytes) = bytes.get(at..at + classes.len())
            && field_bytes
                .iter()
                .zip(classes)
                .all(|(&byte, class)| class.contains(byte))
        {
            return Ok(at + classes.len());
        }
        for (index, class) in classes.iter().enumerate() {
            let position = at + index;
            let Some(&byte) = bytes.get(position) else {
                return Err(self.truncated(position));
            };
            if !class.contains(byte) {
                return Err(ParseError::new(
                    position,
                    ErrorKind::InvalidCharacter {
                        kind: self.kind,
                        field,
                        found: char_at(self.input, position),
                        expected: class.describe(),
                    },
                ));
            }
        }
        Ok(at + classes.len())
    }

    pub fn check_segments(&self, segments: &[Segment], at: usize) -> Result<usize, ParseError> {
        segments.iter().try_fold(at, |at, segment| {
            self.check(segment.name, segment.classes, at)
        })
    }

    fn truncated(&self, position: usize) -> ParseError {
        ParseError::new(
            position,
            ErrorKind::Truncated {
                kind: self.kind,
                expected: self.expected_len,
                found: position - self.content_start,
            },
        )
    }
}

/// Check `segments` of `kind` in `input[start..]`, requiring them to end exactly at `end`.
pub(crate) fn check_segments(
    input: &str,
    kind: Kind,
    segments: &[Segment],
    start: usize,
    end: usize,
) -> Result<usize, ParseError> {
    let expected_len = segments.iter().map(Segment::len).sum();
    let checker = Checker {
        input: &input[..end],
        kind,
        content_start: start,
        expected_len,
    };
    checker.check_segments(segments, start)
}

/// The character at byte `position` (a char boundary: every byte before it in the structure
/// was checked to be ASCII).
pub(crate) fn char_at(input: &str, position: usize) -> char {
    input
        .get(position..)
        .and_then(|rest| rest.chars().next())
        .unwrap_or('\u{fffd}')
}

/// The data identifier text at `start`, for an "unrecognized data identifier" message.
fn identifier_text(input: &str, start: usize, length: usize) -> String {
    input[start..].chars().take(length).collect()
}

/// Recognise the data identifier at byte `start` (which holds `=` or `&`).
pub(crate) fn identify(input: &str, start: usize) -> Result<(Kind, usize), ParseError> {
    let bytes = &input.as_bytes()[start..];
    debug_assert!(matches!(bytes.first(), Some(b'=' | b'&')));
    let needs_third = bytes.starts_with(b"&,");
    if bytes.len() < 2 || (needs_third && bytes.len() < 3) {
        return Err(ParseError::new(
            start,
            ErrorKind::IdentifierCutShort {
                identifier: identifier_text(input, start, 3),
            },
        ));
    }
    Kind::from_identifier(bytes).ok_or_else(|| {
        let length = if needs_third { 3 } else { 2 };
        ParseError::new(
            start,
            ErrorKind::UnknownDataIdentifier {
                identifier: identifier_text(input, start, length),
            },
        )
    })
}

/// Parse the one data structure starting at byte `start` (which holds `=` or `&`).
/// Returns it and the byte position after it.
pub(crate) fn parse_at(input: &str, start: usize) -> Result<(DataStructure, usize), ParseError> {
    let (kind, identifier_len) = identify(input, start)?;
    let content_start = start + identifier_len;
    let spec = kind.spec();
    let bytes = input.as_bytes();
    let fixed_len = spec.fixed_len();
    let mut checker = Checker {
        input,
        kind,
        content_start,
        expected_len: fixed_len,
    };
    let mut end = checker.check_segments(spec.segments, content_start)?;
    match spec.length {
        Length::Fixed => {}
        Length::Counted {
            length_segment,
            name,
            class,
        } => {
            let count = header_number(spec.segments, length_segment, &bytes[content_start..]);
            checker.expected_len = fixed_len + count;
            end = checker.check(name, &vec![class; count], end)?;
        }
        Length::Repeated {
            count_segment,
            unit,
            ..
        } => {
            let count = header_number(spec.segments, count_segment, &bytes[content_start..]);
            let unit_len: usize = unit.iter().map(Segment::len).sum();
            checker.expected_len = fixed_len + count * unit_len;
            for _ in 0..count {
                end = checker.check_segments(unit, end)?;
            }
        }
        Length::RestOfScan => {
            end = bytes.len();
            if end == content_start {
                return Err(checker.truncated(end));
            }
            let classes = vec![CharClass::Text; end - content_start];
            checker.check("content", &classes, content_start)?;
        }
    }
    let structure = build(kind, input, &bytes[content_start..end], content_start)?;
    Ok((structure, end))
}

/// The numeric value of header segment `index` (its digits were already checked).
fn header_number(segments: &[Segment], index: usize, content: &[u8]) -> usize {
    let offset: usize = segments[..index].iter().map(Segment::len).sum();
    date::digits(&content[offset..offset + segments[index].len()]) as usize
}

fn invalid_value(
    kind: Kind,
    field: &'static str,
    content: &[u8],
    range: std::ops::Range<usize>,
    offset: usize,
    reason: String,
) -> ParseError {
    ParseError::new(
        offset + range.start,
        ErrorKind::InvalidValue {
            kind,
            field,
            value: String::from_utf8_lossy(&content[range]).into_owned(),
            reason,
        },
    )
}

/// Give checked content its meaning, refusing values that the standard's tables do not have.
fn build(
    kind: Kind,
    input: &str,
    content: &[u8],
    offset: usize,
) -> Result<DataStructure, ParseError> {
    let invalid = |field, range, reason| invalid_value(kind, field, content, range, offset, reason);
    Ok(match kind {
        Kind::DonationIdentificationNumber => {
            DataStructure::Donation(DonationNumber::from_content(content, offset)?)
        }
        Kind::BloodGroups => {
            if content[3] != b'0' {
                return Err(invalid(
                    "reserved",
                    3..4,
                    "the last character is reserved and always 0".into(),
                ));
            }
            let group = [content[0], content[1]];
            if crate::blood_group::group_meaning(group).is_none() {
                return Err(invalid(
                    "group",
                    0..2,
                    "not in ST-001 Table 4 or Table 5".into(),
                ));
            }
            DataStructure::BloodGroup(
                BloodGroup::new(group, content[2])
                    .map_err(|reason| invalid("phenotype", 2..3, reason.into()))?,
            )
        }
        Kind::ProductCode => DataStructure::Product(product_code(content, &invalid)?),
        Kind::ExpirationDate | Kind::CollectionDate | Kind::ProductionDate => {
            let date = date::julian_date(content)
                .map_err(|reason| invalid("day_of_year", 3..6, reason))?;
            DataStructure::Date { kind, date }
        }
        Kind::ExpirationDateAndTime | Kind::CollectionDateAndTime | Kind::ProductionDateAndTime => {
            let date = date::julian_date(&content[..6])
                .map_err(|reason| invalid("day_of_year", 3..6, reason))?;
            let time = date::time_of_day(&content[6..])
                .map_err(|reason| invalid("time", 6..10, reason))?;
            DataStructure::DateTime {
                kind,
                date_time: DateTime { date, time },
            }
        }
        Kind::CompoundMessage => DataStructure::Compound(CompoundHeader {
            count: date::digits(&content[..2]) as u8,
            sequence: date::digits(&content[2..]) as u16,
        }),
        _ => {
            crate::meaning::check(kind, content, &invalid)?;
            let text = &input[offset..offset + content.len()];
            DataStructure::Other(Raw {
                kind,
                content: Content::new(text),
            })
        }
    })
}

fn product_code(
    content: &[u8],
    invalid: &dyn Fn(&'static str, std::ops::Range<usize>, String) -> ParseError,
) -> Result<ProductCode, ParseError> {
    let (alpha, second, t) = (content[0], content[1], content[5]);
    match product::trailer_rule(alpha, second) {
        TrailerRule::CollectionTypeAndDivision => {
            if product::collection_type(t).is_none() {
                return Err(invalid(
                    "collection_type",
                    5..6,
                    "not in ST-001 Table 7".into(),
                ));
            }
        }
        TrailerRule::NumericDivision => {
            if !content[5..].iter().all(u8::is_ascii_digit) {
                let reason = format!(
                    "a {} product code ends in a 3-digit division or pack code",
                    product::product_type(alpha)
                );
                return Err(invalid("divisions", 5..8, reason));
            }
        }
        TrailerRule::Zeros => {
            if &content[5..] != b"000" {
                return Err(invalid(
                    "divisions",
                    5..8,
                    "X1-X9 product codes end in 000".into(),
                ));
            }
        }
        TrailerRule::Unspecified => {}
    }
    let mut code = [0u8; 8];
    code.copy_from_slice(content);
    Ok(ProductCode(code))
}
