//! E1394 / LIS2-A2 records: a record is its type letter and fields split by the field
//! delimiter; a field is repeats (the repeat delimiter) of components (the component
//! delimiter). The four delimiters are read from the H record (`H|\^&`), and the escape
//! sequences `&F& &S& &R& &E& &Xhh&` (the escape character as read from H) are decoded.

use thiserror::Error;

/// The most fields, repeats of a field and components of a repeat a record may hold: limits
/// on what the other end controls.
pub const FIELDS_MAX: usize = 64;
pub const REPEATS_MAX: usize = 64;
pub const COMPONENTS_MAX: usize = 32;
pub const RECORDS_MAX: usize = 10_000;

/// The four delimiters of a message, as its H record declares them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delimiters {
    pub field: u8,
    pub repeat: u8,
    pub component: u8,
    pub escape: u8,
}

impl Delimiters {
    pub const STANDARD: Delimiters = Delimiters {
        field: b'|',
        repeat: b'\\',
        component: b'^',
        escape: b'&',
    };

    /// Reads them from the start of an H record: `H`, then the field delimiter, then the
    /// repeat, component and escape delimiters, which must differ and be printable.
    pub fn from_header(record: &[u8]) -> Result<Delimiters, RecordError> {
        let Some(&[kind, field, repeat, component, escape]) = record.get(..5) else {
            return Err(RecordError::at(
                1,
                0,
                "the header is shorter than H and its four delimiters",
            ));
        };
        if kind != b'H' {
            return Err(RecordError::at(1, 0, "a message starts with an H record"));
        }
        let all = [field, repeat, component, escape];
        let printable = all
            .iter()
            .all(|b| b.is_ascii_graphic() && !b.is_ascii_alphanumeric());
        let distinct = (0..4).all(|i| (i + 1..4).all(|j| all[i] != all[j]));
        if !printable || !distinct {
            return Err(RecordError::at(
                1,
                2,
                "the delimiters of H.2 must be four different punctuation characters",
            ));
        }
        Ok(Delimiters {
            field,
            repeat,
            component,
            escape,
        })
    }
}

/// One field: its repeats, each a list of components (unescaped text).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Field(pub Vec<Vec<String>>);

impl Field {
    pub fn text(text: &str) -> Field {
        Field(vec![vec![text.to_owned()]])
    }

    pub fn components(components: &[&str]) -> Field {
        Field(vec![components.iter().map(|c| (*c).to_owned()).collect()])
    }

    /// The first component of the first repeat, or "" when empty.
    pub fn first(&self) -> &str {
        self.component(0)
    }

    /// Component `index` (from 0) of the first repeat, or "".
    pub fn component(&self, index: usize) -> &str {
        self.0
            .first()
            .and_then(|repeat| repeat.get(index))
            .map_or("", String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0
            .iter()
            .all(|repeat| repeat.iter().all(String::is_empty))
    }
}

/// One record: its type letter and its fields after the type (`fields[0]` is field 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub kind: char,
    pub fields: Vec<Field>,
}

impl Record {
    pub fn new(kind: char, fields: Vec<Field>) -> Record {
        Record { kind, fields }
    }

    /// Field `number` as the standard numbers them (the type is field 1), or an empty one.
    pub fn field(&self, number: usize) -> &Field {
        static EMPTY: Field = Field(Vec::new());
        number
            .checked_sub(2)
            .and_then(|index| self.fields.get(index))
            .unwrap_or(&EMPTY)
    }
}

/// A whole message, H to L.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub delimiters: Delimiters,
    pub records: Vec<Record>,
}

/// Why a message could not be read: which record, which field, and why.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("record {record}, field {field}: {reason}")]
pub struct RecordError {
    /// From 1, in the order received.
    pub record: usize,
    /// As the standard numbers them (1 is the type); 0 for the record as a whole.
    pub field: usize,
    pub reason: String,
}

impl RecordError {
    pub fn at(record: usize, field: usize, reason: impl Into<String>) -> RecordError {
        RecordError {
            record,
            field,
            reason: reason.into(),
        }
    }
}

/// The record types this crate reads; M (manufacturer) and S (scientific) records are kept
/// as read, with their fields, for the caller to ignore.
const KNOWN_KINDS: &[u8] = b"HPORCQLMS";

impl Message {
    /// Reads the records of one message (each without its closing CR), the first an H record
    /// declaring the delimiters and the last an L record.
    pub fn parse(records: &[Vec<u8>]) -> Result<Message, RecordError> {
        let Some(header) = records.first() else {
            return Err(RecordError::at(1, 0, "the message holds no records"));
        };
        if records.len() > RECORDS_MAX {
            return Err(RecordError::at(
                RECORDS_MAX + 1,
                0,
                "more than 10,000 records",
            ));
        }
        let delimiters = Delimiters::from_header(header)?;
        let mut parsed = Vec::with_capacity(records.len());
        for (index, record) in records.iter().enumerate() {
            let record = parse_record(record, &delimiters, index + 1)?;
            // Found by the fuzzer: a second header would declare delimiters of its own.
            if index > 0 && record.kind == 'H' {
                return Err(RecordError::at(
                    index + 1,
                    0,
                    "a message holds one H record, first",
                ));
            }
            parsed.push(record);
        }
        if parsed.last().map(|r| r.kind) != Some('L') {
            return Err(RecordError::at(
                parsed.len(),
                0,
                "a message ends with an L record",
            ));
        }
        Ok(Message {
            delimiters,
            records: parsed,
        })
    }

    /// The records as text, escaping what needs it, each without a closing CR.
    pub fn encode(&self) -> Vec<Vec<u8>> {
        self.records
            .iter()
            .map(|record| encode_record(record, &self.delimiters))
            .collect()
    }
}

fn parse_record(
    bytes: &[u8],
    delimiters: &Delimiters,
    number: usize,
) -> Result<Record, RecordError> {
    let Some(&kind) = bytes.first() else {
        return Err(RecordError::at(number, 0, "the record is empty"));
    };
    let kind = kind.to_ascii_uppercase();
    if !KNOWN_KINDS.contains(&kind) {
        let shown = char::from(kind).escape_default();
        return Err(RecordError::at(
            number,
            1,
            format!("{shown} is not a record type"),
        ));
    }
    if bytes.iter().any(|b| *b < 0x20 && *b != b'\t') {
        return Err(RecordError::at(
            number,
            0,
            "the record holds a control character",
        ));
    }
    let text = String::from_utf8_lossy(bytes);
    let mut raw_fields = text.split(char::from(delimiters.field));
    raw_fields.next();
    let mut fields = Vec::new();
    if kind == b'H' {
        // H.2 is the delimiters themselves, not a field to split, and nothing else.
        let declared = raw_fields.next().unwrap_or("");
        if declared.len() != 3 {
            return Err(RecordError::at(
                number,
                2,
                "H.2 must hold the repeat, component and escape delimiters only",
            ));
        }
        fields.push(Field::text(declared));
    }
    for raw in raw_fields {
        if fields.len() == FIELDS_MAX {
            return Err(RecordError::at(
                number,
                FIELDS_MAX + 2,
                "more than 64 fields",
            ));
        }
        let field_number = fields.len() + 2;
        fields.push(parse_field(raw, delimiters, number, field_number)?);
    }
    Ok(Record {
        kind: char::from(kind),
        fields,
    })
}

fn parse_field(
    raw: &str,
    delimiters: &Delimiters,
    record: usize,
    field: usize,
) -> Result<Field, RecordError> {
    let mut repeats = Vec::new();
    for repeat in raw.split(char::from(delimiters.repeat)) {
        if repeats.len() == REPEATS_MAX {
            return Err(RecordError::at(record, field, "more than 64 repeats"));
        }
        let mut components = Vec::new();
        for component in repeat.split(char::from(delimiters.component)) {
            if components.len() == COMPONENTS_MAX {
                return Err(RecordError::at(record, field, "more than 32 components"));
            }
            components.push(unescape(component, delimiters));
        }
        repeats.push(components);
    }
    Ok(Field(repeats))
}

/// Decodes `&F& &S& &R& &E&` and `&Xhh...&` (hex bytes, read as Latin-1). A sequence that is
/// none of these stays as it was sent: text is never lost to a guess.
pub fn unescape(text: &str, delimiters: &Delimiters) -> String {
    let escape = char::from(delimiters.escape);
    if !text.contains(escape) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(escape) {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find(escape) else {
            out.push_str(&rest[start..]);
            return out;
        };
        match decode_sequence(&after[..end], delimiters) {
            Some(decoded) => {
                out.push_str(&decoded);
                rest = &after[end + 1..];
            }
            None => {
                out.push(escape);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn decode_sequence(sequence: &str, delimiters: &Delimiters) -> Option<String> {
    let one = |byte: u8| Some(char::from(byte).to_string());
    match sequence {
        "F" => one(delimiters.field),
        "S" => one(delimiters.component),
        "R" => one(delimiters.repeat),
        "E" => one(delimiters.escape),
        _ => {
            let hex = sequence.strip_prefix('X')?;
            if hex.is_empty() || hex.len() % 2 != 0 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16));
            bytes.map(|b| b.ok().map(char::from)).collect()
        }
    }
}

/// Escapes the delimiters in a component's text, and any character a frame may not carry
/// (a control character) as `&Xhh&`.
pub fn escape(text: &str, delimiters: &Delimiters) -> String {
    let mut out = String::with_capacity(text.len());
    let escape = char::from(delimiters.escape);
    for character in text.chars() {
        let code = u32::from(character);
        let named = match u8::try_from(code) {
            Ok(byte) if byte == delimiters.field => Some('F'),
            Ok(byte) if byte == delimiters.component => Some('S'),
            Ok(byte) if byte == delimiters.repeat => Some('R'),
            Ok(byte) if byte == delimiters.escape => Some('E'),
            _ => None,
        };
        match named {
            Some(letter) => {
                out.push(escape);
                out.push(letter);
                out.push(escape);
            }
            None if code < 0x20 || code == 0x7F => {
                out.push_str(&format!("{escape}X{code:02X}{escape}"));
            }
            None => out.push(character),
        }
    }
    out
}

fn encode_record(record: &Record, delimiters: &Delimiters) -> Vec<u8> {
    let field = char::from(delimiters.field);
    let mut out = String::new();
    out.push(record.kind);
    let mut fields = record.fields.iter();
    if record.kind == 'H' {
        out.push(field);
        out.push(char::from(delimiters.repeat));
        out.push(char::from(delimiters.component));
        out.push(char::from(delimiters.escape));
        fields.next();
    }
    for value in fields {
        out.push(field);
        out.push_str(&encode_field(value, delimiters));
    }
    out.into_bytes()
}

fn encode_field(field: &Field, delimiters: &Delimiters) -> String {
    let component = char::from(delimiters.component).to_string();
    let repeat = char::from(delimiters.repeat).to_string();
    field
        .0
        .iter()
        .map(|components| {
            let escaped: Vec<String> = components.iter().map(|c| escape(c, delimiters)).collect();
            escaped.join(&component)
        })
        .collect::<Vec<_>>()
        .join(&repeat)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> Result<Message, RecordError> {
        let records: Vec<Vec<u8>> = text.split('\r').map(|r| r.as_bytes().to_vec()).collect();
        Message::parse(&records)
    }

    #[test]
    fn delimiters_are_read_from_the_header_and_escapes_decoded() {
        let text = "H!@#$!!!NATSYS#PANTHER\rO!1!SID305!!T$X26$S@A$S$B!N\rL!1!N";
        let parsed = message(text).expect("valid");
        assert_eq!(parsed.delimiters.field, b'!');
        let order = &parsed.records[1];
        assert_eq!(
            order.field(5).0,
            vec![vec!["T&S".to_owned()], vec!["A#B".to_owned()]]
        );
        assert_eq!(parsed.records[0].field(5).component(1), "PANTHER");
    }

    #[test]
    fn a_message_without_its_terminator_is_refused_naming_the_record() {
        let error = message("H|\\^&\rP|1").expect_err("no L");
        assert_eq!(error.record, 2);
        assert!(error.to_string().contains("L record"), "{error}");
    }

    #[test]
    fn a_header_whose_delimiter_field_holds_more_is_refused() {
        // Found by the fuzzer: the extra characters were lost when the message was written.
        let error = message("H|\\^&xy|||SIM\rL|1|N").expect_err("extra in H.2");
        assert_eq!((error.record, error.field), (1, 2));
    }

    #[test]
    fn an_unknown_escape_stays_as_sent() {
        let d = Delimiters::STANDARD;
        assert_eq!(unescape("a&Q&b&", &d), "a&Q&b&");
        assert_eq!(unescape("x&X4142&y", &d), "xABy");
    }

    #[test]
    fn encoding_escapes_delimiters_so_a_value_reads_back_the_same() {
        let d = Delimiters::STANDARD;
        let value = "A|B^C\\D&E";
        assert_eq!(unescape(&escape(value, &d), &d), value);
    }
}
