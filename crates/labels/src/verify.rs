//! Checking an applied label: the operator scans each barcode on it (or the Data Matrix once)
//! and every data structure read must be exactly what the label was meant to carry.
//!
//! This is the pure comparison. Recording the outcome, and holding the unit until a correct
//! label is verified, belong to the domain that calls it.

use crate::content::LabelContent;

pub use hemaflow_isbt128::Mismatch;

/// Compare scanned barcodes with the label's expected content. Each scan may be one linear
/// barcode, two read together (concatenation), or the Data Matrix compound message. Accepted
/// only when every structure read equals the expected one character for character and every
/// expected structure was read at least once (the comparison is the codec's
/// [`hemaflow_isbt128::verify_scans`], which the domain uses too).
pub fn verify_scans(expected: &LabelContent, scans: &[&str]) -> Result<(), Mismatch> {
    hemaflow_isbt128::verify_scans(&expected.structures(), scans)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::content::LabelRequest;
    use crate::content::tests::request;
    use hemaflow_isbt128::Kind;

    fn content() -> LabelContent {
        LabelContent::from_request(&request()).unwrap()
    }

    const LINEAR: [&str; 4] = ["=W12342512345600", "=%5100", "=<E0398V00", "&>0253652359"];

    #[test]
    fn every_linear_barcode_scanned_matches() {
        assert_eq!(verify_scans(&content(), &LINEAR), Ok(()));
        // Order does not matter, and a concatenated pair counts for both.
        let scans = ["&>0253652359", "=<E0398V00", "=W12342512345600=%5100"];
        assert_eq!(verify_scans(&content(), &scans), Ok(()));
    }

    #[test]
    fn the_data_matrix_alone_matches() {
        let message = content().compound_message();
        assert_eq!(verify_scans(&content(), &[&message]), Ok(()));
    }

    #[test]
    fn one_wrong_character_in_any_structure_is_refused() {
        for (position, scan) in LINEAR.iter().enumerate() {
            // Change the last character to another valid one.
            let last = scan.chars().last().unwrap();
            let other = if last == '9' { '8' } else { '1' };
            let wrong = format!("{}{other}", &scan[..scan.len() - 1]);
            let mut scans = LINEAR.to_vec();
            scans[position] = &wrong;
            let result = verify_scans(&content(), &scans);
            assert!(
                matches!(
                    result,
                    Err(Mismatch::Different { .. } | Mismatch::Unreadable { .. })
                ),
                "{wrong}: {result:?}"
            );
        }
    }

    #[test]
    fn the_label_of_another_unit_is_refused() {
        let other = LabelRequest {
            din: "=W12342512345700",
            ..request()
        };
        let other = LabelContent::from_request(&other).unwrap();
        let result = verify_scans(&content(), &[&other.compound_message()]);
        assert!(matches!(
            result,
            Err(Mismatch::Different {
                kind: Kind::DonationIdentificationNumber,
                ..
            })
        ));
    }

    #[test]
    fn a_missing_structure_is_refused() {
        let result = verify_scans(&content(), &LINEAR[..3]);
        assert_eq!(
            result,
            Err(Mismatch::Missing {
                kind: Kind::ExpirationDateAndTime,
                expected: "&>0253652359".to_owned()
            })
        );
        assert_eq!(verify_scans(&content(), &[]), Err(Mismatch::NothingScanned));
    }

    #[test]
    fn a_structure_not_on_the_label_or_a_keyed_din_is_refused() {
        let mut scans = LINEAR.to_vec();
        scans.push("&(N0001");
        assert!(matches!(
            verify_scans(&content(), &scans),
            Err(Mismatch::Unexpected { .. })
        ));
        let keyed = ["W123425123456", "=%5100"];
        assert!(verify_scans(&content(), &keyed).is_err());
        let flags_changed = ["=W12342512345601", "=%5100", "=<E0398V00", "&>0253652359"];
        assert!(matches!(
            verify_scans(&content(), &flags_changed),
            Err(Mismatch::Different { .. })
        ));
    }
}
