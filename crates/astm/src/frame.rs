//! E1381 frames: `<STX> FN text <ETB|ETX> C1 C2 <CR><LF>`, the frame number `0`-`7`, the
//! 8-bit checksum in two uppercase hex digits, at most 240 characters of text (247 bytes a
//! frame), and the characters a frame's text may not hold.

use thiserror::Error;

pub const STX: u8 = 0x02;
pub const ETX: u8 = 0x03;
pub const EOT: u8 = 0x04;
pub const ENQ: u8 = 0x05;
pub const ACK: u8 = 0x06;
pub const NAK: u8 = 0x15;
pub const ETB: u8 = 0x17;
pub const CR: u8 = 0x0D;
pub const LF: u8 = 0x0A;

/// The most text one frame carries (E1381 §6.3.1; cobas manuals: "Max. 240 byte").
pub const TEXT_MAX: usize = 240;
/// The longest frame: the text plus STX, FN, ETB/ETX, two checksum characters, CR and LF.
pub const FRAME_MAX: usize = TEXT_MAX + 7;

/// One frame, read and checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The frame number, 0-7.
    pub number: u8,
    pub text: Vec<u8>,
    /// True for an ETX frame (the end of a record), false for an ETB (intermediate) frame.
    pub last: bool,
}

/// Why a frame was refused (and NAKed).
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum FrameError {
    #[error("frame of {0} bytes is longer than the 247 the standard allows")]
    TooLong(usize),
    #[error("frame does not start with STX")]
    NoStx,
    #[error("frame is too short ({0} bytes) to hold a number, an end mark and a checksum")]
    TooShort(usize),
    #[error("frame number {0:?} is not a digit 0-7")]
    BadNumber(char),
    #[error("frame has no ETX or ETB before its checksum")]
    NoEnd,
    #[error("frame does not end with CR LF")]
    NoCrLf,
    #[error("checksum {found:?} does not match the frame's content ({expected})")]
    Checksum { found: String, expected: String },
    #[error("frame text holds the restricted character 0x{0:02X} at offset {1}")]
    Restricted(u8, usize),
}

/// Whether a byte may not appear in a frame's text (E1381 §6.6.2): SOH, STX, ETX, EOT, ENQ,
/// ACK, DLE, NAK, SYN, ETB, LF, DC1-DC4.
pub fn is_restricted(byte: u8) -> bool {
    matches!(
        byte,
        0x01..=0x06 | 0x10 | 0x11..=0x14 | 0x15 | 0x16 | 0x17 | LF
    )
}

/// The checksum of the bytes from FN up to and including ETX/ETB: their sum modulo 256.
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |sum, byte| sum.wrapping_add(*byte))
}

fn hex_digits(value: u8) -> [u8; 2] {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    [HEX[usize::from(value >> 4)], HEX[usize::from(value & 0x0F)]]
}

impl Frame {
    /// The frame's bytes on the wire.
    pub fn encode(&self) -> Vec<u8> {
        assert!(self.number < 8, "a frame number is taken modulo 8");
        assert!(
            self.text.len() <= TEXT_MAX,
            "a frame holds at most 240 characters"
        );
        let mut bytes = Vec::with_capacity(self.text.len() + 7);
        bytes.push(STX);
        bytes.push(b'0' + self.number);
        bytes.extend_from_slice(&self.text);
        bytes.push(if self.last { ETX } else { ETB });
        let sum = checksum(&bytes[1..]);
        bytes.extend_from_slice(&hex_digits(sum));
        bytes.push(CR);
        bytes.push(LF);
        bytes
    }

    /// Reads one whole frame, STX to LF. Never reads past `bytes`; every defect is an error.
    pub fn parse(bytes: &[u8]) -> Result<Frame, FrameError> {
        if bytes.len() > FRAME_MAX {
            return Err(FrameError::TooLong(bytes.len()));
        }
        if bytes.first() != Some(&STX) {
            return Err(FrameError::NoStx);
        }
        if bytes.len() < 7 {
            return Err(FrameError::TooShort(bytes.len()));
        }
        let number = bytes[1];
        if !(b'0'..=b'7').contains(&number) {
            return Err(FrameError::BadNumber(char::from(number)));
        }
        let tail = bytes.len() - 5;
        if bytes[tail + 3..] != [CR, LF] {
            return Err(FrameError::NoCrLf);
        }
        let end = bytes[tail];
        if end != ETX && end != ETB {
            return Err(FrameError::NoEnd);
        }
        let expected = hex_digits(checksum(&bytes[1..=tail]));
        let found = &bytes[tail + 1..tail + 3];
        // Some senders write the hex digits in lower case; the value is what counts.
        if !found.eq_ignore_ascii_case(&expected) {
            return Err(FrameError::Checksum {
                found: String::from_utf8_lossy(found).into_owned(),
                expected: String::from_utf8_lossy(&expected).into_owned(),
            });
        }
        let text = &bytes[2..tail];
        if let Some(offset) = text.iter().position(|b| is_restricted(*b)) {
            return Err(FrameError::Restricted(text[offset], offset));
        }
        Ok(Frame {
            number: number - b'0',
            text: text.to_vec(),
            last: end == ETX,
        })
    }
}

/// The frames of one record (the cobas manuals: "different records must be sent in different
/// frames"): its text and a closing CR, cut into pieces of at most 240 characters, numbered on
/// from `first_number` modulo 8; every piece but the last ends in ETB.
pub fn encode_record_frames(record: &[u8], first_number: u8) -> Vec<Frame> {
    let mut text = record.to_vec();
    text.push(CR);
    let count = text.len().div_ceil(TEXT_MAX);
    text.chunks(TEXT_MAX)
        .enumerate()
        .map(|(index, piece)| Frame {
            number: (usize::from(first_number) + index) as u8 % 8,
            text: piece.to_vec(),
            last: index + 1 == count,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worked_header_checksum_is_c6() {
        let record = b"H|\\^&|||NATSYS^PANTHER^5.4^PAN0001|||||||P|LIS2-A2|20261125093012";
        let frames = encode_record_frames(record, 1);
        assert_eq!(frames.len(), 1);
        let bytes = frames[0].encode();
        assert_eq!(&bytes[bytes.len() - 4..bytes.len() - 2], b"C6");
        assert_eq!(Frame::parse(&bytes), Ok(frames[0].clone()));
    }

    #[test]
    fn a_long_record_is_cut_into_etb_frames_of_247_bytes_and_numbers_wrap() {
        let record = vec![b'R'; 600];
        let frames = encode_record_frames(&record, 6);
        let numbers: Vec<u8> = frames.iter().map(|f| f.number).collect();
        assert_eq!(numbers, [6, 7, 0]);
        assert_eq!(frames[0].encode().len(), FRAME_MAX);
        assert!(!frames[0].last && !frames[1].last && frames[2].last);
    }

    #[test]
    fn a_changed_byte_fails_the_checksum() {
        let mut bytes = encode_record_frames(b"L|1|N", 2)[0].encode();
        bytes[4] = b'E';
        assert!(matches!(
            Frame::parse(&bytes),
            Err(FrameError::Checksum { .. })
        ));
    }

    #[test]
    fn a_restricted_character_in_the_text_is_refused() {
        let frame = Frame {
            number: 1,
            text: b"R|1\x05".to_vec(),
            last: true,
        };
        assert_eq!(
            Frame::parse(&frame.encode()),
            Err(FrameError::Restricted(ENQ, 3))
        );
    }
}
