//! The OMB^O27 reader's own parsers: groups and timestamps written by Hemaflow read back the
//! same, and no message, however odd, panics the order reader.

#![allow(clippy::unwrap_used)]

use hemaflow_domain::kernel::{Abo, RhD};
use hemaflow_hl7::dispense::isbt_group;
use hemaflow_hl7::orders::{group, read_envelope, read_order, timestamp, ts};
use hemaflow_hl7::{Limits, Message};
use proptest::prelude::*;

fn abo() -> impl Strategy<Value = Abo> {
    prop_oneof![Just(Abo::O), Just(Abo::A), Just(Abo::B), Just(Abo::AB)]
}

fn rhd() -> impl Strategy<Value = RhD> {
    prop_oneof![Just(RhD::Positive), Just(RhD::Negative)]
}

fn segment_line() -> impl Strategy<Value = String> {
    let id = prop_oneof![
        Just("ORC"),
        Just("BPO"),
        Just("OBX"),
        Just("TQ1"),
        Just("PID"),
        Just("NTE")
    ];
    (id, "[A-Za-z0-9 |^~&.+-]{0,40}").prop_map(|(id, rest)| format!("{id}|{rest}"))
}

proptest! {
    #[test]
    fn a_group_reads_back_from_its_isbt_128_code_and_its_words(abo in abo(), rhd in rhd()) {
        let (code, words) = isbt_group(abo, rhd);
        prop_assert_eq!(group(code), Some((abo, rhd)));
        prop_assert_eq!(group(words), Some((abo, rhd)));
    }

    #[test]
    fn a_timestamp_written_reads_back_to_the_second(seconds in 0i64..4_102_444_800) {
        let at = time::OffsetDateTime::from_unix_timestamp(seconds).unwrap();
        prop_assert_eq!(timestamp(&ts(at)), Some(at));
    }

    #[test]
    fn no_message_panics_the_order_reader(lines in prop::collection::vec(segment_line(), 0..12)) {
        let text = format!(
            "MSH|^~\\&|HIS|GENHOSP|HEMAFLOW|BLOODBANK|20251125101500||OMB^O27^OMB_O27|M1|P|2.5\r{}",
            lines.join("\r")
        );
        if let Ok(message) = Message::parse(&text, &Limits::default()) {
            let envelope = read_envelope(&message).unwrap();
            if let Ok(order) = read_order(&message, &envelope) {
                // Every BPO became a line, and every line names the group of the one OBX 882-1.
                prop_assert_eq!(order.lines.len(), message.segments_named("BPO").count());
                prop_assert!(message.segments_named("OBX").any(|o| o.get(3, 1) == Some("882-1")));
            }
        }
    }

    #[test]
    fn any_timestamp_text_is_read_or_refused_without_panic(text in "[0-9+.-]{0,20}") {
        let _ = timestamp(&text);
    }
}
