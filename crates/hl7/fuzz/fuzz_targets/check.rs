//! What the fuzzer holds the codec to, for any bytes (shared with the regression test):
//! the ER7 parser and the MLLP framing return a value or an error, never panic; a frame
//! taken lies within the bytes and the limit; a message read writes out to ER7 that reads
//! back to the same message and writes the same again.

use hemaflow_hl7::mllp::take_frame;
use hemaflow_hl7::{Limits, Message};

pub fn check(data: &[u8]) {
    let limits = Limits {
        message_bytes_max: 64 * 1024,
        segments_max: 200,
        fields_max: 64,
        repetitions_max: 32,
    };
    for input in [data, &prefixed(data)] {
        if let Ok(message) = Message::parse_bytes(input, &limits) {
            let written = message.to_er7();
            let again = Message::parse(&written, &Limits::default())
                .expect("what Hemaflow writes reads back");
            assert_eq!(again.to_er7(), written, "writing is stable");
            assert_eq!(again.segments.len(), message.segments.len());
        }
    }
    if let Ok(Some((message, used))) = take_frame(data, 4096) {
        assert!(used <= data.len());
        assert!(message.len() <= 4096);
    }
}

/// The bytes after a valid header, so the fuzzer spends its time past MSH-2 too.
fn prefixed(data: &[u8]) -> Vec<u8> {
    let mut input = b"MSH|^~\\&|".to_vec();
    input.extend_from_slice(data);
    input
}
