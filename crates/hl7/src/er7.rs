//! ER7, the pipe-and-hat encoding of HL7 v2 (v2.5 chapter 2, 2.5 "Message construction
//! rules"): segments ended by CR, fields by the separator MSH-1 names, and the component,
//! repetition, escape and subcomponent characters of MSH-2, all read from the message itself.
//!
//! Hand-written: the HL7 crates on crates.io (`hl7-parser` 0.3, `rust-hl7` 0.5) parse only
//! (no writer, so no round trip to test), borrow from the input with no limits on what an
//! outsider sends, and do not decode `\Xhh\`; the encoding is small and fully specified.
//!
//! Values are held unescaped; [`Message::to_er7`] escapes them again, so any text survives a
//! write and a parse. Field numbers are HL7's (`PID-5` is the fifth field after the segment
//! ID; `MSH-1` is the field separator itself, `MSH-2` the encoding characters).

use crate::escape::{escape_into, unescape};

/// The most a message, and its parts, may hold (an outsider controls all of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub message_bytes_max: u32,
    pub segments_max: u32,
    /// Fields of one segment.
    pub fields_max: u32,
    /// Repetitions of one field.
    pub repetitions_max: u32,
}

impl Default for Limits {
    /// A blood order is a few kilobytes; these leave room for long notes and many units.
    fn default() -> Limits {
        Limits {
            message_bytes_max: 1024 * 1024,
            segments_max: 2_000,
            fields_max: 256,
            repetitions_max: 256,
        }
    }
}

/// Why a message could not be read: what, and where (segment number from 1, byte offset in
/// the message).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the message is {size} bytes, more than the {max} allowed")]
    TooLarge { size: usize, max: u32 },
    #[error("the message is empty")]
    Empty,
    #[error("the message must start with an MSH segment; it starts with {found:?}")]
    NoMsh { found: String },
    #[error("MSH-1/MSH-2: {why}")]
    Encoding { why: String },
    #[error("segment {segment}: {why}")]
    Segment { segment: u32, why: String },
    #[error("the message has more than {max} segments")]
    TooManySegments { max: u32 },
    #[error("segment {segment} ({id}) has more than {max} fields")]
    TooManyFields { segment: u32, id: String, max: u32 },
    #[error("{location} has more than {max} repetitions")]
    TooManyRepetitions { location: String, max: u32 },
    #[error("{location}: {why}")]
    Escape { location: String, why: String },
}

/// The separators of a message (MSH-1 and MSH-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delimiters {
    pub field: char,
    pub component: char,
    pub repetition: char,
    /// `None` when MSH-2 names no escape character (then nothing is escaped).
    pub escape: Option<char>,
    pub subcomponent: char,
}

impl Default for Delimiters {
    /// `|^~\&`, what every system sends.
    fn default() -> Delimiters {
        Delimiters {
            field: '|',
            component: '^',
            repetition: '~',
            escape: Some('\\'),
            subcomponent: '&',
        }
    }
}

impl Delimiters {
    /// MSH-2 as written: component, repetition, escape, subcomponent.
    pub fn encoding_characters(&self) -> String {
        let mut text = String::new();
        text.push(self.component);
        text.push(self.repetition);
        if let Some(escape) = self.escape {
            text.push(escape);
        }
        // Equal to the field separator only when MSH-2 named no subcomponent character.
        if self.subcomponent != self.field {
            text.push(self.subcomponent);
        }
        text
    }

    /// MSH-1 and MSH-2 from the text after `MSH`.
    fn read(after_msh: &str) -> Result<(Delimiters, usize), ParseError> {
        let bad = |why: &str| ParseError::Encoding {
            why: why.to_owned(),
        };
        let mut chars = after_msh.char_indices();
        let (_, field) = chars
            .next()
            .ok_or_else(|| bad("the MSH segment ends before its field separator"))?;
        let rest = &after_msh[field.len_utf8()..];
        let end = rest.find(field).unwrap_or(rest.len());
        let encoding: Vec<char> = rest[..end].chars().collect();
        if !(2..=5).contains(&encoding.len()) {
            return Err(bad(&format!(
                "the encoding characters are {:?}; they are 2 to 5 characters such as ^~\\&",
                &rest[..end]
            )));
        }
        let mut all = encoding.clone();
        all.push(field);
        for c in &all {
            if c.is_alphanumeric() || c.is_whitespace() || c.is_control() {
                return Err(bad(&format!(
                    "{c:?} cannot be a separator (a letter, digit, space or control character)"
                )));
            }
        }
        let mut sorted = all.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != all.len() {
            return Err(bad(
                "the field separator and encoding characters must all differ",
            ));
        }
        let delimiters = Delimiters {
            field,
            component: encoding[0],
            repetition: encoding[1],
            escape: encoding.get(2).copied(),
            // Without a fourth character subcomponents are not used; a character that cannot
            // occur stands in (the field separator splits first, so it is never seen again).
            subcomponent: encoding.get(3).copied().unwrap_or(field),
        };
        Ok((delimiters, field.len_utf8() + end))
    }
}

/// One component: its subcomponents, unescaped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Component {
    pub subcomponents: Vec<String>,
}

/// One repetition of a field: its components.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Repetition {
    pub components: Vec<Component>,
}

/// A field: its repetitions (none when the field is empty).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Field {
    pub repetitions: Vec<Repetition>,
}

impl Field {
    /// A field of one value.
    pub fn text(value: &str) -> Field {
        Field::components(&[value])
    }

    /// A field of one repetition with these components.
    pub fn components(values: &[&str]) -> Field {
        Field {
            repetitions: vec![Repetition {
                components: values
                    .iter()
                    .map(|v| Component {
                        subcomponents: vec![(*v).to_owned()],
                    })
                    .collect(),
            }],
        }
    }

    /// A field repeated: one repetition per field given (each its first repetition).
    pub fn repeated(fields: Vec<Field>) -> Field {
        Field {
            repetitions: fields
                .into_iter()
                .filter_map(|f| f.repetitions.into_iter().next())
                .collect(),
        }
    }

    /// Component `c`, subcomponent `s` (both from 1) of repetition `r` (from 0).
    pub fn get(&self, r: usize, c: usize, s: usize) -> Option<&str> {
        let component = self.repetitions.get(r)?.components.get(c.checked_sub(1)?)?;
        component
            .subcomponents
            .get(s.checked_sub(1)?)
            .map(String::as_str)
    }

    /// Whether the field holds nothing but empty values.
    pub fn is_empty(&self) -> bool {
        self.repetitions.iter().all(|r| {
            r.components
                .iter()
                .all(|c| c.subcomponents.iter().all(String::is_empty))
        })
    }
}

impl From<&str> for Field {
    fn from(value: &str) -> Field {
        Field::text(value)
    }
}

impl From<String> for Field {
    fn from(value: String) -> Field {
        Field::text(&value)
    }
}

/// A segment: its ID (`PID`) and its fields, `fields[0]` being field 1. For MSH, field 1 is
/// the field separator and field 2 the encoding characters, each held as one plain value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub id: String,
    pub fields: Vec<Field>,
}

impl Segment {
    pub fn new(id: &str) -> Segment {
        Segment {
            id: id.to_owned(),
            fields: Vec::new(),
        }
    }

    /// Sets field `n` (from 1), adding empty fields before it as needed.
    pub fn set(&mut self, n: usize, field: impl Into<Field>) -> &mut Segment {
        let Some(index) = n.checked_sub(1) else {
            return self;
        };
        if self.fields.len() <= index {
            self.fields.resize_with(index + 1, Field::default);
        }
        self.fields[index] = field.into();
        self
    }

    /// Builder form of [`Segment::set`].
    pub fn with(mut self, n: usize, field: impl Into<Field>) -> Segment {
        self.set(n, field);
        self
    }

    /// Field `n` (from 1).
    pub fn field(&self, n: usize) -> Option<&Field> {
        self.fields.get(n.checked_sub(1)?)
    }

    /// Field `n`, component `c`, subcomponent 1 of the first repetition; `None` when absent,
    /// never an empty string.
    pub fn get(&self, n: usize, c: usize) -> Option<&str> {
        self.field(n)?.get(0, c, 1).filter(|v| !v.is_empty())
    }
}

/// A message: its delimiters and segments, MSH first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub delimiters: Delimiters,
    pub segments: Vec<Segment>,
}

/// A place in a message, `SEG-n.c.s` (component and subcomponent optional, from 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    pub segment: String,
    pub field: usize,
    pub component: usize,
    pub subcomponent: usize,
}

impl Path {
    /// `PID-5`, `PID-5.2`, `PID-3.4.1`; `None` when it is not of that shape.
    pub fn parse(text: &str) -> Option<Path> {
        let (segment, rest) = text.split_once('-')?;
        let valid_id = segment.len() == 3
            && segment
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !valid_id {
            return None;
        }
        let mut numbers = rest.split('.').map(|n| n.parse::<usize>().ok());
        let field = numbers.next()??;
        let component = numbers.next().unwrap_or(Some(1))?;
        let subcomponent = numbers.next().unwrap_or(Some(1))?;
        if numbers.next().is_some() || field == 0 || component == 0 || subcomponent == 0 {
            return None;
        }
        Some(Path {
            segment: segment.to_owned(),
            field,
            component,
            subcomponent,
        })
    }
}

impl Message {
    /// A message starting with `msh`.
    pub fn new(delimiters: Delimiters, msh: Segment) -> Message {
        Message {
            delimiters,
            segments: vec![msh],
        }
    }

    /// The MSH segment with MSH-1 and MSH-2 set from the delimiters, then fields 3 on.
    pub fn header(delimiters: &Delimiters) -> Segment {
        Segment::new("MSH")
            .with(1, delimiters.field.to_string())
            .with(2, delimiters.encoding_characters())
    }

    pub fn push(&mut self, segment: Segment) -> &mut Message {
        self.segments.push(segment);
        self
    }

    /// The first segment with this ID.
    pub fn segment(&self, id: &str) -> Option<&Segment> {
        self.segments.iter().find(|s| s.id == id)
    }

    /// Every segment with this ID, in order.
    pub fn segments_named<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Segment> + 'a {
        self.segments.iter().filter(move |s| s.id == id)
    }

    /// The value at `path` (`MSH-9.2`) in the first segment of that ID, first repetition;
    /// `None` when absent or empty, or when `path` is not a path.
    pub fn get(&self, path: &str) -> Option<&str> {
        let path = Path::parse(path)?;
        self.segment(&path.segment)?
            .field(path.field)?
            .get(0, path.component, path.subcomponent)
            .filter(|v| !v.is_empty())
    }

    /// The message as ER7: every segment ended by CR, values escaped, trailing empty values
    /// left out.
    pub fn to_er7(&self) -> String {
        let mut out = String::with_capacity(512);
        for segment in &self.segments {
            write_segment(&mut out, segment, &self.delimiters);
            out.push('\r');
        }
        out
    }

    /// Reads a message. Segments end at CR, LF or CRLF (files and some senders use newlines);
    /// empty lines are skipped.
    pub fn parse(input: &str, limits: &Limits) -> Result<Message, ParseError> {
        if input.len() > limits.message_bytes_max as usize {
            return Err(ParseError::TooLarge {
                size: input.len(),
                max: limits.message_bytes_max,
            });
        }
        let mut lines = input
            .split(['\r', '\n'])
            .filter(|line| !line.trim().is_empty());
        let first = lines.next().ok_or(ParseError::Empty)?;
        let Some(after_msh) = first.strip_prefix("MSH") else {
            return Err(ParseError::NoMsh {
                found: first.chars().take(10).collect(),
            });
        };
        let (delimiters, encoding_end) = Delimiters::read(after_msh)?;
        let mut segments = vec![read_msh(after_msh, encoding_end, &delimiters, limits)?];
        for line in lines {
            if segments.len() >= limits.segments_max as usize {
                return Err(ParseError::TooManySegments {
                    max: limits.segments_max,
                });
            }
            let number = segments.len() as u32 + 1;
            segments.push(read_segment(line, number, &delimiters, limits)?);
        }
        Ok(Message {
            delimiters,
            segments,
        })
    }

    /// [`Message::parse`] of bytes: UTF-8, else read as ISO 8859-1 (each byte one character),
    /// the character set most v2 senders use without saying so in MSH-18.
    pub fn parse_bytes(input: &[u8], limits: &Limits) -> Result<Message, ParseError> {
        if input.len() > limits.message_bytes_max as usize {
            return Err(ParseError::TooLarge {
                size: input.len(),
                max: limits.message_bytes_max,
            });
        }
        match std::str::from_utf8(input) {
            Ok(text) => Message::parse(text, limits),
            Err(_) => {
                let text: String = input.iter().map(|&b| char::from(b)).collect();
                Message::parse(&text, limits)
            }
        }
    }
}

fn read_msh(
    after_msh: &str,
    encoding_end: usize,
    delimiters: &Delimiters,
    limits: &Limits,
) -> Result<Segment, ParseError> {
    let mut segment = Message::header(delimiters);
    let rest = &after_msh[encoding_end..];
    // `rest` starts with the separator that ends MSH-2 (or is empty).
    let Some(rest) = rest.strip_prefix(delimiters.field) else {
        return Ok(segment);
    };
    let parsed = read_fields("MSH", rest, 1, 3, delimiters, limits)?;
    segment.fields.extend(parsed);
    Ok(segment)
}

fn read_segment(
    line: &str,
    number: u32,
    delimiters: &Delimiters,
    limits: &Limits,
) -> Result<Segment, ParseError> {
    let (id, rest) = match line.find(delimiters.field) {
        Some(at) => (&line[..at], Some(&line[at + delimiters.field.len_utf8()..])),
        None => (line, None),
    };
    let valid_id = id.len() == 3
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !valid_id {
        return Err(ParseError::Segment {
            segment: number,
            why: format!(
                "{:?} is not a segment ID (three capital letters or digits)",
                id.chars().take(10).collect::<String>()
            ),
        });
    }
    if id == "MSH" {
        return Err(ParseError::Segment {
            segment: number,
            why: "a second MSH: one message holds one header (send each message in its own frame)"
                .to_owned(),
        });
    }
    let fields = match rest {
        Some(rest) => read_fields(id, rest, number, 1, delimiters, limits)?,
        None => Vec::new(),
    };
    Ok(Segment {
        id: id.to_owned(),
        fields,
    })
}

/// The fields of `text` (after the segment ID and its separator), the first being field
/// `first_number`.
fn read_fields(
    id: &str,
    text: &str,
    segment_number: u32,
    first_number: usize,
    delimiters: &Delimiters,
    limits: &Limits,
) -> Result<Vec<Field>, ParseError> {
    let mut fields = Vec::new();
    for (i, raw) in text.split(delimiters.field).enumerate() {
        let number = first_number + i;
        if number > limits.fields_max as usize {
            return Err(ParseError::TooManyFields {
                segment: segment_number,
                id: id.to_owned(),
                max: limits.fields_max,
            });
        }
        let location = || format!("{id}-{number} (segment {segment_number})");
        fields.push(read_field(raw, delimiters, limits, &location)?);
    }
    Ok(fields)
}

fn read_field(
    raw: &str,
    delimiters: &Delimiters,
    limits: &Limits,
    location: &dyn Fn() -> String,
) -> Result<Field, ParseError> {
    if raw.is_empty() {
        return Ok(Field::default());
    }
    let mut repetitions = Vec::new();
    for raw_repetition in raw.split(delimiters.repetition) {
        if repetitions.len() >= limits.repetitions_max as usize {
            return Err(ParseError::TooManyRepetitions {
                location: location(),
                max: limits.repetitions_max,
            });
        }
        let mut components = Vec::new();
        for raw_component in raw_repetition.split(delimiters.component) {
            let mut subcomponents = Vec::new();
            for raw_sub in raw_component.split(delimiters.subcomponent) {
                let value = unescape(raw_sub, delimiters).map_err(|why| ParseError::Escape {
                    location: location(),
                    why,
                })?;
                subcomponents.push(value);
            }
            components.push(Component { subcomponents });
        }
        repetitions.push(Repetition { components });
    }
    Ok(Field { repetitions })
}

fn write_segment(out: &mut String, segment: &Segment, delimiters: &Delimiters) {
    out.push_str(&segment.id);
    let is_msh = segment.id == "MSH";
    let last = segment
        .fields
        .iter()
        .rposition(|f| !f.is_empty())
        .map_or(0, |i| i + 1);
    for (i, field) in segment.fields[..last].iter().enumerate() {
        if is_msh && i == 0 {
            // MSH-1 is the separator itself, written once.
            out.push(delimiters.field);
            continue;
        }
        if is_msh && i == 1 {
            out.push_str(&delimiters.encoding_characters());
            continue;
        }
        out.push(delimiters.field);
        write_field(out, field, delimiters);
    }
    if is_msh && last < 2 {
        out.push(delimiters.field);
        out.push_str(&delimiters.encoding_characters());
    }
}

fn write_field(out: &mut String, field: &Field, delimiters: &Delimiters) {
    let last_rep = field
        .repetitions
        .iter()
        .rposition(|r| r.components.iter().any(|c| !is_blank(c)))
        .map_or(0, |i| i + 1);
    for (r, repetition) in field.repetitions[..last_rep].iter().enumerate() {
        if r > 0 {
            out.push(delimiters.repetition);
        }
        let last_component = repetition
            .components
            .iter()
            .rposition(|c| !is_blank(c))
            .map_or(0, |i| i + 1);
        for (c, component) in repetition.components[..last_component].iter().enumerate() {
            if c > 0 {
                out.push(delimiters.component);
            }
            let last_sub = component
                .subcomponents
                .iter()
                .rposition(|s| !s.is_empty())
                .map_or(0, |i| i + 1);
            for (s, value) in component.subcomponents[..last_sub].iter().enumerate() {
                if s > 0 {
                    out.push(delimiters.subcomponent);
                }
                escape_into(out, value, delimiters);
            }
        }
    }
}

fn is_blank(component: &Component) -> bool {
    component.subcomponents.iter().all(String::is_empty)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_path_names_segment_field_component_and_subcomponent() {
        let path = Path::parse("PID-3.4.1").unwrap();
        assert_eq!(
            (path.segment.as_str(), path.field, path.component),
            ("PID", 3, 4)
        );
        assert_eq!(Path::parse("MSH-9").unwrap().component, 1);
        for bad in ["PID", "PID-0", "pid-3", "PID-3.0", "PID-x", "PID-1.2.3.4"] {
            assert!(Path::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn separators_come_from_msh_1_and_msh_2() {
        let text = "MSH#$*@%#HIS#GENHOSP\rPID#1##A$B*C%D\r";
        let message = Message::parse(text, &Limits::default()).unwrap();
        assert_eq!(message.delimiters.field, '#');
        assert_eq!(message.get("MSH-3"), Some("HIS"));
        let pid = message.segment("PID").unwrap();
        assert_eq!(pid.field(3).unwrap().get(0, 2, 1), Some("B"));
        assert_eq!(pid.field(3).unwrap().get(1, 1, 2), Some("D"));
        assert_eq!(message.to_er7(), text);
    }
}
