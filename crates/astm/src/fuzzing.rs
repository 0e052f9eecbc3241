//! The assertions of the fuzz targets (`fuzz/`), here so that the normal test run checks the
//! inputs kept in `fuzz/regressions/` with exactly the same ones.

use std::time::Instant;

use crate::frame::{ENQ, Frame};
use crate::link::{Action, Link, Role, Timers};
use crate::record::Message;

/// Any bytes as a frame and as a stream on the link: an answer or an error, never a panic;
/// a frame that parses encodes back to the same bytes (up to the checksum's letter case);
/// the link answers with ACK, NAK or nothing, and never delivers a message without its L.
pub fn check_frames(data: &[u8]) {
    if let Ok(frame) = Frame::parse(data) {
        assert!(frame.number < 8);
        assert!(
            frame.encode().eq_ignore_ascii_case(data),
            "a frame encodes back to itself"
        );
    }
    let mut link = Link::new(Role::Computer, Timers::STANDARD);
    let now = Instant::now();
    let mut actions = link.receive(&[ENQ], now);
    actions.extend(link.receive(data, now));
    actions.extend(link.tick(now + Timers::STANDARD.receiver));
    for action in actions {
        match action {
            Action::Write(bytes) => assert!(bytes.len() == 1, "a receiver writes single replies"),
            Action::Received(records) => {
                assert!(records.last().is_some_and(|r| r.first() == Some(&b'L')))
            }
            Action::Nak(_) | Action::Failed(_) | Action::Sent => {}
        }
    }
}

/// Any bytes as a message's records (split at CR): read or refused with the record and field
/// named, never a panic; a message that reads encodes to records that read the same again.
pub fn check_message(data: &[u8]) {
    let records: Vec<Vec<u8>> = data.split(|b| *b == b'\r').map(<[u8]>::to_vec).collect();
    match crate::message::read_message(&records) {
        Ok((message, content)) => {
            let again = Message::parse(&message.encode()).expect("an encoded message reads");
            assert_eq!(again, message);
            assert_eq!(crate::message::interpret(&again).ok(), Some(content));
        }
        Err(error) => assert!(error.record <= records.len().max(1) + 1),
    }
}
