//! Checking scans of an applied label against the structures it was meant to carry: the one
//! comparison shared by the label crate (which prints labels) and the domain (which records
//! the verification and holds the unit until it passes).

use crate::error::ParseError;
use crate::scan::{Form, parse};
use crate::spec::Kind;
use crate::structure::DataStructure;

/// Why the scans do not match the expected structures. Any mismatch is a hard stop.
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

/// Compare scanned barcodes with the structures a label must carry. Each scan may be one
/// linear barcode, two read together (concatenation), or a Data Matrix compound message.
/// Accepted only when every structure read equals the expected one of its kind character for
/// character (flags included) and every expected structure was read at least once; a DIN
/// keyed in by hand is refused, since it proves nothing about the printed barcodes.
pub fn verify_scans<S: AsRef<str>>(
    expected: &[DataStructure],
    scans: &[S],
) -> Result<(), Mismatch> {
    if scans.is_empty() {
        return Err(Mismatch::NothingScanned);
    }
    let wanted: Vec<(Kind, String)> = expected.iter().map(|s| (s.kind(), s.encode())).collect();
    let mut seen = vec![false; wanted.len()];
    for (index, scan) in scans.iter().enumerate() {
        let index = index + 1;
        let scan = scan.as_ref();
        let parsed = parse(scan).map_err(|error| Mismatch::Unreadable {
            index,
            scan: scan.to_owned(),
            error,
        })?;
        if parsed.form == Form::KeyedDin {
            return Err(Mismatch::KeyedIn {
                index,
                scan: scan.to_owned(),
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

    fn expected() -> Vec<DataStructure> {
        ["=W12342512345600", "=%5100", "=<E0398V00", "&>0253652359"]
            .iter()
            .map(|s| parse(s).unwrap().into_structures().remove(0))
            .collect()
    }

    #[test]
    fn exact_scans_in_any_order_match() {
        let scans = ["&>0253652359", "=<E0398V00", "=W12342512345600=%5100"];
        assert_eq!(verify_scans(&expected(), &scans), Ok(()));
    }

    #[test]
    fn changed_flags_missing_and_extra_structures_are_refused() {
        let flags = ["=W12342512345601", "=%5100", "=<E0398V00", "&>0253652359"];
        assert!(matches!(
            verify_scans(&expected(), &flags),
            Err(Mismatch::Different { index: 1, .. })
        ));
        assert!(matches!(
            verify_scans(&expected(), &flags[1..]),
            Err(Mismatch::Missing {
                kind: Kind::DonationIdentificationNumber,
                ..
            })
        ));
        let extra = [
            "=W12342512345600",
            "=%5100",
            "=<E0398V00",
            "&>0253652359",
            "&(N0001",
        ];
        assert!(matches!(
            verify_scans(&expected(), &extra),
            Err(Mismatch::Unexpected { index: 5, .. })
        ));
        assert_eq!(
            verify_scans::<&str>(&expected(), &[]),
            Err(Mismatch::NothingScanned)
        );
    }
}
