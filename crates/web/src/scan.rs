//! Scan-first fields: what a scanner typed (data identifier included) becomes a typed value at
//! the edge, with the ISBT 128 codec's own check of the data identifier first (a prompt for a
//! DIN refuses a product code), or a refusal saying what was wrong and where.

use hemaflow_domain::kernel::{Abo, RhD};
use hemaflow_isbt128::{DataStructure, Kind, parse_as};

use crate::problem::Problem;

/// A DIN from a scanned DIN barcode (`=W12342612345600`) or a DIN keyed in with its check
/// character; the 13 characters the records use.
pub fn din(input: &str) -> Result<String, Problem> {
    match parse_as(input.trim(), &[Kind::DonationIdentificationNumber]) {
        Ok(DataStructure::Donation(number)) => Ok(number.din.as_str().to_owned()),
        Ok(DataStructure::KeyedDin(din)) => Ok(din.as_str().to_owned()),
        Ok(_) => Err(Problem::input(
            "this field takes a DIN (data identifier '=')",
        )),
        Err(error) => Err(Problem::new(
            axum::http::StatusCode::BAD_REQUEST,
            "SCAN",
            "Scan refused",
            format!("{:?} is not a DIN: {error}", input.trim()),
        )),
    }
}

/// A DIN in a link or an API path: the 13 characters of the record (`W000026123456`), or
/// anything [`din`] accepts.
pub fn din_in_path(input: &str) -> Result<String, Problem> {
    match hemaflow_isbt128::Din::parse(input.trim()) {
        Ok(parsed) => Ok(parsed.as_str().to_owned()),
        Err(_) => din(input),
    }
}

/// An 8-character product code from a scanned product-code barcode (`=<D2000V00`).
pub fn product_code(input: &str) -> Result<String, Problem> {
    match parse_as(input.trim(), &[Kind::ProductCode]) {
        Ok(DataStructure::Product(code)) => Ok(code.as_str().to_owned()),
        Ok(_) => Err(Problem::input(
            "this field takes a product code (data identifier '=<')",
        )),
        Err(error) => Err(Problem::new(
            axum::http::StatusCode::BAD_REQUEST,
            "SCAN",
            "Scan refused",
            format!("{:?} is not a product code: {error}", input.trim()),
        )),
    }
}

/// The ISBT 128 blood-group scan (data structure 002, default intended use) of a group.
pub fn blood_group_scan(abo: Abo, rhd: RhD) -> &'static str {
    match (abo, rhd) {
        (Abo::O, RhD::Negative) => "=%9500",
        (Abo::O, RhD::Positive) => "=%5100",
        (Abo::A, RhD::Negative) => "=%0600",
        (Abo::A, RhD::Positive) => "=%6200",
        (Abo::B, RhD::Negative) => "=%1700",
        (Abo::B, RhD::Positive) => "=%7300",
        (Abo::AB, RhD::Negative) => "=%2800",
        (Abo::AB, RhD::Positive) => "=%8400",
    }
}

/// The group a blood-group scan states, if it states one.
pub fn blood_group(input: &str) -> Result<(Abo, RhD), Problem> {
    let structure = parse_as(input.trim(), &[Kind::BloodGroups]).map_err(|error| {
        Problem::new(
            axum::http::StatusCode::BAD_REQUEST,
            "SCAN",
            "Scan refused",
            format!("{:?} is not a blood group: {error}", input.trim()),
        )
    })?;
    let DataStructure::BloodGroup(group) = structure else {
        return Err(Problem::input(
            "this field takes a blood group (data identifier '=%')",
        ));
    };
    let meaning = group.meaning();
    // The domain's groups are the codec's own types.
    let Some(abo) = meaning.abo else {
        return Err(Problem::input(format!(
            "{} states no ABO group",
            input.trim()
        )));
    };
    let Some(rhd) = meaning.rhd else {
        return Err(Problem::input(format!(
            "{} states no RhD type",
            input.trim()
        )));
    };
    Ok((abo, rhd))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_din_prompt_takes_a_scanned_din_and_refuses_a_product_code() {
        let scanned = "=W00002612345600";
        assert_eq!(
            din(scanned).map_err(|p| p.detail),
            Ok("W000026123456".to_owned())
        );
        let refused = din("=<E0001V00").expect_err("a product code is not a DIN");
        assert_eq!(refused.status, 400);
    }

    #[test]
    fn every_group_scan_reads_back_as_its_group() {
        for abo in [Abo::O, Abo::A, Abo::B, Abo::AB] {
            for rhd in [RhD::Positive, RhD::Negative] {
                let read = blood_group(blood_group_scan(abo, rhd)).map_err(|p| p.detail);
                assert_eq!(read, Ok((abo, rhd)));
            }
        }
        assert!(blood_group("=W00002612345600").is_err());
    }
}
