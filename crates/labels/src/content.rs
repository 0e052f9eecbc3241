//! What a base label says: the data structures it carries and the text printed beside them.

use hemaflow_isbt128::{
    BloodGroup, DataStructure, Date, DateTime, DonationNumber, Flags, Kind, ParseError,
    ProductCode, parse_as,
};

/// The structures a Special Testing barcode on a blood component label may be: General (010),
/// Red Blood Cell Antigens General (012) and Finnish (013), Platelet HLA and Platelet Specific
/// Antigens (014). The retired 011, 015 and 016 are not printed on new labels.
pub const SPECIAL_TESTING_KINDS: [Kind; 4] = [
    Kind::SpecialTestingGeneral,
    Kind::SpecialTestingRedCellAntigensGeneral,
    Kind::SpecialTestingRedCellAntigensFinnish,
    Kind::SpecialTestingPlateletAntigens,
];

/// The longest product description Hemaflow prints (the licensed ICCBBA descriptions are
/// shorter than this; a longer one would not fit the quadrant in legible type).
pub const DESCRIPTION_MAX_CHARS: usize = 160;

/// The largest volume Hemaflow prints, in mL (a whole-blood collection is about 500 mL; a
/// pooled or apheresis product stays well below this).
pub const VOLUME_MAX_ML: u16 = 2000;

/// The expiry of a component: a date (004) or a date and time (005).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Expiry {
    Date(Date),
    DateTime(DateTime),
}

impl Expiry {
    /// The structure as a scanner reads it.
    pub fn structure(&self) -> DataStructure {
        match *self {
            Expiry::Date(date) => DataStructure::Date {
                kind: Kind::ExpirationDate,
                date,
            },
            Expiry::DateTime(date_time) => DataStructure::DateTime {
                kind: Kind::ExpirationDateAndTime,
                date_time,
            },
        }
    }

    /// Eye-readable, day - month - year with a three-letter month and a 24-hour time
    /// (ST-001 §7.4.4.2): `31 DEC 2025 23:59`.
    pub fn eye_readable(&self) -> String {
        const MONTHS: [&str; 12] = [
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ];
        let date = match self {
            Expiry::Date(date) => *date,
            Expiry::DateTime(date_time) => date_time.date,
        };
        let month = MONTHS[usize::from(date.month().clamp(1, 12)) - 1];
        let day = format!("{:02} {month} {:04}", date.day(), date.year());
        match self {
            Expiry::Date(_) => day,
            Expiry::DateTime(date_time) => format!("{day} {}", date_time.time),
        }
    }
}

/// The scans a label is made from, each as a scanner delivers it (data identifier included),
/// and the text the caller supplies.
#[derive(Clone, Debug, Default)]
pub struct LabelRequest<'a> {
    pub din: &'a str,
    pub product: &'a str,
    pub blood_group: &'a str,
    pub expiry: &'a str,
    pub special_testing: Option<&'a str>,
    /// Overrides the catalogue description of the product.
    pub description: Option<&'a str>,
    pub volume_ml: Option<u16>,
    /// The name of the collection facility, printed under its FIN.
    pub facility_name: Option<&'a str>,
}

/// Everything a base label carries, checked.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LabelContent {
    pub donation: DonationNumber,
    pub blood_group: BloodGroup,
    pub product: ProductCode,
    pub expiry: Expiry,
    pub special_testing: Option<DataStructure>,
    pub description: String,
    pub volume_ml: Option<u16>,
    pub facility_name: Option<String>,
}

/// Why a label cannot be made.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum LabelError {
    #[error("{field} '{input}' is not valid: {error}")]
    Scan {
        field: &'static str,
        input: String,
        error: ParseError,
    },
    #[error(
        "product code {code} is not in Hemaflow's product catalogue and no description was given \
         (the label must say what the product is: give --description)"
    )]
    UnknownProduct { code: String },
    #[error("the product description {reason}")]
    Description { reason: String },
    #[error("the volume {volume} mL is not plausible (1 to {VOLUME_MAX_ML} mL)")]
    Volume { volume: u16 },
    #[error("the facility name {reason}")]
    FacilityName { reason: String },
    #[error("the barcode for {data} cannot be made: {reason}")]
    Symbol { data: String, reason: String },
    #[error("the label cannot be rendered: {reason}")]
    Render { reason: String },
}

impl LabelContent {
    /// Check every scan against the structure its field expects (ST-001 §2.2: the data
    /// identifier first), find the product description, and check the free text.
    pub fn from_request(request: &LabelRequest<'_>) -> Result<LabelContent, LabelError> {
        let donation = parse_donation(request.din)?;
        let blood_group = match scan("blood group", request.blood_group, &[Kind::BloodGroups])? {
            DataStructure::BloodGroup(group) => group,
            other => {
                let kinds = [Kind::BloodGroups];
                return Err(unexpected(
                    "blood group",
                    request.blood_group,
                    &kinds,
                    &other,
                ));
            }
        };
        let product = match scan("product code", request.product, &[Kind::ProductCode])? {
            DataStructure::Product(code) => code,
            other => {
                let kinds = [Kind::ProductCode];
                return Err(unexpected("product code", request.product, &kinds, &other));
            }
        };
        let expiry_kinds = [Kind::ExpirationDateAndTime, Kind::ExpirationDate];
        let expiry = match scan("expiry", request.expiry, &expiry_kinds)? {
            DataStructure::DateTime { date_time, .. } => Expiry::DateTime(date_time),
            DataStructure::Date { date, .. } => Expiry::Date(date),
            other => return Err(unexpected("expiry", request.expiry, &expiry_kinds, &other)),
        };
        let special_testing = request
            .special_testing
            .map(|input| scan("special testing", input, &SPECIAL_TESTING_KINDS))
            .transpose()?;
        let description = describe(&product, request.description)?;
        if let Some(volume) = request.volume_ml
            && !(1..=VOLUME_MAX_ML).contains(&volume)
        {
            return Err(LabelError::Volume { volume });
        }
        let facility_name = request
            .facility_name
            .map(|name| printable(name, 80).map_err(|reason| LabelError::FacilityName { reason }))
            .transpose()?;
        Ok(LabelContent {
            donation,
            blood_group,
            product,
            expiry,
            special_testing,
            description,
            volume_ml: request.volume_ml,
            facility_name,
        })
    }

    /// The linear data structures of the label, in reading order: DIN (with its flags),
    /// blood group, product code, expiry, special testing.
    pub fn structures(&self) -> Vec<DataStructure> {
        let mut structures = vec![
            DataStructure::Donation(self.donation),
            DataStructure::BloodGroup(self.blood_group),
            DataStructure::Product(self.product),
            self.expiry.structure(),
        ];
        structures.extend(self.special_testing.clone());
        structures
    }

    /// The compound message (023) carrying the same structures, for the Data Matrix symbol:
    /// `=+` then the count, then `000` for an undefined order (the form ICCBBA encourages,
    /// ST-001 §2.4.23), then the structures with no intervening characters.
    pub fn compound_message(&self) -> String {
        let structures = self.structures();
        let mut message = format!("=+{:02}000", structures.len());
        for structure in &structures {
            structure.encode_into(&mut message);
        }
        message
    }
}

fn scan(field: &'static str, input: &str, kinds: &[Kind]) -> Result<DataStructure, LabelError> {
    parse_as(input, kinds).map_err(|error| LabelError::Scan {
        field,
        input: input.to_owned(),
        error,
    })
}

/// The DIN as scanned (with flags), or keyed in from the eye-readable text with its check
/// character, which carries no flags and is labelled with `00` (flags not used).
pub fn parse_donation(input: &str) -> Result<DonationNumber, LabelError> {
    match scan("DIN", input, &[Kind::DonationIdentificationNumber])? {
        DataStructure::Donation(donation) => Ok(donation),
        DataStructure::KeyedDin(din) => Ok(DonationNumber {
            din,
            flags: Flags::NONE,
        }),
        other => Err(unexpected(
            "DIN",
            input,
            &[Kind::DonationIdentificationNumber],
            &other,
        )),
    }
}

/// `parse_as` already refuses other kinds; this keeps the match total without a panic.
fn unexpected(
    field: &'static str,
    input: &str,
    expected: &[Kind],
    found: &DataStructure,
) -> LabelError {
    LabelError::Scan {
        field,
        input: input.to_owned(),
        error: ParseError::new(
            0,
            hemaflow_isbt128::ErrorKind::UnexpectedStructure {
                expected: expected.to_vec(),
                found: found.kind(),
            },
        ),
    }
}

fn describe(product: &ProductCode, given: Option<&str>) -> Result<String, LabelError> {
    match given {
        Some(text) => printable(text, DESCRIPTION_MAX_CHARS)
            .map_err(|reason| LabelError::Description { reason }),
        None => {
            product
                .description()
                .map(str::to_owned)
                .ok_or_else(|| LabelError::UnknownProduct {
                    code: product.description_code().to_owned(),
                })
        }
    }
}

/// Text printed on a label: not blank, no control characters, not longer than `max` chars.
fn printable(text: &str, max: usize) -> Result<String, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("is empty".to_owned());
    }
    if let Some(bad) = trimmed.chars().find(|c| c.is_control()) {
        return Err(format!(
            "contains the control character U+{:04X}",
            bad as u32
        ));
    }
    let count = trimmed.chars().count();
    if count > max {
        return Err(format!(
            "has {count} characters, more than the {max} a label can print"
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
pub(crate) mod tests {
    use super::*;

    pub(crate) fn request() -> LabelRequest<'static> {
        LabelRequest {
            din: "=W12342512345600",
            product: "=<E0398V00",
            blood_group: "=%5100",
            expiry: "&>0253652359",
            special_testing: None,
            description: None,
            volume_ml: Some(300),
            facility_name: Some("Hemaflow Community Blood Center"),
        }
    }

    #[test]
    fn compound_message_carries_every_structure_in_label_order() {
        let content = LabelContent::from_request(&request()).unwrap();
        assert_eq!(
            content.compound_message(),
            "=+04000=W12342512345600=%5100=<E0398V00&>0253652359"
        );
        let with_special = LabelRequest {
            special_testing: Some("&(N0001"),
            ..request()
        };
        let content = LabelContent::from_request(&with_special).unwrap();
        assert!(content.compound_message().starts_with("=+05000"));
        assert!(content.compound_message().ends_with("&(N0001"));
        // The codec reads the message back as the same structures.
        let scan = hemaflow_isbt128::parse(&content.compound_message()).unwrap();
        assert_eq!(scan.structures()[1..], content.structures()[..]);
    }

    #[test]
    fn a_structure_at_the_wrong_field_is_refused_by_its_data_identifier() {
        let wrong = LabelRequest {
            blood_group: "=<E0398V00",
            ..request()
        };
        let error = LabelContent::from_request(&wrong).unwrap_err();
        assert!(
            matches!(
                error,
                LabelError::Scan {
                    field: "blood group",
                    ..
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn product_without_description_is_refused_and_a_given_one_is_used() {
        let unknown = LabelRequest {
            product: "=<E9999V00",
            ..request()
        };
        assert_eq!(
            LabelContent::from_request(&unknown).unwrap_err(),
            LabelError::UnknownProduct {
                code: "E9999".to_owned()
            }
        );
        let described = LabelRequest {
            description: Some("  RED BLOOD CELLS|Local  "),
            ..unknown
        };
        let content = LabelContent::from_request(&described).unwrap();
        assert_eq!(content.description, "RED BLOOD CELLS|Local");
    }

    #[test]
    fn keyed_din_is_labelled_without_flags() {
        let keyed = LabelRequest {
            din: "A9999 17 123456 9",
            ..request()
        };
        let content = LabelContent::from_request(&keyed).unwrap();
        assert_eq!(
            DataStructure::Donation(content.donation).encode(),
            "=A99991712345600"
        );
    }

    #[test]
    fn implausible_volume_and_control_characters_are_refused() {
        let zero = LabelRequest {
            volume_ml: Some(0),
            ..request()
        };
        assert_eq!(
            LabelContent::from_request(&zero).unwrap_err(),
            LabelError::Volume { volume: 0 }
        );
        let control = LabelRequest {
            description: Some("RBC\u{7}"),
            ..request()
        };
        assert!(matches!(
            LabelContent::from_request(&control).unwrap_err(),
            LabelError::Description { .. }
        ));
    }

    #[test]
    fn expiry_is_printed_day_month_year_with_24_hour_time() {
        let content = LabelContent::from_request(&request()).unwrap();
        assert_eq!(content.expiry.eye_readable(), "31 DEC 2025 23:59");
        let date_only = LabelRequest {
            expiry: "=>025001",
            ..request()
        };
        let content = LabelContent::from_request(&date_only).unwrap();
        assert_eq!(content.expiry.eye_readable(), "01 JAN 2025");
    }
}
