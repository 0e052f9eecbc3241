//! Checking an applied label: the operator scans each barcode on it (or the Data Matrix once)
//! and every data structure read must be exactly what the label was meant to carry.
//!
//! This is the pure comparison. Recording the outcome, and holding the unit until a correct
//! label is verified, belong to the domain that calls it.

use hemaflow_isbt128::{DataStructure, Form, Kind, ParseError, parse};

use crate::content::LabelContent;

/// Why the scans do not match the label's expected content. Any mismatch is a hard stop.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Mismatch {
    #[error("no barcode was scanned")]
    NothingScanned,
    #[error("scan {index} ('{scan}') is not a valid ISBT 128 barcode: {error}")]
    Unreadable {
        index: usize,
        scan: String,
        error: ParseError,
    },
    #[error(
        "scan {index} ('{scan}') is a DIN keyed in by hand; a label is verified by scanning its barcodes"
    )]
    KeyedIn { index: usize, scan: String },
    #[error("scan {index}: the label carries {} '{found}', but this unit's is '{expected}'", kind.title())]
    Different {
        index: usize,
        kind: Kind,
        expected: String,
        found: String,
    },
    #[error("scan {index}: {} '{found}' is not on this unit's label", kind.title())]
    Unexpected {
        index: usize,
        kind: Kind,
        found: String,
    },
    #[error("{} '{expected}' was not scanned: every barcode on the label must be read", kind.title())]
    Missing { kind: Kind, expected: String },
}

/// Compare scanned barcodes with the label's expected content. Each scan may be one linear
/// barcode, two read together (concatenation), or the Data Matrix compound message. Accepted
/// only when every structure read equals the expected one character for character and every
/// expected structure was read at least once.
pub fn verify_scans(expected: &LabelContent, scans: &[&str]) -> Result<(), Mismatch> {
    if scans.is_empty() {
        return Err(Mismatch::NothingScanned);
    }
    let wanted: Vec<(Kind, String)> = expected
        .structures()
        .iter()
        .map(|s| (s.kind(), s.encode()))
        .collect();
    let mut seen = vec![false; wanted.len()];
    for (index, scan) in scans.iter().enumerate() {
        let index = index + 1;
        let parsed = parse(scan).map_err(|error| Mismatch::Unreadable {
            index,
            scan: (*scan).to_owned(),
            error,
        })?;
        if parsed.form == Form::KeyedDin {
            return Err(Mismatch::KeyedIn {
                index,
                scan: (*scan).to_owned(),
            });
        }
        for structure in parsed.structures() {
            if let DataStructure::Compound(_) = structure {
                continue;
            }
            let kind = structure.kind();
            let found = structure.encode();
            let Some(position) = wanted.iter().position(|(k, _)| *k == kind) else {
                return Err(Mismatch::Unexpected { index, kind, found });
            };
            if wanted[position].1 != found {
                return Err(Mismatch::Different {
                    index,
                    kind,
                    expected: wanted[position].1.clone(),
                    found,
                });
            }
            seen[position] = true;
        }
    }
    match wanted.iter().zip(&seen).find(|(_, seen)| !**seen) {
        Some(((kind, expected), _)) => Err(Mismatch::Missing {
            kind: *kind,
            expected: expected.clone(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::content::LabelRequest;
    use crate::content::tests::request;

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
