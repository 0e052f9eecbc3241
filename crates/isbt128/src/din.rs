//! Data structure 001, the Donation Identification Number (ST-001 §2.4.1, Table 3 [RT004]),
//! and the keyed-in form with its keyboard entry check character (§7.5).

use std::fmt;

use crate::error::{ErrorKind, ParseError};
use crate::spec::Kind;
use crate::{mod37, structure};

/// A valid 13-character DIN: facility identification number (5), nominal year (2) and
/// sequence number (6). Flags are not part of the DIN; see [`DonationNumber`].
///
/// A `Din` that exists is valid: it can only be made by parsing.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Din([u8; 13]);

impl Din {
    /// Parse a bare 13-character DIN (no data identifier, no flags, no check character).
    pub fn parse(input: &str) -> Result<Din, ParseError> {
        let bytes = input.as_bytes();
        let din_segments = &Kind::DonationIdentificationNumber.spec().segments[..3];
        structure::check_segments(
            input,
            Kind::DonationIdentificationNumber,
            din_segments,
            0,
            bytes.len(),
        )?;
        if bytes.len() > 13 {
            return Err(ParseError::new(
                13,
                ErrorKind::KeyedDinLength { found: bytes.len() },
            ));
        }
        let mut din = [0u8; 13];
        din.copy_from_slice(bytes);
        Ok(Din(din))
    }

    /// Parse a DIN keyed in by hand from its eye-readable form: 13 characters followed by the
    /// boxed keyboard entry check character, spaces allowed anywhere (`G1234 17 654321 A`).
    /// The check character must be right: it is what catches a mistyped digit.
    pub fn parse_keyed(input: &str) -> Result<Din, ParseError> {
        let mut characters = [(0u8, 0usize); 14];
        let mut count = 0usize;
        for (position, character) in input.char_indices() {
            if character == ' ' {
                continue;
            }
            if count < 14 {
                let byte = if character.is_ascii() {
                    character as u8
                } else {
                    0xff
                };
                characters[count] = (byte, position);
            }
            count += 1;
        }
        if count != 14 {
            return Err(ParseError::new(
                0,
                ErrorKind::KeyedDinLength { found: count },
            ));
        }
        let mut din = [0u8; 13];
        let segments = &Kind::DonationIdentificationNumber.spec().segments[..3];
        let classes = segments.iter().flat_map(|segment| {
            segment
                .classes
                .iter()
                .map(move |class| (segment.name, *class))
        });
        for (index, (field, class)) in classes.enumerate() {
            let (byte, position) = characters[index];
            if !class.contains(byte) {
                return Err(invalid_character(input, position, field, class.describe()));
            }
            din[index] = byte;
        }
        let din = Din(din);
        let (found, position) = characters[13];
        let expected = din.check_character();
        if found != expected as u8 {
            let found = input[position..].chars().next().unwrap_or('?');
            return Err(ParseError::new(
                position,
                ErrorKind::CheckCharacterMismatch { found, expected },
            ));
        }
        Ok(din)
    }

    pub(crate) fn from_validated(bytes: &[u8]) -> Din {
        let mut din = [0u8; 13];
        din.copy_from_slice(&bytes[..13]);
        debug_assert!(mod37::checksum(&din).is_some());
        Din(din)
    }

    /// The 13 characters.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("a Din holds only ASCII, checked when parsed")
    }

    /// The facility identification number (FIN), e.g. `A9999`.
    pub fn facility(&self) -> &str {
        &self.as_str()[..5]
    }

    /// The two-digit nominal year of assignment, e.g. `17`.
    pub fn year(&self) -> &str {
        &self.as_str()[5..7]
    }

    /// The six-digit sequence number within the year, e.g. `123456`.
    pub fn sequence(&self) -> &str {
        &self.as_str()[7..]
    }

    /// The ISO 7064 MOD 37-2 checksum of the 13 characters (0..=36).
    pub fn checksum(&self) -> u8 {
        mod37::checksum(&self.0).expect("a Din holds only 0-9 and A-Z, checked when parsed")
    }

    /// The keyboard entry check character printed boxed beside the eye-readable DIN.
    pub fn check_character(&self) -> char {
        mod37::symbol(self.checksum())
    }

    /// The eye-readable form with the check character, as printed on the label:
    /// `A9999 17 123456 9`.
    pub fn eye_readable(&self) -> String {
        format!(
            "{} {} {} {}",
            self.facility(),
            self.year(),
            self.sequence(),
            self.check_character()
        )
    }
}

impl fmt::Display for Din {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Din {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Din({})", self.as_str())
    }
}

fn invalid_character(
    input: &str,
    position: usize,
    field: &'static str,
    expected: &'static str,
) -> ParseError {
    let found = input[position..].chars().next().unwrap_or('?');
    ParseError::new(
        position,
        ErrorKind::InvalidCharacter {
            kind: Kind::DonationIdentificationNumber,
            field,
            found,
            expected,
        },
    )
}

/// The two flag characters that follow a DIN in its barcode (Table 3 [RT004]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Flags([u8; 2]);

/// What a pair of flag characters means.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FlagKind {
    /// `00`: flags not used.
    NotUsed,
    /// Type 1: defined by ICCBBA (`01`-`19`), with its meaning.
    Iccbba(&'static str),
    /// Type 2: defined locally (`20`-`59`); only the defining facility may interpret them.
    Local,
    /// Type 3: `60` + the MOD 37-2 checksum of the DIN (`60`-`96`), verified when parsed.
    Check,
    /// Reserved by ICCBBA for future use (`14`, `97`-`99`, and every flag with a letter).
    Reserved,
}

impl Flags {
    /// No flags: `00`.
    pub const NONE: Flags = Flags(*b"00");

    pub(crate) fn from_validated(bytes: &[u8]) -> Flags {
        Flags([bytes[0], bytes[1]])
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("flags hold only ASCII, checked when parsed")
    }

    fn numeric(&self) -> Option<u8> {
        let [tens, units] = self.0;
        (tens.is_ascii_digit() && units.is_ascii_digit()).then(|| (tens - b'0') * 10 + units - b'0')
    }

    /// The kind and meaning of the flags.
    pub fn kind(&self) -> FlagKind {
        match self.numeric() {
            Some(0) => FlagKind::NotUsed,
            Some(n @ 1..=13) | Some(n @ 15..=19) => FlagKind::Iccbba(type1_meaning(n)),
            Some(20..=59) => FlagKind::Local,
            Some(60..=96) => FlagKind::Check,
            _ => FlagKind::Reserved,
        }
    }

    /// The type number of ST-001 Table 3 (1, 2 or 3), or `None` for unused or reserved flags.
    pub fn flag_type(&self) -> Option<u8> {
        match self.kind() {
            FlagKind::Iccbba(_) => Some(1),
            FlagKind::Local => Some(2),
            FlagKind::Check => Some(3),
            FlagKind::NotUsed | FlagKind::Reserved => None,
        }
    }

    /// The meaning in words.
    pub fn meaning(&self) -> &'static str {
        match self.kind() {
            FlagKind::NotUsed => "flag not used (null value)",
            FlagKind::Iccbba(meaning) => meaning,
            FlagKind::Local => {
                "locally defined (type 2): interpreted only by the defining facility"
            }
            FlagKind::Check => "check flag (type 3): 60 + the MOD 37-2 checksum of the DIN",
            FlagKind::Reserved => "reserved by ICCBBA for future use",
        }
    }

    /// The type 3 check flag for a DIN: `60` + its checksum.
    pub fn check_flag(din: &Din) -> Flags {
        let value = 60 + din.checksum();
        Flags([b'0' + value / 10, b'0' + value % 10])
    }
}

fn type1_meaning(flag: u8) -> &'static str {
    match flag {
        1..=4 => [
            "container 1 of a set",
            "container 2 of a set",
            "container 3 of a set",
            "container 4 of a set",
        ][usize::from(flag - 1)],
        5 => "second (repeated) demand-printed label",
        6 => "Pilot tube label",
        7 => "Test tube label",
        8 => "Donor record label",
        9 => "Sample tube for NAT testing",
        10 => "Samples for bacterial testing",
        11 => "\"Match with Unit\" label",
        12 => "Affixed partial label",
        13 => "Attached label (used with the affixed partial label)",
        15..=19 => [
            "container 5 of a set",
            "container 6 of a set",
            "container 7 of a set",
            "container 8 of a set",
            "container 9 of a set",
        ][usize::from(flag - 15)],
        _ => "reserved by ICCBBA for future use",
    }
}

/// Data structure 001 as scanned: the DIN and its flag characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct DonationNumber {
    pub din: Din,
    pub flags: Flags,
}

impl DonationNumber {
    /// Build from validated content (15 characters whose classes were checked). Refuses a
    /// type 3 flag that does not belong to the DIN.
    pub(crate) fn from_content(
        content: &[u8],
        offset: usize,
    ) -> Result<DonationNumber, ParseError> {
        let din = Din::from_validated(&content[..13]);
        let flags = Flags::from_validated(&content[13..15]);
        if flags.kind() == FlagKind::Check {
            let expected = Flags::check_flag(&din);
            if expected != flags {
                return Err(ParseError::new(
                    offset + 13,
                    ErrorKind::FlagCheckMismatch {
                        found: flags.as_str().to_owned(),
                        expected: expected.as_str().to_owned(),
                    },
                ));
            }
        }
        Ok(DonationNumber { din, flags })
    }

    pub(crate) fn write_content(&self, out: &mut String) {
        out.push_str(self.din.as_str());
        out.push_str(self.flags.as_str());
    }
}
