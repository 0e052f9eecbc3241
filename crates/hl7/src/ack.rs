//! Acknowledgements (v2.5 chapter 2, 2.9 "Message processing rules"; MSA 2.15.8, ERR 2.15.5):
//! the reply's MSH (sender and receiver swapped), MSA with AA, AE or AR and the control ID
//! answered, and for an error an ERR saying where (ERR-2), which HL7 error (ERR-3, table
//! 0357), how severe (ERR-4) and, in words for a person, what (ERR-8).

use crate::er7::{Delimiters, Field, Message, Segment};

/// MSA-1 (table 0008).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckCode {
    /// Application accept.
    Accept,
    /// Application error: the message was understood and refused (the domain's refusal).
    Error,
    /// Application reject: the message cannot be processed (its header, its type, its sender).
    Reject,
}

impl AckCode {
    pub fn as_str(self) -> &'static str {
        match self {
            AckCode::Accept => "AA",
            AckCode::Error => "AE",
            AckCode::Reject => "AR",
        }
    }
}

/// HL7 table 0357, message error condition codes (the ones Hemaflow sends).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    SegmentSequence,
    RequiredFieldMissing,
    DataTypeError,
    TableValueNotFound,
    UnsupportedMessageType,
    UnsupportedEventCode,
    UnsupportedProcessingId,
    UnsupportedVersionId,
    UnknownKeyIdentifier,
    DuplicateKeyIdentifier,
    ApplicationInternalError,
}

impl ErrorCode {
    pub fn code(self) -> &'static str {
        match self {
            ErrorCode::SegmentSequence => "100",
            ErrorCode::RequiredFieldMissing => "101",
            ErrorCode::DataTypeError => "102",
            ErrorCode::TableValueNotFound => "103",
            ErrorCode::UnsupportedMessageType => "200",
            ErrorCode::UnsupportedEventCode => "201",
            ErrorCode::UnsupportedProcessingId => "202",
            ErrorCode::UnsupportedVersionId => "203",
            ErrorCode::UnknownKeyIdentifier => "204",
            ErrorCode::DuplicateKeyIdentifier => "205",
            ErrorCode::ApplicationInternalError => "207",
        }
    }

    pub fn text(self) -> &'static str {
        match self {
            ErrorCode::SegmentSequence => "Segment sequence error",
            ErrorCode::RequiredFieldMissing => "Required field missing",
            ErrorCode::DataTypeError => "Data type error",
            ErrorCode::TableValueNotFound => "Table value not found",
            ErrorCode::UnsupportedMessageType => "Unsupported message type",
            ErrorCode::UnsupportedEventCode => "Unsupported event code",
            ErrorCode::UnsupportedProcessingId => "Unsupported processing id",
            ErrorCode::UnsupportedVersionId => "Unsupported version id",
            ErrorCode::UnknownKeyIdentifier => "Unknown key identifier",
            ErrorCode::DuplicateKeyIdentifier => "Duplicate key identifier",
            ErrorCode::ApplicationInternalError => "Application internal error",
        }
    }
}

/// ERR-2: where in the message (segment ID, its sequence from 1, field, component).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub segment: String,
    pub sequence: u32,
    pub field: Option<u32>,
    pub component: Option<u32>,
}

impl Location {
    pub fn field(segment: &str, field: u32) -> Location {
        Location {
            segment: segment.to_owned(),
            sequence: 1,
            field: Some(field),
            component: None,
        }
    }
}

/// One error to report in an ERR segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub code: ErrorCode,
    pub location: Option<Location>,
    /// ERR-8, for the person reading the reply at the hospital.
    pub message: String,
    /// For a refusal by the domain, its rule ID (ERR-7's diagnostic; also in ERR-8).
    pub rule: Option<String>,
}

impl Problem {
    pub fn new(code: ErrorCode, location: Option<Location>, message: impl Into<String>) -> Problem {
        Problem {
            code,
            location,
            message: message.into(),
            rule: None,
        }
    }

    /// The ERR segment.
    pub fn segment(&self) -> Segment {
        let mut err = Segment::new("ERR");
        if let Some(location) = &self.location {
            let sequence = location.sequence.to_string();
            let field = location.field.map(|f| f.to_string()).unwrap_or_default();
            let component = location
                .component
                .map(|c| c.to_string())
                .unwrap_or_default();
            let repetition = if location.field.is_some() { "1" } else { "" };
            err.set(
                2,
                Field::components(&[&location.segment, &sequence, &field, repetition, &component]),
            );
        }
        err.set(
            3,
            Field::components(&[self.code.code(), self.code.text(), "HL70357"]),
        );
        err.set(4, "E");
        if let Some(rule) = &self.rule {
            err.set(7, rule.as_str());
        }
        err.set(8, self.message.as_str());
        err
    }
}

/// Who sends and receives a reply: the original's receiver and sender, swapped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parties {
    pub sending_application: String,
    pub sending_facility: String,
    pub receiving_application: String,
    pub receiving_facility: String,
}

impl Parties {
    /// The reply's parties for `original` (its MSH-5/6 become MSH-3/4 and the other way round),
    /// with our own names when the original left them out.
    pub fn reply_to(original: &Message, us: (&str, &str)) -> Parties {
        let get = |path: &str| original.get(path).unwrap_or_default().to_owned();
        let or = |value: String, default: &str| {
            if value.is_empty() {
                default.to_owned()
            } else {
                value
            }
        };
        Parties {
            sending_application: or(get("MSH-5"), us.0),
            sending_facility: or(get("MSH-6"), us.1),
            receiving_application: get("MSH-3"),
            receiving_facility: get("MSH-4"),
        }
    }
}

/// What goes in a reply's MSH.
pub struct Header<'a> {
    pub parties: &'a Parties,
    /// MSH-7, `YYYYMMDDHHMMSS`.
    pub at: &'a str,
    /// MSH-9: code, trigger event, structure (`ACK`, `O27`, `ACK`).
    pub message_type: [&'a str; 3],
    /// MSH-10 of the reply.
    pub control_id: &'a str,
    /// MSH-11 (`P`), echoed from the original.
    pub processing_id: &'a str,
}

impl Header<'_> {
    pub fn segment(&self, delimiters: &Delimiters) -> Segment {
        Message::header(delimiters)
            .with(3, self.parties.sending_application.as_str())
            .with(4, self.parties.sending_facility.as_str())
            .with(5, self.parties.receiving_application.as_str())
            .with(6, self.parties.receiving_facility.as_str())
            .with(7, self.at)
            .with(9, Field::components(&self.message_type))
            .with(10, self.control_id)
            .with(11, self.processing_id)
            .with(12, "2.5")
    }
}

/// MSA-1 and MSA-2 (the control ID answered).
pub fn msa(code: AckCode, answered_control_id: &str) -> Segment {
    Segment::new("MSA")
        .with(1, code.as_str())
        .with(2, answered_control_id)
}

/// A general acknowledgement (`ACK^<trigger>^ACK`): MSH, MSA and, for AE or AR, one ERR per
/// problem. `trigger` is the original's MSH-9.2 (empty when it could not be read).
pub fn acknowledge(
    header: &Header<'_>,
    code: AckCode,
    answered_control_id: &str,
    problems: &[Problem],
) -> Message {
    let delimiters = Delimiters::default();
    let mut message = Message::new(delimiters, header.segment(&delimiters));
    message.push(msa(code, answered_control_id));
    for problem in problems {
        message.push(problem.segment());
    }
    message
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::er7::Limits;

    #[test]
    fn an_error_ack_says_where_which_code_and_what() {
        let parties = Parties {
            sending_application: "HEMAFLOW".into(),
            sending_facility: "BLOODBANK".into(),
            receiving_application: "HIS".into(),
            receiving_facility: "GENHOSP".into(),
        };
        let header = Header {
            parties: &parties,
            at: "20251125101501",
            message_type: ["ACK", "O27", "ACK"],
            control_id: "HF1",
            processing_id: "P",
        };
        let problem = Problem::new(
            ErrorCode::RequiredFieldMissing,
            Some(Location::field("BPO", 4)),
            "BPO-4 (quantity) is empty",
        );
        let text = acknowledge(&header, AckCode::Error, "MSG1", &[problem]).to_er7();
        assert_eq!(
            text,
            "MSH|^~\\&|HEMAFLOW|BLOODBANK|HIS|GENHOSP|20251125101501||ACK^O27^ACK|HF1|P|2.5\r\
             MSA|AE|MSG1\r\
             ERR||BPO^1^4^1|101^Required field missing^HL70357|E||||BPO-4 (quantity) is empty\r"
        );
        let back = Message::parse(&text, &Limits::default()).unwrap();
        assert_eq!(back.get("ERR-3"), Some("101"));
    }
}
