//! OMB^O27 (blood product order, v2.5 4.13.1) read into the domain's `PlaceOrder`, and its
//! answer ORB^O28.
//!
//! What is read: MSH-4 (the sending facility, mapped to a hospital by the configuration),
//! MSH-10 (the control ID: with the facility, the command ID, so a message sent twice places
//! one order), ORC-2 (the placer order number: with the facility, the order's ID), and for
//! each ORDER group its BPO: BPO-2 (the product, table 0426: RBC/PC red cells, PLT platelets,
//! FFP/FP plasma, CRYO cryoprecipitate, WB whole blood), BPO-3 (processing requirements, table
//! 0508: IR irradiated, LR leukoreduced, CM CMV-negative, WA washed, HL HLA-matched, AN
//! antigen-negative), BPO-4 (quantity) and BPO-10 (requested dispense time, the needed-by).
//! TQ1-9 is the priority (S stat, A ASAP, R routine). The group the units must have is the
//! patient's ABO/RhD, sent as an OBX of LOINC 882-1 ("O Pos", "AB neg", or ISBT 128 "5100");
//! an order without it is refused (AE), never guessed.
//!
//! One message places one order (every ORC of the same placer order number); each BPO is a
//! line of it; the needed-by is the first BPO's BPO-10.

use hemaflow_domain::distribution::orders::{Need, OrderLine, Priority};
use hemaflow_domain::kernel::{Abo, RhD};
use hemaflow_domain::manufacturing::components::Family;
use time::OffsetDateTime;

use crate::ack::{AckCode, ErrorCode, Header, Location, Parties, Problem, msa};
use crate::er7::{Delimiters, Field, Message, Segment};

/// The order a message asks for, with what the answer echoes.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderRequest {
    pub facility: String,
    pub control_id: String,
    pub placer: String,
    pub lines: Vec<OrderLine>,
    pub priority: Priority,
    pub needed_by: Option<OffsetDateTime>,
}

/// Who sent a message and what it is, read from MSH before anything else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    pub facility: String,
    pub control_id: String,
    pub processing_id: String,
}

/// An answer refused before the domain: the ACK code and the problem.
pub type Refused = (AckCode, Problem);

fn reject(code: ErrorCode, location: Location, message: String) -> Refused {
    (AckCode::Reject, Problem::new(code, Some(location), message))
}

fn error(code: ErrorCode, location: Location, message: String) -> Refused {
    (AckCode::Error, Problem::new(code, Some(location), message))
}

/// 1 to 20 letters, digits, `-`, `_` or `.`: what may go into an order ID.
pub fn is_id_text(text: &str) -> bool {
    (1..=20).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The order ID of a placer's order: `ORD-<facility>-<placer number>`.
pub fn order_id(facility: &str, placer: &str) -> String {
    format!("ORD-{facility}-{placer}")
}

/// The placer order number of an order Hemaflow was sent by `facility`, if it was.
pub fn placer_of<'a>(order_id: &'a str, facility: &str) -> Option<&'a str> {
    order_id
        .strip_prefix("ORD-")?
        .strip_prefix(facility)?
        .strip_prefix('-')
}

/// The command ID of a message: the same for the same sender and control ID, whatever else
/// changed (a resend is the same command).
pub fn command_id(facility: &str, control_id: &str) -> String {
    format!("hl7:{facility}:{control_id}")
}

/// The actor the ledger records for a sending facility's messages.
pub fn actor(facility: &str) -> String {
    format!("hl7:{facility}")
}

/// MSH checks: an OMB^O27 of v2.5 with a sending facility and a control ID (AR otherwise).
pub fn read_envelope(message: &Message) -> Result<Envelope, Refused> {
    let control_id = message.get("MSH-10").unwrap_or_default().to_owned();
    if control_id.is_empty() || control_id.len() > 20 {
        return Err(reject(
            ErrorCode::RequiredFieldMissing,
            Location::field("MSH", 10),
            "MSH-10 (message control ID) must be 1 to 20 characters".to_owned(),
        ));
    }
    let kind = (message.get("MSH-9.1"), message.get("MSH-9.2"));
    if kind.0 != Some("OMB") {
        return Err(reject(
            ErrorCode::UnsupportedMessageType,
            Location::field("MSH", 9),
            format!(
                "MSH-9 is {:?}: this interface receives OMB (event O27, blood product orders) only",
                kind.0.unwrap_or_default()
            ),
        ));
    }
    if kind.1 != Some("O27") {
        return Err(reject(
            ErrorCode::UnsupportedEventCode,
            Location::field("MSH", 9),
            format!(
                "MSH-9 event {:?}: an OMB is accepted with event O27",
                kind.1.unwrap_or_default()
            ),
        ));
    }
    let version = message.get("MSH-12").unwrap_or_default();
    if !version.starts_with("2.5") {
        return Err(reject(
            ErrorCode::UnsupportedVersionId,
            Location::field("MSH", 12),
            format!("MSH-12 version {version:?}: this interface speaks HL7 v2.5"),
        ));
    }
    let facility = message.get("MSH-4").unwrap_or_default().to_owned();
    if !is_id_text(&facility) {
        return Err(reject(
            ErrorCode::UnknownKeyIdentifier,
            Location::field("MSH", 4),
            format!(
                "MSH-4 (sending facility) {facility:?} must be 1 to 20 letters, digits, '-', '_' or '.' (HL7-SENDER)"
            ),
        ));
    }
    Ok(Envelope {
        facility,
        control_id,
        processing_id: message.get("MSH-11").unwrap_or("P").to_owned(),
    })
}

/// The order of an OMB^O27 whose envelope was read; AE with where and why otherwise.
pub fn read_order(message: &Message, envelope: &Envelope) -> Result<OrderRequest, Refused> {
    check_sequence(message)?;
    let placer = message.get("ORC-2").unwrap_or_default();
    if !is_id_text(placer) {
        return Err(error(
            ErrorCode::RequiredFieldMissing,
            Location::field("ORC", 2),
            format!(
                "ORC-2 (placer order number) {placer:?} must be 1 to 20 letters, digits, '-', '_' or '.'"
            ),
        ));
    }
    // One message places one order: every ORDER group must be of the same placer order.
    for (i, orc) in message.segments_named("ORC").enumerate().skip(1) {
        let other = orc.get(2, 1).unwrap_or_default();
        if other != placer {
            return Err(error(
                ErrorCode::DataTypeError,
                Location {
                    segment: "ORC".into(),
                    sequence: i as u32 + 1,
                    field: Some(2),
                    component: None,
                },
                format!(
                    "ORC {} is of placer order {other:?}, the first of {placer:?}: send each order in a message of its own",
                    i + 1
                ),
            ));
        }
    }
    let (abo, rhd) = patient_group(message)?;
    let lines = message
        .segments_named("BPO")
        .enumerate()
        .map(|(i, bpo)| order_line(bpo, i as u32 + 1, abo, rhd))
        .collect::<Result<Vec<_>, _>>()?;
    let needed_by = match message.segment("BPO").and_then(|b| b.get(10, 1)) {
        Some(text) => Some(timestamp(text).ok_or_else(|| {
            error(
                ErrorCode::DataTypeError,
                Location::field("BPO", 10),
                format!("BPO-10 {text:?} is not a time such as 20251125113000"),
            )
        })?),
        None => None,
    };
    Ok(OrderRequest {
        facility: envelope.facility.clone(),
        control_id: envelope.control_id.clone(),
        placer: placer.to_owned(),
        lines,
        priority: priority(message)?,
        needed_by,
    })
}

/// Each ORDER group starts with ORC and holds one BPO; a BPO before any ORC, or an ORC with
/// no BPO, is a segment sequence error.
fn check_sequence(message: &Message) -> Result<(), Refused> {
    let mut open_orc: Option<u32> = None;
    let mut orc_count = 0u32;
    let mut bpo_count = 0u32;
    for segment in &message.segments {
        match segment.id.as_str() {
            "ORC" => {
                if let Some(orc) = open_orc {
                    return Err(missing_bpo(orc));
                }
                orc_count += 1;
                open_orc = Some(orc_count);
            }
            "BPO" => {
                bpo_count += 1;
                if open_orc.take().is_none() {
                    return Err(error(
                        ErrorCode::SegmentSequence,
                        Location {
                            segment: "BPO".into(),
                            sequence: bpo_count,
                            field: None,
                            component: None,
                        },
                        format!("BPO {bpo_count} is not in an ORDER group (no ORC before it)"),
                    ));
                }
            }
            _ => {}
        }
    }
    match (open_orc, orc_count) {
        (Some(orc), _) => Err(missing_bpo(orc)),
        (None, 0) => Err(error(
            ErrorCode::SegmentSequence,
            Location {
                segment: "ORC".into(),
                sequence: 1,
                field: None,
                component: None,
            },
            "the message has no ORDER group (ORC and BPO)".to_owned(),
        )),
        _ => Ok(()),
    }
}

fn missing_bpo(orc: u32) -> Refused {
    error(
        ErrorCode::SegmentSequence,
        Location {
            segment: "ORC".into(),
            sequence: orc,
            field: None,
            component: None,
        },
        format!("the ORDER group of ORC {orc} has no BPO (the blood product ordered)"),
    )
}

fn order_line(bpo: &Segment, sequence: u32, abo: Abo, rhd: RhD) -> Result<OrderLine, Refused> {
    let at = |field: u32| Location {
        segment: "BPO".into(),
        sequence,
        field: Some(field),
        component: None,
    };
    let code = bpo.get(2, 1).unwrap_or_default();
    let component_type = family(code).ok_or_else(|| {
        error(
            ErrorCode::TableValueNotFound,
            at(2),
            format!(
                "BPO-2 {code:?} is not a product ordered here: RBC or PC (red cells), PLT (platelets), FFP or FP (plasma), CRYO, WB"
            ),
        )
    })?;
    let quantity_text = bpo.get(4, 1).unwrap_or_default();
    let quantity = quantity_text.parse::<u32>().map_err(|_| {
        error(
            ErrorCode::RequiredFieldMissing,
            at(4),
            format!("BPO-4 (quantity) {quantity_text:?} is not a whole number of units"),
        )
    })?;
    let mut attributes = Vec::new();
    if let Some(field) = bpo.field(3) {
        for r in 0..field.repetitions.len() {
            let code = field.get(r, 1, 1).unwrap_or_default();
            if code.is_empty() {
                continue;
            }
            let need = need(code).ok_or_else(|| {
                error(
                    ErrorCode::TableValueNotFound,
                    at(3),
                    format!(
                        "BPO-3 {code:?} is not a processing requirement handled here: IR, LR, CM, WA, HL, AN"
                    ),
                )
            })?;
            if !attributes.contains(&need) {
                attributes.push(need);
            }
        }
    }
    Ok(OrderLine {
        component_type,
        abo,
        rhd,
        attributes,
        quantity,
    })
}

/// HL7 table 0426 (and the common local synonyms) to the domain's product family.
pub fn family(code: &str) -> Option<Family> {
    Some(match code.to_ascii_uppercase().as_str() {
        "RBC" | "PC" | "PRBC" | "RC" => Family::RedCells,
        "PLT" | "PLTP" | "PLTA" => Family::Platelets,
        "FFP" | "FP" | "FP24" | "PLAS" => Family::Plasma,
        "CRYO" | "CRY" => Family::Cryo,
        "WB" => Family::WholeBlood,
        _ => return None,
    })
}

/// The table 0426 code and name Hemaflow sends for a family.
pub fn family_code(family: Family) -> (&'static str, &'static str) {
    match family {
        Family::RedCells => ("PC", "Packed Cells"),
        Family::Platelets => ("PLT", "Platelets"),
        Family::Plasma => ("FFP", "Fresh Frozen Plasma"),
        Family::Cryo => ("CRYO", "Cryoprecipitated AHF"),
        Family::WholeBlood => ("WB", "Whole Blood"),
    }
}

fn need(code: &str) -> Option<Need> {
    Some(match code.to_ascii_uppercase().as_str() {
        "IR" => Need::Irradiated,
        "LR" => Need::Leukoreduced,
        "CM" => Need::CmvSafe,
        "WA" => Need::Washed,
        "HL" => Need::HlaMatched,
        "AN" => Need::AntigenNegative,
        _ => return None,
    })
}

/// TQ1-9 of the first TQ1: S stat, A ASAP (and P, T: timing-critical), R routine; none is
/// routine.
fn priority(message: &Message) -> Result<Priority, Refused> {
    match message.get("TQ1-9").map(str::to_ascii_uppercase).as_deref() {
        None | Some("R") => Ok(Priority::Routine),
        Some("S") => Ok(Priority::Stat),
        Some("A" | "P" | "T") => Ok(Priority::Asap),
        Some(other) => Err(error(
            ErrorCode::TableValueNotFound,
            Location::field("TQ1", 9),
            format!("TQ1-9 priority {other:?} is not S, A, P, T or R (table 0485)"),
        )),
    }
}

/// The patient's ABO/RhD from the OBX of LOINC 882-1.
fn patient_group(message: &Message) -> Result<(Abo, RhD), Refused> {
    let obx = message
        .segments_named("OBX")
        .find(|obx| obx.get(3, 1) == Some("882-1"));
    let Some(obx) = obx else {
        return Err(error(
            ErrorCode::RequiredFieldMissing,
            Location::field("OBX", 5),
            "the order names no ABO/RhD group: send the patient's group in an OBX whose OBX-3 is LOINC 882-1 (ABO and Rh group) and OBX-5 a group such as O Pos".to_owned(),
        ));
    };
    let value = obx.get(5, 1).unwrap_or_default();
    group(value).ok_or_else(|| {
        error(
            ErrorCode::DataTypeError,
            Location::field("OBX", 5),
            format!(
                "OBX-5 {value:?} is not an ABO/RhD group such as O Pos, AB Neg or ISBT 128 5100"
            ),
        )
    })
}

/// `O Pos`, `AB-`, `A NEGATIVE`, `B+`, or the ISBT 128 group codes of data structure 002
/// without special messages (5100, 9500, 6200, 0600, 7300, 1700, 8400, 2800).
pub fn group(text: &str) -> Option<(Abo, RhD)> {
    let isbt = match text.trim() {
        "5100" => Some((Abo::O, RhD::Positive)),
        "9500" => Some((Abo::O, RhD::Negative)),
        "6200" => Some((Abo::A, RhD::Positive)),
        "0600" => Some((Abo::A, RhD::Negative)),
        "7300" => Some((Abo::B, RhD::Positive)),
        "1700" => Some((Abo::B, RhD::Negative)),
        "8400" => Some((Abo::AB, RhD::Positive)),
        "2800" => Some((Abo::AB, RhD::Negative)),
        _ => None,
    };
    if isbt.is_some() {
        return isbt;
    }
    let upper = text.trim().to_ascii_uppercase();
    let (abo, rest) = if let Some(rest) = upper.strip_prefix("AB") {
        (Abo::AB, rest)
    } else if let Some(rest) = upper.strip_prefix('A') {
        (Abo::A, rest)
    } else if let Some(rest) = upper.strip_prefix('B') {
        (Abo::B, rest)
    } else if let Some(rest) = upper.strip_prefix('O') {
        (Abo::O, rest)
    } else {
        return None;
    };
    let rest = rest.trim();
    let rest = rest
        .strip_prefix("RHD")
        .or(rest.strip_prefix("RH"))
        .unwrap_or(rest);
    let rhd = match rest.trim() {
        "POS" | "POSITIVE" | "+" => RhD::Positive,
        "NEG" | "NEGATIVE" | "-" => RhD::Negative,
        _ => return None,
    };
    Some((abo, rhd))
}

/// `YYYYMMDDHHMM[SS][+-ZZZZ]` (TS, at least to the minute), as UTC when it has no offset.
pub fn timestamp(text: &str) -> Option<OffsetDateTime> {
    let (clock, offset) = match text.find(['+', '-']) {
        Some(at) => (&text[..at], Some(&text[at..])),
        None => (text, None),
    };
    let clock = clock.split('.').next()?;
    if !(12..=14).contains(&clock.len()) || !clock.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| clock.get(range)?.parse::<u32>().ok();
    let month = time::Month::try_from(u8::try_from(number(4..6)?).ok()?).ok()?;
    let date = time::Date::from_calendar_date(
        i32::try_from(number(0..4)?).ok()?,
        month,
        u8::try_from(number(6..8)?).ok()?,
    )
    .ok()?;
    let seconds = if clock.len() == 14 {
        number(12..14)?
    } else {
        0
    };
    let at = time::Time::from_hms(
        u8::try_from(number(8..10)?).ok()?,
        u8::try_from(number(10..12)?).ok()?,
        u8::try_from(seconds).ok()?,
    )
    .ok()?;
    let offset = match offset {
        None => time::UtcOffset::UTC,
        Some(text) if text.len() == 5 => {
            let sign = if text.starts_with('-') { -1 } else { 1 };
            let hours: i8 = text[1..3].parse().ok()?;
            let minutes: i8 = text[3..5].parse().ok()?;
            time::UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()?
        }
        Some(_) => return None,
    };
    Some(time::PrimitiveDateTime::new(date, at).assume_offset(offset))
}

/// TS as Hemaflow writes it: `YYYYMMDDHHMMSS` in UTC with `+0000`.
pub fn ts(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}+0000",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// The ORB^O28 answer. `Ok(order id)` is the order placed (MSA AA, the original's PID echoed,
/// one ORC and BPO per ORDER group with the order's ID as filler number); `Err` is AE or AR
/// with its ERR.
pub fn orb(
    original: &Message,
    header: &Header<'_>,
    answered_control_id: &str,
    outcome: Result<&str, &Refused>,
) -> Message {
    let delimiters = Delimiters::default();
    let mut reply = Message::new(delimiters, header.segment(&delimiters));
    let order_id = match outcome {
        Ok(order_id) => order_id,
        Err((code, problem)) => {
            reply.push(msa(*code, answered_control_id));
            reply.push(problem.segment());
            return reply;
        }
    };
    reply.push(msa(AckCode::Accept, answered_control_id));
    let Some(pid) = original.segment("PID") else {
        // ORB_O28 puts the ORDER group inside PATIENT: no PID, no order echoed.
        return reply;
    };
    reply.push(pid.clone());
    let placer_application = original.get("MSH-3").unwrap_or_default();
    let mut set_id = 0u32;
    for segment in &original.segments {
        match segment.id.as_str() {
            "ORC" => {
                let placer = segment.get(2, 1).unwrap_or_default();
                reply.push(
                    Segment::new("ORC")
                        .with(1, "OK")
                        .with(2, Field::components(&[placer, placer_application]))
                        .with(
                            3,
                            Field::components(&[
                                order_id,
                                header.parties.sending_application.as_str(),
                            ]),
                        )
                        .with(5, "IP"),
                );
            }
            "BPO" => {
                set_id += 1;
                let mut bpo = Segment::new("BPO").with(1, set_id.to_string());
                if let Some(product) = segment.field(2) {
                    bpo.set(2, product.clone());
                }
                if let Some(quantity) = segment.field(4) {
                    bpo.set(4, quantity.clone());
                }
                reply.push(bpo);
            }
            _ => {}
        }
    }
    reply
}

/// The parties of an answer to `original` from Hemaflow.
pub fn reply_parties(original: &Message, application: &str, facility: &str) -> Parties {
    let mut parties = Parties::reply_to(original, (application, facility));
    // Hemaflow answers as itself, whatever the sender addressed.
    parties.sending_application = application.to_owned();
    parties.sending_facility = facility.to_owned();
    parties
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn groups_are_read_in_words_signs_and_isbt_128_codes() {
        assert_eq!(group("O Pos"), Some((Abo::O, RhD::Positive)));
        assert_eq!(group("ab neg"), Some((Abo::AB, RhD::Negative)));
        assert_eq!(group("B+"), Some((Abo::B, RhD::Positive)));
        assert_eq!(group("A RhD negative"), Some((Abo::A, RhD::Negative)));
        assert_eq!(group("9500"), Some((Abo::O, RhD::Negative)));
        for bad in ["", "C Pos", "O", "O maybe", "5101"] {
            assert_eq!(group(bad), None, "{bad}");
        }
    }

    #[test]
    fn timestamps_are_read_to_the_minute_with_or_without_an_offset() {
        let at = timestamp("20251125113000").unwrap();
        assert_eq!(ts(at), "20251125113000+0000");
        let east = timestamp("202511251130+0100").unwrap();
        assert_eq!(ts(east), "20251125103000+0000");
        for bad in ["2025112511", "20251325113000", "20251125113000+1", "abc"] {
            assert!(timestamp(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn an_order_id_keeps_the_placer_number_of_its_facility() {
        let id = order_id("GENHOSP", "ORD777");
        assert_eq!(placer_of(&id, "GENHOSP"), Some("ORD777"));
        assert_eq!(placer_of(&id, "OTHER"), None);
        assert!(!is_id_text("ORD 777"));
        assert!(!is_id_text(""));
    }
}
