//! The escape sequences of v2.5 chapter 2 (2.7 "Use of escape sequences in text fields"):
//! `\F\ \S\ \T\ \R\ \E\` for the separators and the escape character, `\Xhh...\` for bytes
//! (written for control characters, so a value never breaks a segment). Highlighting and
//! character-set escapes (`\H\ \N\ \.br\ \Cxxyy\ \Mxxyyzz\ \Zxx\`) are kept as their text
//! (backslashes included): Hemaflow stores what was sent, it does not render it.

use crate::er7::Delimiters;

/// The longest escape sequence read (a `\X...\` of 64 bytes); longer is an error, so that a
/// stray escape character cannot make the reader scan the whole message.
const ESCAPE_CHARS_MAX: usize = 130;

/// The value of raw ER7 text, escapes decoded. An escape character with no closing one, an
/// empty `\X\` or odd hex digits is an error saying which.
pub fn unescape(raw: &str, delimiters: &Delimiters) -> Result<String, String> {
    let Some(escape) = delimiters.escape else {
        return Ok(raw.to_owned());
    };
    if !raw.contains(escape) {
        return Ok(raw.to_owned());
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(start) = rest.find(escape) {
        out.push_str(&rest[..start]);
        let after = &rest[start + escape.len_utf8()..];
        let end = after.find(escape).ok_or_else(|| {
            format!(
                "the escape character {escape:?} at character {} has no closing {escape:?}",
                raw.len() - rest.len() + start + 1
            )
        })?;
        if end > ESCAPE_CHARS_MAX {
            return Err(format!(
                "an escape sequence longer than {ESCAPE_CHARS_MAX} characters"
            ));
        }
        let sequence = &after[..end];
        decode_sequence(&mut out, sequence, escape, delimiters)?;
        rest = &after[end + escape.len_utf8()..];
    }
    out.push_str(rest);
    Ok(out)
}

fn decode_sequence(
    out: &mut String,
    sequence: &str,
    escape: char,
    delimiters: &Delimiters,
) -> Result<(), String> {
    match sequence {
        "F" => out.push(delimiters.field),
        "S" => out.push(delimiters.component),
        "T" => out.push(delimiters.subcomponent),
        "R" => out.push(delimiters.repetition),
        "E" => out.push(escape),
        hex if hex.starts_with('X') => out.push_str(&decode_hex(&hex[1..])?),
        other => {
            // Formatting and character-set escapes: kept as sent.
            out.push(escape);
            out.push_str(other);
            out.push(escape);
        }
    }
    Ok(())
}

/// `\Xhh..\`: bytes, read as UTF-8 when they are, else one character per byte (ISO 8859-1).
fn decode_hex(digits: &str) -> Result<String, String> {
    if digits.is_empty()
        || !digits.len().is_multiple_of(2)
        || !digits.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(format!(
            "\\X{digits}\\ is not an even number of hexadecimal digits"
        ));
    }
    let bytes: Vec<u8> = (0..digits.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&digits[i..i + 2], 16).ok())
        .collect();
    Ok(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => e.into_bytes().into_iter().map(char::from).collect(),
    })
}

/// Appends `value` to `out` escaped: separators and the escape character by name, control
/// characters (CR, LF, tab...) as `\Xhh\`.
pub fn escape_into(out: &mut String, value: &str, delimiters: &Delimiters) {
    let Some(escape) = delimiters.escape else {
        out.push_str(value);
        return;
    };
    for c in value.chars() {
        let name = if c == delimiters.field {
            Some('F')
        } else if c == delimiters.component {
            Some('S')
        } else if c == delimiters.subcomponent {
            Some('T')
        } else if c == delimiters.repetition {
            Some('R')
        } else if c == escape {
            Some('E')
        } else {
            None
        };
        match name {
            Some(name) => {
                out.push(escape);
                out.push(name);
                out.push(escape);
            }
            None if c.is_control() => {
                let mut buffer = [0u8; 4];
                out.push(escape);
                out.push('X');
                for byte in c.encode_utf8(&mut buffer).bytes() {
                    out.push_str(&format!("{byte:02X}"));
                }
                out.push(escape);
            }
            None => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_separator_escape_decodes_and_encodes_back() {
        let d = Delimiters::default();
        let value = unescape(r"a\F\b\S\c\T\d\R\e\E\f", &d).unwrap();
        assert_eq!(value, r"a|b^c&d~e\f");
        let mut written = String::new();
        escape_into(&mut written, &value, &d);
        assert_eq!(written, r"a\F\b\S\c\T\d\R\e\E\f");
    }

    #[test]
    fn hex_escapes_decode_to_bytes_and_control_characters_are_written_as_hex() {
        let d = Delimiters::default();
        assert_eq!(unescape(r"line\X0D0A\next", &d).unwrap(), "line\r\nnext");
        assert_eq!(unescape(r"caf\XC3A9\", &d).unwrap(), "café");
        assert_eq!(unescape(r"\XE9\", &d).unwrap(), "é");
        let mut written = String::new();
        escape_into(&mut written, "a\rb", &d);
        assert_eq!(written, r"a\X0D\b");
    }

    #[test]
    fn a_broken_escape_is_refused_with_where_it_is() {
        let d = Delimiters::default();
        assert!(unescape(r"abc\F", &d).unwrap_err().contains("character 4"));
        assert!(unescape(r"\X0\", &d).unwrap_err().contains("hexadecimal"));
        assert!(unescape(r"\XZZ\", &d).is_err());
        assert_eq!(unescape(r"\H\bold\N\", &d).unwrap(), r"\H\bold\N\");
    }
}
