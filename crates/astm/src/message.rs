//! What a message says, in the laboratory's terms: the specimens of its O records (a DIN,
//! with its flags, parsed by `hemaflow-isbt128`, or another ID such as a control's), the R
//! records under each with their status, and the host queries of its Q records.

use hemaflow_isbt128::{DataStructure, Din, Flags, Kind, parse_as};

use crate::record::{Message, Record, RecordError};

pub type MessageError = RecordError;

/// A specimen ID as an analyser sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecimenId {
    /// A donation's tube: the DIN and, when the reader sent them, its flags (07 test tube,
    /// 09 NAT tube; a type 3 flag is checked against the DIN).
    Donation { din: Din, flags: Option<Flags> },
    /// Anything else: a run control, a pool, a patient sample.
    Other(String),
}

impl SpecimenId {
    /// Reads an ID: an ISBT 128 DIN barcode (`=` + DIN + flags, the `=` optional since some
    /// readers strip it) or a bare 13-character DIN; anything that is not DIN-shaped is
    /// `Other`. A DIN-shaped ID that does not parse is an error, never `Other`: a tube
    /// misread must not pass as a control.
    pub fn parse(text: &str) -> Result<SpecimenId, String> {
        let text = text.trim();
        let barcode = match text.len() {
            16 if text.starts_with('=') => Some(text.to_owned()),
            15 if looks_like_din(text) => Some(format!("={text}")),
            _ => None,
        };
        if let Some(barcode) = barcode {
            return match parse_as(&barcode, &[Kind::DonationIdentificationNumber]) {
                Ok(DataStructure::Donation(number)) => Ok(SpecimenId::Donation {
                    din: number.din,
                    flags: Some(number.flags),
                }),
                Ok(_) => Err(format!("{text:?} is not a DIN")),
                Err(error) => Err(format!("{text:?} is not a valid DIN barcode: {error}")),
            };
        }
        if text.len() == 13 && looks_like_din(text) {
            return Din::parse(text)
                .map(|din| SpecimenId::Donation { din, flags: None })
                .map_err(|error| format!("{text:?} is not a valid DIN: {error}"));
        }
        Ok(SpecimenId::Other(text.to_owned()))
    }

    pub fn din(&self) -> Option<&str> {
        match self {
            SpecimenId::Donation { din, .. } => Some(din.as_str()),
            SpecimenId::Other(_) => None,
        }
    }
}

/// A facility letter or digit (not O), then at least six digits: the shape of a DIN.
fn looks_like_din(text: &str) -> bool {
    let bytes = text.as_bytes();
    let first_ok = bytes
        .first()
        .is_some_and(|b| (b.is_ascii_uppercase() && *b != b'O') || (b'1'..=b'9').contains(b));
    first_ok && bytes.len() >= 7 && bytes[5..7].iter().all(u8::is_ascii_digit)
}

/// R.9, the result status (E1394 §10.1.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultStatus {
    /// F: final.
    Final,
    /// P: preliminary.
    Preliminary,
    /// C: correction of a result sent before.
    Correction,
    /// X: the order cannot be done (an invalid test: retest).
    CannotBeDone,
    /// I: in the instrument, results pending.
    Pending,
    /// S: partial.
    Partial,
    /// M: MIC level.
    Mic,
    /// R: sent before.
    Previous,
    /// N: carries what is needed to run a new order.
    NewOrder,
    /// Q: the answer to an outstanding query.
    QueryResponse,
    /// V: verified by an operator.
    Verified,
    /// W: warning, validity questionable.
    Warning,
}

impl ResultStatus {
    pub fn parse(code: &str) -> Option<ResultStatus> {
        use ResultStatus::*;
        Some(match code.trim() {
            "F" => Final,
            "P" => Preliminary,
            "C" => Correction,
            "X" => CannotBeDone,
            "I" => Pending,
            "S" => Partial,
            "M" => Mic,
            "R" => Previous,
            "N" => NewOrder,
            "Q" => QueryResponse,
            "V" => Verified,
            "W" => Warning,
            _ => return None,
        })
    }

    pub fn code(self) -> char {
        use ResultStatus::*;
        match self {
            Final => 'F',
            Preliminary => 'P',
            Correction => 'C',
            CannotBeDone => 'X',
            Pending => 'I',
            Partial => 'S',
            Mic => 'M',
            Previous => 'R',
            NewOrder => 'N',
            QueryResponse => 'Q',
            Verified => 'V',
            Warning => 'W',
        }
    }

    /// Whether the result may be recorded as it stands: final, or final and verified.
    pub fn is_final(self) -> bool {
        matches!(self, ResultStatus::Final | ResultStatus::Verified)
    }
}

/// A screening result's reading, from R.4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interpretation {
    Reactive,
    Nonreactive,
}

/// One R record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestResult {
    /// The record's position in the message, from 1.
    pub record: usize,
    /// The analyser's test code: R.3's fourth component (`^^^MPX^INTERP`), or the whole
    /// field when it has no components (`ABO`).
    pub code: String,
    /// What the record gives of the test (R.3's fifth component: `INTERP`, `SCO`), if named.
    pub part: String,
    pub value: String,
    pub units: String,
    pub abnormal_flags: Vec<String>,
    pub status: ResultStatus,
    pub performer: String,
    pub verifier: String,
    pub completed_at: String,
    pub instrument: String,
}

impl TestResult {
    /// The reading, when R.4 is one (`Reactive`, `Nonreactive`, `POS`, `NEG`...) and the
    /// record is an interpretation rather than a signal value such as S/CO.
    pub fn interpretation(&self) -> Option<Interpretation> {
        match self.value.trim().to_ascii_lowercase().as_str() {
            "reactive" | "positive" | "pos" | "r" | "rr" => Some(Interpretation::Reactive),
            "nonreactive" | "non-reactive" | "negative" | "neg" | "nr" => {
                Some(Interpretation::Nonreactive)
            }
            _ => None,
        }
    }
}

/// An O record and the R and C records under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecimenResults {
    /// The O record's position in the message, from 1.
    pub record: usize,
    pub specimen: SpecimenId,
    /// O.12: `Q` marks a quality-control specimen.
    pub action_code: String,
    pub results: Vec<TestResult>,
    pub comments: Vec<String>,
}

impl SpecimenResults {
    pub fn is_control(&self) -> bool {
        self.action_code.trim() == "Q"
    }
}

/// A Q record: the specimens the analyser asks orders for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub record: usize,
    pub specimens: Vec<SpecimenId>,
}

/// What one message holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Content {
    /// H.5, the sender's name (its components joined by `^`).
    pub sender: String,
    pub specimens: Vec<SpecimenResults>,
    pub queries: Vec<Query>,
}

/// Reads a message's records (each without its closing CR) into its content.
pub fn read_message(records: &[Vec<u8>]) -> Result<(Message, Content), MessageError> {
    let message = Message::parse(records)?;
    let content = interpret(&message)?;
    Ok((message, content))
}

/// Walks the record hierarchy: R and C belong to the O before them.
pub fn interpret(message: &Message) -> Result<Content, MessageError> {
    let sender = message.records[0]
        .field(5)
        .0
        .first()
        .map(|c| c.join("^"))
        .unwrap_or_default();
    let mut content = Content {
        sender,
        specimens: Vec::new(),
        queries: Vec::new(),
    };
    for (index, record) in message.records.iter().enumerate() {
        let number = index + 1;
        match record.kind {
            'O' => content.specimens.push(order(record, number)?),
            'R' => {
                let Some(order) = content.specimens.last_mut() else {
                    return Err(RecordError::at(
                        number,
                        0,
                        "a result record comes before any order record",
                    ));
                };
                order.results.push(result(record, number)?);
            }
            'C' => {
                if let Some(order) = content.specimens.last_mut() {
                    order.comments.push(
                        record
                            .field(4)
                            .0
                            .iter()
                            .map(|c| c.join(" "))
                            .collect::<Vec<_>>()
                            .join("; "),
                    );
                }
            }
            'Q' => content.queries.push(query(record, number)?),
            // P starts a new patient (for us, a new tube); H, L, M, S carry nothing we record.
            _ => {}
        }
    }
    Ok(content)
}

fn order(record: &Record, number: usize) -> Result<SpecimenResults, MessageError> {
    let raw = record.field(3).first();
    if raw.trim().is_empty() {
        return Err(RecordError::at(number, 3, "the order names no specimen ID"));
    }
    let specimen = SpecimenId::parse(raw).map_err(|reason| RecordError::at(number, 3, reason))?;
    Ok(SpecimenResults {
        record: number,
        specimen,
        action_code: record.field(12).first().to_owned(),
        results: Vec::new(),
        comments: Vec::new(),
    })
}

fn result(record: &Record, number: usize) -> Result<TestResult, MessageError> {
    let test = record.field(3);
    let has_components = test.0.first().is_some_and(|c| c.len() >= 4);
    let code = if has_components {
        test.component(3)
    } else {
        test.first()
    };
    if code.trim().is_empty() {
        return Err(RecordError::at(number, 3, "the result names no test"));
    }
    let status_text = record.field(9).first();
    let status = ResultStatus::parse(status_text).ok_or_else(|| {
        RecordError::at(
            number,
            9,
            format!("{status_text:?} is not a result status (F, P, C, X, I, S, M, R, N, Q, V, W)"),
        )
    })?;
    let operator = record.field(11);
    Ok(TestResult {
        record: number,
        code: code.trim().to_owned(),
        part: if has_components {
            test.component(4).trim().to_owned()
        } else {
            String::new()
        },
        value: record.field(4).first().to_owned(),
        units: record.field(5).first().to_owned(),
        abnormal_flags: record
            .field(7)
            .0
            .iter()
            .map(|r| r.join("^"))
            .filter(|f| !f.is_empty())
            .collect(),
        status,
        performer: operator.component(0).to_owned(),
        verifier: operator.component(1).to_owned(),
        completed_at: record.field(13).first().to_owned(),
        instrument: record.field(14).first().to_owned(),
    })
}

fn query(record: &Record, number: usize) -> Result<Query, MessageError> {
    let mut specimens = Vec::new();
    for repeat in &record.field(3).0 {
        let id = repeat
            .get(1)
            .filter(|s| !s.is_empty())
            .or(repeat.first())
            .map_or("", String::as_str);
        if id.trim().is_empty() {
            continue;
        }
        specimens.push(SpecimenId::parse(id).map_err(|reason| RecordError::at(number, 3, reason))?);
    }
    if specimens.is_empty() {
        return Err(RecordError::at(number, 3, "the query names no specimen"));
    }
    Ok(Query {
        record: number,
        specimens,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str) -> Vec<Vec<u8>> {
        text.split('\r').map(|r| r.as_bytes().to_vec()).collect()
    }

    const RESOLUTION: &str = "H|\\^&|||NATSYS^PANTHER^5.4^PAN0001|||||||P|LIS2-A2|20261125141030\r\
P|1\r\
O|1|=A99992600001209||^^^MPX^Ultrio Elite|R||||||N||||P||||||||||F\r\
R|1|^^^MPX^INTERP|Nonreactive|||N||F||OPER2||20261125140102|PAN0001\r\
R|2|^^^MPX^SCO|0.04|S/CO||||F||OPER2||20261125140102|PAN0001\r\
P|2\r\
O|1|=A99992600001409||^^^MPX^Ultrio Elite|R||||||N||||P||||||||||F\r\
R|1|^^^MPX^INTERP|Invalid|||||X||OPER2||20261125140102|PAN0001\r\
C|1|I|IC failure: internal control below cutoff; retest required|G\r\
L|1|N";

    #[test]
    fn the_nat_resolution_example_reads_as_dins_with_their_nat_flags() {
        let (_, content) = read_message(&records(RESOLUTION)).expect("valid");
        assert_eq!(content.sender, "NATSYS^PANTHER^5.4^PAN0001");
        let first = &content.specimens[0];
        assert_eq!(first.specimen.din(), Some("A999926000012"));
        let SpecimenId::Donation {
            flags: Some(flags), ..
        } = &first.specimen
        else {
            panic!("a DIN with flags: {:?}", first.specimen);
        };
        assert_eq!(flags.as_str(), "09");
        assert_eq!(first.results[0].code, "MPX");
        assert_eq!(
            first.results[0].interpretation(),
            Some(Interpretation::Nonreactive)
        );
        assert_eq!(first.results[1].interpretation(), None);
        let invalid = &content.specimens[1].results[0];
        assert_eq!(invalid.status, ResultStatus::CannotBeDone);
        assert!(content.specimens[1].comments[0].contains("IC failure"));
    }

    #[test]
    fn a_din_with_a_wrong_type_3_flag_is_refused_not_taken_for_a_control() {
        // A999926000012's check flag is 62.
        let error = SpecimenId::parse("=A99992600001263").expect_err("wrong flag");
        assert!(error.contains("not a valid DIN"), "{error}");
        assert!(matches!(
            SpecimenId::parse("=A99992600001262"),
            Ok(SpecimenId::Donation { .. })
        ));
        assert_eq!(
            SpecimenId::parse("NC-26-1125-01"),
            Ok(SpecimenId::Other("NC-26-1125-01".into()))
        );
    }

    #[test]
    fn a_host_query_keyed_on_a_din_names_it() {
        let text = "H|\\^&|||OCD^VISION\rQ|1|^=W13131200096100||||||||||O\rL|1|N";
        let (_, content) = read_message(&records(text)).expect("valid");
        assert_eq!(content.queries[0].specimens[0].din(), Some("W131312000961"));
    }

    #[test]
    fn an_unknown_result_status_is_refused_with_its_record_and_field() {
        let text = "H|\\^&\rO|1|SID1\rR|1|^^^HBsAg|NEG|||||Z\rL|1|N";
        let error = read_message(&records(text)).expect_err("bad status");
        assert_eq!((error.record, error.field), (3, 9));
    }
}
