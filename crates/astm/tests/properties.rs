//! Property tests: frames and records read back what was written, and no input panics.

use hemaflow_astm::frame::{Frame, TEXT_MAX, encode_record_frames};
use hemaflow_astm::record::{Delimiters, Field, Message, Record, escape, unescape};
use hemaflow_astm::{Link, Role, Timers, read_message};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    // Any printable character, the delimiters and escape character included, plus controls.
    proptest::string::string_regex("[ -~\\t\\x01-\\x1f]{0,12}").expect("regex")
}

fn record(kind: char) -> impl Strategy<Value = Record> {
    proptest::collection::vec(
        proptest::collection::vec(proptest::collection::vec(text(), 1..4), 1..3),
        1..8,
    )
    .prop_map(move |fields| Record::new(kind, fields.into_iter().map(Field).collect()))
}

proptest! {
    #[test]
    fn a_record_cut_into_frames_reads_back_byte_for_byte(body in proptest::collection::vec(0x20u8..0x7f, 0..1000), first in 0u8..8) {
        let frames = encode_record_frames(&body, first);
        let mut read = Vec::new();
        for (index, frame) in frames.iter().enumerate() {
            let bytes = frame.encode();
            prop_assert!(bytes.len() <= TEXT_MAX + 7);
            let back = Frame::parse(&bytes).expect("a frame we wrote parses");
            prop_assert_eq!(back.number, (first + index as u8) % 8);
            read.extend(back.text);
        }
        read.pop();
        prop_assert_eq!(read, body);
    }

    #[test]
    fn any_bytes_as_a_frame_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Frame::parse(&bytes);
    }

    #[test]
    fn any_bytes_on_the_link_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let mut link = Link::new(Role::Computer, Timers::STANDARD);
        let now = std::time::Instant::now();
        let _ = link.receive(&[0x05], now);
        let _ = link.receive(&bytes, now);
    }

    #[test]
    fn a_message_encodes_and_reads_back_the_same(o in record('O'), r in record('R'), c in record('C')) {
        let d = Delimiters::STANDARD;
        let header = Record::new('H', vec![Field::text("\\^&"), Field::text(""), Field::text(""), Field::components(&["SIM", "1"])]);
        let terminator = Record::new('L', vec![Field::text("1"), Field::text("N")]);
        let message = Message { delimiters: d, records: vec![header, o, r, c, terminator] };
        let encoded = message.encode();
        for record in &encoded {
            prop_assert!(record.iter().all(|b| *b >= 0x20), "no control character reaches a frame");
        }
        let back = Message::parse(&encoded).expect("what we encode parses");
        prop_assert_eq!(back, message);
    }

    #[test]
    fn escaping_round_trips_for_any_delimiters(value in text(), pick in 0usize..4) {
        let sets = [b"|\\^&", b"!@#$", b"|~^\\", b"*,:%"];
        let [field, repeat, component, esc] = *sets[pick];
        let d = Delimiters { field, repeat, component, escape: esc };
        prop_assert_eq!(unescape(&escape(&value, &d), &d), value);
    }

    #[test]
    fn any_records_as_a_message_never_panic(records in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..60), 0..8)) {
        let mut with_header = vec![b"H|\\^&".to_vec()];
        with_header.extend(records);
        let _ = read_message(&with_header);
    }
}
