//! MLLP, the Minimal Lower Layer Protocol (HL7 v2.5 Appendix C, release 1 framing): every
//! message is sent as `0x0B` + message + `0x1C 0x0D`. A TCP read may hold part of a frame or
//! several; [`take_frame`] takes one complete frame off the front of a buffer.
//!
//! Hand-written: the framing is three bytes (no crate is worth a dependency for it), and the
//! limit on a frame's size, which an outsider controls, must be ours.

/// Start block (VT).
pub const START: u8 = 0x0B;
/// End block (FS), followed by [`CARRIAGE_RETURN`].
pub const END: u8 = 0x1C;
pub const CARRIAGE_RETURN: u8 = 0x0D;

/// Why the bytes received are not MLLP.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("a frame must start with 0x0B; byte {found:#04x} came first")]
    NoStart { found: u8 },
    #[error("a frame of more than {max} bytes (no end block 0x1C 0x0D within them)")]
    TooLarge { max: u32 },
}

/// One message framed for sending.
pub fn frame(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 3);
    out.push(START);
    out.extend_from_slice(message);
    out.push(END);
    out.push(CARRIAGE_RETURN);
    out
}

/// The first complete frame of `buffer`: `Ok(Some((message, bytes used)))`, `Ok(None)` when
/// more bytes are needed, or an error when the bytes cannot be MLLP (then the connection is
/// closed: there is no way to find the next frame reliably). Whitespace between frames
/// (a newline some senders add) is skipped. A frame whose message exceeds `frame_bytes_max`
/// is refused as soon as that many bytes arrived without an end.
pub fn take_frame(
    buffer: &[u8],
    frame_bytes_max: u32,
) -> Result<Option<(&[u8], usize)>, FrameError> {
    let skipped = buffer
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
        .count();
    let buffer_rest = &buffer[skipped..];
    let Some(&first) = buffer_rest.first() else {
        return Ok(None);
    };
    if first != START {
        return Err(FrameError::NoStart { found: first });
    }
    let body = &buffer_rest[1..];
    let searched = body.len().min(frame_bytes_max as usize + 2);
    let end = body[..searched]
        .windows(2)
        .position(|pair| pair == [END, CARRIAGE_RETURN]);
    match end {
        Some(end) => Ok(Some((&body[..end], skipped + 1 + end + 2))),
        None if body.len() > frame_bytes_max as usize + 1 => Err(FrameError::TooLarge {
            max: frame_bytes_max,
        }),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_frame_is_taken_whole_and_the_next_waits_for_its_end() {
        let mut bytes = frame(b"MSH|one");
        bytes.extend(frame(b"MSH|two"));
        bytes.truncate(bytes.len() - 1);
        let (message, used) = take_frame(&bytes, 100).unwrap().unwrap();
        assert_eq!(message, b"MSH|one");
        assert_eq!(take_frame(&bytes[used..], 100).unwrap(), None);
    }

    #[test]
    fn bytes_not_starting_a_frame_and_oversized_frames_are_refused() {
        assert_eq!(
            take_frame(b"MSH|", 100),
            Err(FrameError::NoStart { found: b'M' })
        );
        let mut long = vec![START];
        long.extend(std::iter::repeat_n(b'x', 20));
        assert_eq!(take_frame(&long, 10), Err(FrameError::TooLarge { max: 10 }));
        assert_eq!(take_frame(&long[..5], 10), Ok(None));
        assert_eq!(take_frame(b"\r\n", 10), Ok(None));
    }
}
