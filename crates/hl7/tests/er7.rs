//! The ER7 codec: the example messages of other systems read, values by `SEG-n.c.s`, line
//! endings tolerated, limits enforced with where and why; property tests: any message written
//! parses back to the same values, and no input panics the parser or the MLLP framing.

#![allow(clippy::unwrap_used)]

use hemaflow_hl7::er7::{Component, Field, Repetition};
use hemaflow_hl7::mllp::{frame, take_frame};
use hemaflow_hl7::{Delimiters, Limits, Message, ParseError, Segment};
use proptest::prelude::*;

fn example(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/data/interop/{name}.hl7",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn the_example_messages_are_read_and_written_back_byte_for_byte() {
    for name in [
        "omb_o27", "orb_o28", "bps_o29", "brp_o30", "bts_o31", "brt_o32", "ack",
    ] {
        let text = example(name);
        let message = Message::parse(&text, &Limits::default()).unwrap();
        assert_eq!(message.to_er7(), text, "{name}");
    }
}

#[test]
fn values_are_read_by_segment_field_component_and_repetition() {
    let message = Message::parse(&example("omb_o27"), &Limits::default()).unwrap();
    assert_eq!(message.get("MSH-4"), Some("GENHOSP"));
    assert_eq!(message.get("MSH-9.2"), Some("O27"));
    assert_eq!(message.get("MSH-10"), Some("MSG00001"));
    assert_eq!(message.get("PID-5.2"), Some("JANE"));
    assert_eq!(message.get("BPO-4"), Some("2"));
    let bpo = message.segment("BPO").unwrap();
    assert_eq!(bpo.field(3).unwrap().get(1, 1, 1), Some("LR"));
    assert_eq!(message.get("PID-2"), None, "empty is absent");
    assert_eq!(message.get("ZZZ-1"), None);
    let bps = Message::parse(&example("bps_o29"), &Limits::default()).unwrap();
    assert_eq!(
        bps.get("BPX-6.2"),
        Some("RED BLOOD CELLS CPD>AS-5 Irradiated ResLeu")
    );
}

#[test]
fn lf_and_crlf_line_endings_are_read_as_segment_ends() {
    let text = example("omb_o27");
    let cr = Message::parse(&text, &Limits::default()).unwrap();
    for ending in ["\n", "\r\n"] {
        let other = text.replace('\r', ending);
        assert_eq!(Message::parse(&other, &Limits::default()).unwrap(), cr);
    }
}

#[test]
fn escapes_in_values_are_decoded_and_written_again() {
    let text = "MSH|^~\\&|A|B\rNTE|1||Hb \\T\\ Plt\\F\\low \\X0D\\next\\E\\\r";
    let message = Message::parse(text, &Limits::default()).unwrap();
    assert_eq!(message.get("NTE-3"), Some("Hb & Plt|low \rnext\\"));
    assert_eq!(message.to_er7(), text);
}

#[test]
fn limits_refuse_oversized_messages_and_say_which_limit() {
    let limits = Limits {
        message_bytes_max: 200,
        segments_max: 3,
        fields_max: 5,
        repetitions_max: 2,
    };
    let long = format!("MSH|^~\\&|{}", "x".repeat(300));
    assert!(matches!(
        Message::parse(&long, &limits),
        Err(ParseError::TooLarge { max: 200, .. })
    ));
    let segments = "MSH|^~\\&\rNTE|1\rNTE|2\rNTE|3\r";
    assert_eq!(
        Message::parse(segments, &limits),
        Err(ParseError::TooManySegments { max: 3 })
    );
    let fields = "MSH|^~\\&\rNTE|1|2|3|4|5|6\r";
    let error = Message::parse(fields, &limits).unwrap_err();
    assert_eq!(error.to_string(), "segment 2 (NTE) has more than 5 fields");
    let repeats = "MSH|^~\\&\rNTE|1~2~3\r";
    let error = Message::parse(repeats, &limits).unwrap_err();
    assert!(
        error.to_string().starts_with("NTE-1 (segment 2)"),
        "{error}"
    );
}

#[test]
fn broken_headers_and_segments_are_refused_with_where() {
    let limits = Limits::default();
    assert_eq!(Message::parse("", &limits), Err(ParseError::Empty));
    assert!(matches!(
        Message::parse("PID|1", &limits),
        Err(ParseError::NoMsh { .. })
    ));
    assert!(matches!(
        Message::parse("MSH|^|A", &limits),
        Err(ParseError::Encoding { .. })
    ));
    assert!(matches!(
        Message::parse("MSH|^^~\\|A", &limits),
        Err(ParseError::Encoding { .. })
    ));
    assert!(matches!(
        Message::parse("MSH|a~\\&|A", &limits),
        Err(ParseError::Encoding { .. })
    ));
    let error = Message::parse("MSH|^~\\&\rpid|1\r", &limits).unwrap_err();
    assert!(error.to_string().starts_with("segment 2:"), "{error}");
    let error = Message::parse("MSH|^~\\&|A\nMSH|^~\\&|B", &limits).unwrap_err();
    assert!(error.to_string().contains("a second MSH"), "{error}");
    let error = Message::parse("MSH|^~\\&\rNTE|1||bad\\F\r", &limits).unwrap_err();
    assert!(
        error.to_string().starts_with("NTE-3 (segment 2):"),
        "{error}"
    );
}

fn value() -> impl Strategy<Value = String> {
    // Any text, separators, escape characters and control characters included.
    prop::string::string_regex("[a-zA-Z0-9 |^~&\\\\\r\n\t\u{e9}\u{1F9F8}.-]{0,12}").unwrap()
}

fn field() -> impl Strategy<Value = Field> {
    prop::collection::vec(
        prop::collection::vec(prop::collection::vec(value(), 1..3), 1..4),
        0..3,
    )
    .prop_map(|repetitions| Field {
        repetitions: repetitions
            .into_iter()
            .map(|components| Repetition {
                components: components
                    .into_iter()
                    .map(|subcomponents| Component { subcomponents })
                    .collect(),
            })
            .collect(),
    })
}

fn segment() -> impl Strategy<Value = Segment> {
    ("[A-Z][A-Z0-9]{2}", prop::collection::vec(field(), 0..6))
        .prop_filter_map("not a second MSH", |(id, fields)| {
            (id != "MSH").then_some(Segment { id, fields })
        })
}

proptest! {
    #[test]
    fn a_written_message_parses_back_to_the_same_values(
        header in prop::collection::vec(field(), 0..8),
        segments in prop::collection::vec(segment(), 0..6),
    ) {
        let delimiters = Delimiters::default();
        let mut msh = Message::header(&delimiters);
        msh.fields.extend(header);
        let mut message = Message::new(delimiters, msh);
        for segment in segments {
            message.push(segment);
        }
        let written = message.to_er7();
        let parsed = Message::parse(&written, &Limits::default()).unwrap();
        // Values are the same; only empty trailing parts (never written) may be gone.
        prop_assert_eq!(parsed.to_er7(), written.clone());
        for (original, read) in message.segments.iter().zip(&parsed.segments) {
            prop_assert_eq!(&original.id, &read.id);
            for n in 3..=original.fields.len() {
                let (a, b) = (original.field(n).unwrap(), read.field(n));
                for r in 0..a.repetitions.len() {
                    for c in 1..=a.repetitions[r].components.len() {
                        for s in 1..=a.repetitions[r].components[c - 1].subcomponents.len() {
                            let want = a.get(r, c, s).unwrap_or_default();
                            let got = b.and_then(|f| f.get(r, c, s)).unwrap_or_default();
                            prop_assert_eq!(want, got, "{}-{}[{}].{}.{}", original.id, n, r, c, s);
                        }
                    }
                }
            }
        }
        prop_assert!(!written[..written.len() - 1].contains(['\n']));
    }

    #[test]
    fn no_input_panics_the_parser(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = Message::parse_bytes(&bytes, &Limits::default());
        let mut with_header = b"MSH|^~\\&|".to_vec();
        with_header.extend(&bytes);
        if let Ok(message) = Message::parse_bytes(&with_header, &Limits::default()) {
            let again = Message::parse(&message.to_er7(), &Limits::default()).unwrap();
            prop_assert_eq!(again.to_er7(), message.to_er7());
        }
    }

    #[test]
    fn mllp_frames_survive_any_split_and_garbage_is_refused(
        messages in prop::collection::vec(prop::collection::vec(any::<u8>().prop_filter("not FS", |b| *b != 0x1C), 0..50), 1..4),
        split in 0usize..200,
    ) {
        let mut stream = Vec::new();
        for message in &messages {
            stream.extend(frame(message));
        }
        let split = split.min(stream.len());
        // Bytes arrive in two reads: the frames come out whole, in order.
        let mut buffer = stream[..split].to_vec();
        let mut rest = &stream[split..];
        let mut out = Vec::new();
        loop {
            match take_frame(&buffer, 1024).unwrap() {
                Some((message, used)) => {
                    out.push(message.to_vec());
                    buffer.drain(..used);
                }
                None if rest.is_empty() => break,
                None => {
                    buffer.extend_from_slice(rest);
                    rest = &[];
                }
            }
        }
        prop_assert_eq!(out, messages);
    }

    #[test]
    fn no_bytes_panic_the_framing(bytes in prop::collection::vec(any::<u8>(), 0..300), max in 0u32..64) {
        if let Ok(Some((message, used))) = take_frame(&bytes, max) {
            prop_assert!(used <= bytes.len());
            prop_assert!(message.len() <= max as usize);
        }
    }
}
