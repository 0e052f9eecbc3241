//! BPS^O29 (blood product dispense status, v2.5 4.13.3) of a shipment that left for a
//! hospital: one ORDER group (ORC, BPO) per line of the order with units in the shipment,
//! and one BPX per unit: status DS (dispensed, table 0510) final, when it left, the DIN
//! (BPX-5) and product code (BPX-6) in ISBT 128, its group (BPX-11, data structure 002) and
//! expiry (BPX-13).
//!
//! The control ID is derived from the shipment's ID, so a message sent again (after a restart
//! or a lost ACK) carries the same MSH-10 and the hospital can recognise it.

use hemaflow_domain::distribution::shipping::Shipment;
use hemaflow_domain::kernel::{Abo, RhD};
use hemaflow_domain::release::gate::confirmed_group;
use hemaflow_domain::state::State;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::ack::{Header, Parties};
use crate::er7::{Delimiters, Field, Message, Segment};
use crate::orders::{family_code, placer_of, ts};

/// MSH-10 of the BPS^O29 of a shipment: `BPS` and 16 hex digits of the SHA-256 of its ID
/// (19 characters; MSH-10 holds 20).
pub fn control_id(shipment_id: &str) -> String {
    let digest = Sha256::digest(shipment_id.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02X}")).collect();
    format!("BPS{hex}")
}

/// The ISBT 128 group code (data structure 002, no special message) of a group.
pub fn isbt_group(abo: Abo, rhd: RhD) -> (&'static str, &'static str) {
    match (abo, rhd) {
        (Abo::O, RhD::Positive) => ("5100", "O RhD positive"),
        (Abo::O, RhD::Negative) => ("9500", "O RhD negative"),
        (Abo::A, RhD::Positive) => ("6200", "A RhD positive"),
        (Abo::A, RhD::Negative) => ("0600", "A RhD negative"),
        (Abo::B, RhD::Positive) => ("7300", "B RhD positive"),
        (Abo::B, RhD::Negative) => ("1700", "B RhD negative"),
        (Abo::AB, RhD::Positive) => ("8400", "AB RhD positive"),
        (Abo::AB, RhD::Negative) => ("2800", "AB RhD negative"),
    }
}

/// The BPS^O29 of a shipped shipment, to the system of `facility`; `None` when the shipment
/// has not left or its order is not on record.
pub fn bps(records: &State, shipment: &Shipment, parties: &Parties) -> Option<Message> {
    let dispatch = shipment.dispatch.as_ref()?;
    let order = records.orders.get(&shipment.order_id)?;
    let delimiters = Delimiters::default();
    let control_id = control_id(&shipment.id);
    let at = ts(dispatch.at);
    let header = Header {
        parties,
        at: &at,
        message_type: ["BPS", "O29", "BPS_O29"],
        control_id: &control_id,
        processing_id: "P",
    };
    let mut msh = header.segment(&delimiters);
    msh.set(15, "AL").set(16, "NE");
    let mut message = Message::new(delimiters, msh);
    let placer = placer_of(&order.id, &parties.receiving_facility).unwrap_or_default();
    for (index, line) in order.lines.iter().enumerate() {
        let units: Vec<&str> = order
            .units
            .iter()
            .filter(|u| {
                u.allocated.line as usize == index && u.shipment.as_deref() == Some(&shipment.id)
            })
            .map(|u| u.allocated.component.as_str())
            .collect();
        if units.is_empty() {
            continue;
        }
        message.push(
            Segment::new("ORC")
                .with(1, "SC")
                .with(
                    2,
                    Field::components(&[placer, &parties.receiving_application]),
                )
                .with(
                    3,
                    Field::components(&[&order.id, &parties.sending_application]),
                )
                .with(5, "IP"),
        );
        let (code, name) = family_code(line.component_type);
        message.push(
            Segment::new("BPO")
                .with(1, "1")
                .with(2, Field::components(&[code, name, "HL70426"]))
                .with(4, line.quantity.to_string()),
        );
        for (i, unit) in units.iter().enumerate() {
            message.push(bpx(records, unit, i as u32 + 1, dispatch.at, parties));
        }
    }
    Some(message)
}

fn bpx(records: &State, unit: &str, set_id: u32, at: OffsetDateTime, parties: &Parties) -> Segment {
    let mut bpx = Segment::new("BPX")
        .with(1, set_id.to_string())
        .with(
            2,
            Field::components(&["DS", "Dispensed to patient location", "HL70510"]),
        )
        .with(3, "F")
        .with(4, ts(at))
        .with(14, "1")
        .with(17, Field::components(&[unit, &parties.sending_application]));
    let Some(component) = records.components.get(unit) else {
        return bpx;
    };
    bpx.set(5, Field::components(&[&component.din, "", "ISBT128"]));
    bpx.set(
        6,
        Field::components(&[&component.product_code, &component.name, "IBT"]),
    );
    if let Some((abo, rhd)) = confirmed_group(records, component) {
        let (code, text) = isbt_group(abo, rhd);
        bpx.set(11, Field::components(&[code, text, "IBT"]));
    }
    bpx.set(13, ts(component.expires_at));
    bpx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_control_id_of_a_shipment_is_fixed_and_fits_msh_10() {
        let id = control_id("SHP-ABCDEFGHIJ-1");
        assert_eq!(id, control_id("SHP-ABCDEFGHIJ-1"));
        assert_ne!(id, control_id("SHP-ABCDEFGHIJ-2"));
        assert_eq!(id.len(), 19);
    }
}
