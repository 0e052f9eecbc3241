//! Label verification over random labels: the exact scans are accepted, and one changed
//! character in any barcode, or any barcode missing, is refused.

mod common;

use hemaflow_labels::verify_scans;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn exact_scans_and_the_data_matrix_alone_are_accepted(values in common::values()) {
        let content = values.content();
        let scans = values.linear_scans();
        let scans: Vec<&str> = scans.iter().map(String::as_str).collect();
        prop_assert_eq!(verify_scans(&content, &scans), Ok(()));
        let message = content.compound_message();
        prop_assert_eq!(verify_scans(&content, &[message.as_str()]), Ok(()));
    }

    #[test]
    fn one_changed_character_anywhere_is_refused(
        values in common::values(),
        which in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        replacement in prop::sample::select(
            "0123456789ABCDEFGHIJKLMNPQRSTUVWXYZabcz=&%<>(".chars().collect::<Vec<_>>()
        ),
    ) {
        let content = values.content();
        let mut scans = values.linear_scans();
        let target = which.index(scans.len());
        let mut characters: Vec<char> = scans[target].chars().collect();
        let position = at.index(characters.len());
        prop_assume!(characters[position] != replacement);
        characters[position] = replacement;
        scans[target] = characters.into_iter().collect();
        let scans: Vec<&str> = scans.iter().map(String::as_str).collect();
        prop_assert!(verify_scans(&content, &scans).is_err(), "{:?} accepted", scans);
    }

    #[test]
    fn a_missing_barcode_is_refused(values in common::values(), which in any::<prop::sample::Index>()) {
        let content = values.content();
        let mut scans = values.linear_scans();
        scans.remove(which.index(scans.len()));
        let scans: Vec<&str> = scans.iter().map(String::as_str).collect();
        prop_assert!(verify_scans(&content, &scans).is_err());
    }
}
