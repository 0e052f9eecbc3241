//! The character classes that ST-001 §2.4 allows in each position of a data structure.

/// A set of characters allowed at one position of a data structure's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharClass {
    /// `0-9`
    Digit,
    /// `A-Z`
    Upper,
    /// `A-Z`, `0-9`
    UpperDigit,
    /// `a-z`, `0-9`
    LowerDigit,
    /// `A-Z`, `a-z`, `0-9`
    Alphanumeric,
    /// The first character of a facility identification number: `A-N`, `P-Z`, `1-9`
    /// (no `O`, no `0`, so that it can never be read as zero).
    FacilityFirst,
    /// Characters 2-3 of a facility identification number: `A-N`, `P-Z`, `0-9`.
    FacilityMiddle,
    /// A DIN flag character: `0-9`, `A-H`, `J-N`, `P`, `R-Y`.
    Flag,
    /// Any printable ASCII character except the data identifier starters `=` and `&`
    /// (for free-text content such as lot numbers, where a `=` or `&` would be read as the
    /// start of the next structure).
    Text,
}

/// Every class, in declaration order (the bit of a class in [`MEMBERSHIP`]).
const ALL_CLASSES: [CharClass; 9] = [
    CharClass::Digit,
    CharClass::Upper,
    CharClass::UpperDigit,
    CharClass::LowerDigit,
    CharClass::Alphanumeric,
    CharClass::FacilityFirst,
    CharClass::FacilityMiddle,
    CharClass::Flag,
    CharClass::Text,
];

/// For each byte, a bit per class it belongs to: one load and one test per character on the
/// hot path of every scan, instead of a chain of comparisons.
static MEMBERSHIP: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut class = 0;
        while class < ALL_CLASSES.len() {
            if ALL_CLASSES[class].matches(byte as u8) {
                table[byte] |= 1 << class;
            }
            class += 1;
        }
        byte += 1;
    }
    table
};

impl CharClass {
    /// Whether `byte` belongs to this class.
    #[inline]
    pub fn contains(self, byte: u8) -> bool {
        MEMBERSHIP[usize::from(byte)] & (1 << self as u16) != 0
    }

    /// The definition of each class, from which [`MEMBERSHIP`] is computed.
    const fn matches(self, byte: u8) -> bool {
        match self {
            CharClass::Digit => byte.is_ascii_digit(),
            CharClass::Upper => byte.is_ascii_uppercase(),
            CharClass::UpperDigit => byte.is_ascii_uppercase() || byte.is_ascii_digit(),
            CharClass::LowerDigit => byte.is_ascii_lowercase() || byte.is_ascii_digit(),
            CharClass::Alphanumeric => byte.is_ascii_alphanumeric(),
            CharClass::FacilityFirst => {
                (byte.is_ascii_uppercase() && byte != b'O') || matches!(byte, b'1'..=b'9')
            }
            CharClass::FacilityMiddle => {
                (byte.is_ascii_uppercase() && byte != b'O') || byte.is_ascii_digit()
            }
            CharClass::Flag => {
                byte.is_ascii_digit()
                    || matches!(byte, b'A'..=b'H' | b'J'..=b'N' | b'P' | b'R'..=b'Y')
            }
            CharClass::Text => byte.is_ascii_graphic() && byte != b'=' && byte != b'&',
        }
    }

    /// The class in the words of the standard, for error messages ("expected 0-9").
    pub const fn describe(self) -> &'static str {
        match self {
            CharClass::Digit => "a digit 0-9",
            CharClass::Upper => "a capital letter A-Z",
            CharClass::UpperDigit => "A-Z or 0-9",
            CharClass::LowerDigit => "a-z or 0-9",
            CharClass::Alphanumeric => "A-Z, a-z or 0-9",
            CharClass::FacilityFirst => "A-N, P-Z or 1-9 (never O or 0)",
            CharClass::FacilityMiddle => "A-N, P-Z or 0-9 (never O)",
            CharClass::Flag => "0-9, A-H, J-N, P or R-Y",
            CharClass::Text => "a printable character other than '=' or '&'",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CharClass::*;
    use super::*;

    #[test]
    fn the_membership_table_agrees_with_the_definitions() {
        for class in ALL_CLASSES {
            assert_eq!(ALL_CLASSES[class as usize], class);
            for byte in 0..=255u8 {
                assert_eq!(
                    class.contains(byte),
                    class.matches(byte),
                    "{class:?} {byte}"
                );
            }
        }
    }

    #[test]
    fn facility_first_character_excludes_letter_o_and_digit_zero() {
        assert!(FacilityFirst.contains(b'A'));
        assert!(FacilityFirst.contains(b'9'));
        assert!(!FacilityFirst.contains(b'O'));
        assert!(!FacilityFirst.contains(b'0'));
        assert!(!FacilityFirst.contains(b'a'));
    }

    #[test]
    fn flag_characters_exclude_i_o_q_and_z() {
        for byte in [b'I', b'O', b'Q', b'Z', b'a', b'-'] {
            assert!(!Flag.contains(byte), "{}", byte as char);
        }
        for byte in [b'0', b'9', b'A', b'H', b'J', b'N', b'P', b'R', b'Y'] {
            assert!(Flag.contains(byte), "{}", byte as char);
        }
    }

    #[test]
    fn text_excludes_data_identifier_starters_and_controls() {
        assert!(Text.contains(b'x'));
        assert!(!Text.contains(b'='));
        assert!(!Text.contains(b'&'));
        assert!(!Text.contains(b' '));
        assert!(!Text.contains(0x7f));
    }
}
