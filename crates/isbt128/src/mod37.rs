//! ISO/IEC 7064 MOD 37-2, the check system of ISBT 128 (ST-001 Appendix A, Table 35 [RT035]).
//!
//! Used for the keyboard entry check character `K` printed boxed beside an eye-readable DIN
//! (ST-001 §7.5), for type 3 DIN flags (`60 + checksum`) and for the GRID checksum (DS039).

/// The 37 output symbols of MOD 37-2, indexed by checksum value.
const SYMBOLS: &[u8; 37] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*";

/// The value of an input character (`0-9` are 0-9, `A-Z` are 10-35), or `None` for any other.
///
/// `*` is only ever an output symbol, never an input (Appendix A.2).
pub(crate) const fn value(byte: u8) -> Option<u32> {
    match byte {
        b'0'..=b'9' => Some((byte - b'0') as u32),
        b'A'..=b'Z' => Some((byte - b'A') as u32 + 10),
        _ => None,
    }
}

/// The MOD 37-2 checksum (0..=36) of `data`, or `None` when `data` holds a character that the
/// system does not define (lowercase letters, punctuation: ST-001 §7.5.1 forbids them).
pub fn checksum(data: &[u8]) -> Option<u8> {
    let mut sum: u32 = 0;
    for &byte in data {
        // The recursive form of Appendix A.3: s = ((s + value) * 2) mod 37.
        sum = ((sum + value(byte)?) * 2) % 37;
    }
    let check = (38 - sum) % 37;
    debug_assert!(check < 37);
    Some(check as u8)
}

/// The printable check character for a checksum value (0..=36).
pub fn symbol(checksum: u8) -> char {
    assert!(
        checksum < 37,
        "MOD 37-2 checksums run 0..=36, got {checksum}"
    );
    SYMBOLS[checksum as usize] as char
}

/// The check character of `data`, or `None` if `data` holds a character MOD 37-2 does not define.
pub fn check_character(data: &[u8]) -> Option<char> {
    checksum(data).map(symbol)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The weighted form of Appendix A.1, written independently of the recursive form above.
    fn weighted_checksum(data: &[u8]) -> u8 {
        let n = data.len();
        let sum: u64 = data
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                let weight = 2u64.pow((n - i) as u32) % 37;
                u64::from(value(b).expect("test input is 0-9/A-Z")) * weight
            })
            .sum();
        ((38 - (sum % 37)) % 37) as u8
    }

    #[test]
    fn appendix_a_worked_example_gives_a() {
        assert_eq!(check_character(b"G123417654321"), Some('A'));
        assert_eq!(checksum(b"G123417654321"), Some(10));
    }

    #[test]
    fn published_check_characters_match() {
        let cases = [
            ("A999914123456", 'N'),
            ("C000307001466", '6'),
            ("A999922123459", 'H'),
            ("A999922654321", 'S'),
            ("A999922123458", 'J'),
            ("A999922012346", '*'),
            ("A999522123456", '*'),
            ("G123498654321", 'H'),
            ("A999917123456", '9'),
            ("A999916123456", 'Q'),
        ];
        for (din, expected) in cases {
            assert_eq!(check_character(din.as_bytes()), Some(expected), "{din}");
        }
    }

    #[test]
    fn lowercase_and_punctuation_have_no_check_character() {
        assert_eq!(check_character(b"a999914123456"), None);
        assert_eq!(check_character(b"A9999-4123456"), None);
    }

    proptest::proptest! {
        #[test]
        fn recursive_and_weighted_forms_agree(data in "[0-9A-Z]{1,40}") {
            proptest::prop_assert_eq!(checksum(data.as_bytes()), Some(weighted_checksum(data.as_bytes())));
        }

        #[test]
        fn every_single_character_substitution_is_detected(
            data in "[0-9A-Z]{13}", index in 0usize..13, replacement in "[0-9A-Z]",
        ) {
            let mut changed = data.clone().into_bytes();
            changed[index] = replacement.as_bytes()[0];
            proptest::prop_assume!(changed != data.as_bytes());
            proptest::prop_assert_ne!(checksum(data.as_bytes()), checksum(&changed));
        }
    }
}
