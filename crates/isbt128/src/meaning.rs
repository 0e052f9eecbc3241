//! The meaning of the structures that have no type of their own: the value checks ST-001 asks
//! for beyond character classes, and the interpreted fields reported beside the raw ones.

use std::ops::Range;

use crate::date;
use crate::error::ParseError;
use crate::fields::{FieldValue, Fields};
use crate::mod37;
use crate::spec::Kind;

type Invalid<'a> = &'a dyn Fn(&'static str, Range<usize>, String) -> ParseError;

/// Refuse values the standard does not define.
pub(crate) fn check(kind: Kind, content: &[u8], invalid: Invalid) -> Result<(), ParseError> {
    let number = |range: Range<usize>| date::digits(&content[range]);
    match kind {
        Kind::SpecialTestingPlateletAntigens if content[16] != b'0' => Err(invalid(
            "reserved",
            16..17,
            "position 17 is reserved and always 0".into(),
        )),
        Kind::PatientDateOfBirth => date::gregorian_date(&content[2..10])
            .map(drop)
            .map_err(|reason| invalid("date_of_birth", 2..10, reason)),
        Kind::ExpirationMonthAndYear => match number(4..6) {
            1..=12 => Ok(()),
            month => Err(invalid(
                "month",
                4..6,
                format!("month {month:02} outside 01-12"),
            )),
        },
        Kind::InfectionMarkers => infection_markers(content, invalid),
        Kind::Dimensions => dimensions(content, invalid),
        Kind::RedCellAntigensWithTestHistory => antigen_tests(content, invalid),
        Kind::FlexibleDateAndTime => flexible_date_time(content, invalid),
        Kind::GlobalRegistrationIdentifierRetired if content[0] == b'0' => Err(invalid(
            "organization",
            0..4,
            "the issuing organization number never starts with 0".into(),
        )),
        Kind::GlobalRegistrationIdentifier => grid(content, invalid),
        Kind::SingleEuropeanCode => single_european_code(content, invalid),
        Kind::ChainOfIdentityIdentifier if &content[..2] != b"CH" => Err(invalid(
            "prefix",
            0..2,
            "a chain of identity identifier starts with CH".into(),
        )),
        _ => Ok(()),
    }
}

fn infection_markers(content: &[u8], invalid: Invalid) -> Result<(), ParseError> {
    for (index, &byte) in content.iter().enumerate() {
        if index >= 10 && byte != b'0' {
            let reason = "positions 11-18 are reserved and always 0".to_owned();
            return Err(invalid("markers", index..index + 1, reason));
        }
        if byte == b'9' {
            let reason = "9 is not a value of ST-001 Table 18".to_owned();
            return Err(invalid("markers", index..index + 1, reason));
        }
    }
    Ok(())
}

fn dimensions(content: &[u8], invalid: Invalid) -> Result<(), ParseError> {
    for (index, unit) in content[2..].chunks(14).enumerate() {
        let at = 2 + index * 14;
        if !(1..=6).contains(&date::digits(&unit[..2])) {
            return Err(invalid(
                "symbol",
                at..at + 2,
                "not in ST-001 Table 19".into(),
            ));
        }
        if dimension(date::digits(&unit[2..6])).is_none() {
            return Err(invalid(
                "dimension",
                at + 2..at + 6,
                "not in ST-001 Table 20".into(),
            ));
        }
        if unit[11] > b'5' {
            return Err(invalid(
                "decimal_places",
                at + 11..at + 12,
                "not in ST-001 Table 21".into(),
            ));
        }
        if &unit[12..] != b"00" {
            return Err(invalid(
                "reserved",
                at + 12..at + 14,
                "reserved, always 00".into(),
            ));
        }
    }
    Ok(())
}

fn antigen_tests(content: &[u8], invalid: Invalid) -> Result<(), ParseError> {
    for (index, unit) in content[3..].chunks(10).enumerate() {
        let at = 3 + index * 10;
        if serological_result(date::digits(&unit[6..8])).is_none() {
            return Err(invalid(
                "result",
                at + 6..at + 8,
                "not in ST-001 Table 22".into(),
            ));
        }
        if number_of_tests(date::digits(&unit[8..10])).is_none() {
            return Err(invalid(
                "tests",
                at + 8..at + 10,
                "not in ST-001 Table 23".into(),
            ));
        }
    }
    Ok(())
}

fn flexible_date_time(content: &[u8], invalid: Invalid) -> Result<(), ParseError> {
    if time_zone(content[0]).is_none() {
        return Err(invalid(
            "time_zone",
            0..1,
            "not in ST-001 Table 24 (1 local, 2 UTC)".into(),
        ));
    }
    if content[1] != b'0' {
        return Err(invalid("reserved", 1..2, "reserved, always 0".into()));
    }
    if time_type(date::digits(&content[2..4])).is_none() {
        return Err(invalid("time_type", 2..4, "not in ST-001 Table 25".into()));
    }
    date::gregorian_date(&content[4..12]).map_err(|reason| invalid("date", 4..12, reason))?;
    date::time_of_day(&content[12..16]).map_err(|reason| invalid("time", 12..16, reason))?;
    Ok(())
}

fn grid(content: &[u8], invalid: Invalid) -> Result<(), ParseError> {
    if content[0] == b'0' {
        let reason = "the issuing organization number never starts with 0".to_owned();
        return Err(invalid("organization", 0..4, reason));
    }
    let expected = mod37::checksum(&content[..17]).expect("checked: digits and A-Z only");
    let found = date::digits(&content[17..19]);
    if found != u32::from(expected) {
        let reason = format!("MOD 37-2 checksum is {found:02}, expected {expected:02}");
        return Err(invalid("checksum", 17..19, reason));
    }
    Ok(())
}

fn single_european_code(content: &[u8], invalid: Invalid) -> Result<(), ParseError> {
    if coding_system(content[21]).is_none() {
        let reason = "coding system is A (ISBT 128), B (Eurocode) or E (EUTC)".to_owned();
        return Err(invalid("coding_system", 21..22, reason));
    }
    let expiry = &content[32..40];
    if expiry != b"00000000" {
        date::gregorian_date(expiry).map_err(|reason| invalid("expiry_date", 32..40, reason))?;
    }
    Ok(())
}

fn dimension(code: u32) -> Option<(&'static str, &'static str)> {
    Some(match code {
        1 => (
            "mL",
            "Volume of the associated product including the anticoagulant/additive",
        ),
        2 => ("mm", "Length of the associated product"),
        3 => ("mm", "Width of the associated product"),
        4 => ("mm", "Height of the associated product"),
        5 => ("mm", "Particle size of the associated product"),
        6 => ("cm2", "Area of the associated product"),
        7 => (
            "1E9",
            "Total number of platelets in the container of the associated product",
        ),
        8 => (
            "g",
            "Weight of associated product excluding the container but including the anticoagulant/additive",
        ),
        9 => ("g", "Tare weight of container"),
        10 => ("g", "Tare weight of container and attached tubing"),
        11 => ("rings", "Length of trachea expressed in number of rings"),
        _ => return None,
    })
}

fn dimension_symbol(code: u32) -> &'static str {
    match code {
        1 => "equal to the value within a tolerance defined by the facility",
        2 => "greater than the value",
        3 => "greater than or equal to the value",
        4 => "less than the value",
        5 => "less than or equal to the value",
        _ => "the nominal value defined in the circular of information or package insert",
    }
}

fn serological_result(code: u32) -> Option<&'static str> {
    Some(match code {
        1 => "Negative - test methodology not specified",
        2 => "Positive - test methodology not specified",
        3 => "Negative - serological testing",
        4 => "Positive - serological testing",
        5 => "Negative - predicted phenotype based on genotyping",
        6 => "Positive - predicted phenotype based on genotyping",
        _ => return None,
    })
}

fn number_of_tests(code: u32) -> Option<&'static str> {
    Some(match code {
        1 => "Tested once on this collection",
        2 => "Tested once on prior collection",
        3 => {
            "Tested at least twice on different collections (current and historic) with concordant results"
        }
        4 => {
            "Tested at least twice on different collections (historic only) with concordant results"
        }
        5 => {
            "Tested at least twice on this collection only, different samples, with concordant results"
        }
        6 => "Test history not specified",
        _ => return None,
    })
}

fn time_zone(code: u8) -> Option<&'static str> {
    match code {
        b'1' => Some("local time zone of the facility assigning the date"),
        b'2' => Some("Coordinated Universal Time (UTC)"),
        _ => None,
    }
}

fn time_type(code: u32) -> Option<&'static str> {
    Some(match code {
        1 => "expiration date and time",
        2 => "collection date and time",
        3 => "production date and time",
        4 => "cross clamp date and time",
        5 => "time of preservation",
        6 => "time of death of donor",
        _ => return None,
    })
}

fn coding_system(code: u8) -> Option<&'static str> {
    match code {
        b'A' => Some("ISBT 128"),
        b'B' => Some("Eurocode"),
        b'E' => Some("EUTC"),
        _ => None,
    }
}

fn container_meaning(code: u8) -> &'static str {
    match code {
        b'1' => "primary collection container",
        b'0' | b'2'..=b'9' | b'A'..=b'Z' => "container of a set, as the manufacturer numbers it",
        b'y' => "entire set of integrally attached containers",
        b'z' => "carton of blood collection containers",
        _ => "reserved by ICCBBA for future use",
    }
}

fn text(content: &[u8]) -> String {
    String::from_utf8_lossy(content).into_owned()
}

fn check_character(content: &[u8]) -> FieldValue {
    mod37::check_character(content).map_or(FieldValue::Null, |c| FieldValue::Text(c.to_string()))
}

/// Fields interpreted from the content, reported after the raw segments.
pub(crate) fn derived_fields(kind: Kind, content: &[u8], fields: &mut Fields) {
    let number = |range: Range<usize>| date::digits(&content[range]);
    match kind {
        Kind::SpecialTestingGeneral => {
            // ICCBBA's special testing table (RT029) is licensed and not published.
            fields.push(("meaning", FieldValue::Null));
            fields.push(("in_table", FieldValue::Bool(false)));
            fields.push(("note", FieldValue::text("not in table (ICCBBA RT029)")));
        }
        Kind::SpecialTestingRedCellAntigensRetired
        | Kind::SpecialTestingRedCellAntigensGeneral
        | Kind::SpecialTestingRedCellAntigensFinnish
        | Kind::SpecialTestingPlateletAntigens
        | Kind::InfectionMarkers
        | Kind::DonorIdentificationNumber
        | Kind::StaffMemberIdentificationNumber
        | Kind::ChainOfIdentityIdentifier => {
            fields.push(("check_character", check_character(content)));
            if matches!(
                kind,
                Kind::SpecialTestingRedCellAntigensGeneral
                    | Kind::SpecialTestingRedCellAntigensRetired
            ) || kind == Kind::SpecialTestingRedCellAntigensFinnish
            {
                crate::antigens::fields(kind, content, fields);
            }
        }
        Kind::ContainerManufacturerAndCatalogNumber => {
            fields.push((
                "container_meaning",
                FieldValue::text(container_meaning(content[0])),
            ));
        }
        Kind::PatientDateOfBirth => {
            if let Ok(date) = date::gregorian_date(&content[2..10]) {
                fields.push(("date_of_birth", FieldValue::Text(date.to_string())));
            }
        }
        Kind::ExpirationMonthAndYear => {
            let month = format!("{}-{}", text(&content[..4]), text(&content[4..6]));
            fields.push(("expiration_month", FieldValue::Text(month)));
        }
        Kind::Dimensions => {
            let list = content[2..].chunks(14).map(dimension_fields).collect();
            fields.push(("dimension_list", FieldValue::List(list)));
        }
        Kind::RedCellAntigensWithTestHistory => {
            let list = content[3..].chunks(10).map(antigen_test_fields).collect();
            fields.push(("antigen_test_list", FieldValue::List(list)));
        }
        Kind::FlexibleDateAndTime => {
            fields.push((
                "time_zone_meaning",
                FieldValue::text(time_zone(content[0]).unwrap_or("")),
            ));
            let time_type = time_type(number(2..4)).unwrap_or("");
            fields.push(("time_type_meaning", FieldValue::text(time_type)));
            let stamp = format!(
                "{}-{}-{}T{}:{}",
                text(&content[4..8]),
                text(&content[8..10]),
                text(&content[10..12]),
                text(&content[12..14]),
                text(&content[14..16])
            );
            fields.push(("date_time", FieldValue::Text(stamp)));
        }
        Kind::SingleEuropeanCode => {
            let system = coding_system(content[21]).unwrap_or("");
            fields.push(("coding_system_meaning", FieldValue::text(system)));
            let expiry = date::gregorian_date(&content[32..40]).ok();
            let expiry = expiry.map_or(FieldValue::Null, |date| FieldValue::Text(date.to_string()));
            fields.push(("expiry", expiry));
        }
        _ => {}
    }
}

fn dimension_fields(unit: &[u8]) -> Fields {
    let (unit_name, description) = dimension(date::digits(&unit[2..6])).unwrap_or(("", ""));
    let digits = text(&unit[6..11]);
    let places = usize::from(unit[11] - b'0');
    let value = if places == 0 {
        digits.clone()
    } else {
        format!("{}.{}", &digits[..5 - places], &digits[5 - places..])
    };
    vec![
        ("symbol", FieldValue::Text(text(&unit[..2]))),
        (
            "symbol_meaning",
            FieldValue::text(dimension_symbol(date::digits(&unit[..2]))),
        ),
        ("dimension", FieldValue::Text(text(&unit[2..6]))),
        ("description", FieldValue::text(description)),
        ("unit", FieldValue::text(unit_name)),
        ("value", FieldValue::Text(value)),
    ]
}

fn antigen_test_fields(unit: &[u8]) -> Fields {
    vec![
        ("antigen", FieldValue::Text(text(&unit[..6]))),
        ("system", FieldValue::Text(text(&unit[..3]))),
        (
            "result",
            FieldValue::text(serological_result(date::digits(&unit[6..8])).unwrap_or("")),
        ),
        (
            "tests",
            FieldValue::text(number_of_tests(date::digits(&unit[8..10])).unwrap_or("")),
        ),
    ]
}
