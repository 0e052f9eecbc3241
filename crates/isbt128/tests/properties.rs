//! Properties of the codec over generated input: nothing panics, every valid scan encodes
//! back to exactly itself, and a single changed character of a DIN is always caught.

use hemaflow_isbt128::charset::CharClass;
use hemaflow_isbt128::spec::{ALL_KINDS, Length};
use hemaflow_isbt128::{Date, Din, Flags, Kind, mod37, parse, parse_as};
use proptest::prelude::*;
use proptest::sample::select;

/// One character of a class, chosen from the class's members.
fn char_of(class: CharClass) -> impl Strategy<Value = char> {
    let members: Vec<char> = (0u8..=127)
        .filter(|&b| class.contains(b))
        .map(char::from)
        .collect();
    select(members)
}

/// Content for the segments of `kind`, each character drawn from its class.
fn content_by_classes(kind: Kind) -> impl Strategy<Value = String> {
    let classes: Vec<CharClass> = kind
        .spec()
        .segments
        .iter()
        .flat_map(|s| s.classes.iter().copied())
        .collect();
    classes
        .into_iter()
        .map(char_of)
        .collect::<Vec<_>>()
        .prop_map(|chars| chars.into_iter().collect())
}

fn digits(count: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(char_of(CharClass::Digit), count)
        .prop_map(|c| c.into_iter().collect())
}

fn date() -> impl Strategy<Value = Date> {
    (2000u16..2999, 1u16..=365)
        .prop_map(|(year, day)| Date::from_ordinal(year, day).expect("day <= 365"))
}

fn julian() -> impl Strategy<Value = String> {
    date().prop_map(|date| date.to_julian().expect("year in range"))
}

fn hhmm() -> impl Strategy<Value = String> {
    (0u8..24, 0u8..60).prop_map(|(hour, minute)| format!("{hour:02}{minute:02}"))
}

fn din_scan() -> impl Strategy<Value = String> {
    (
        content_by_classes(Kind::DonationIdentificationNumber),
        0u8..4,
    )
        .prop_map(|(content, flag)| {
            let din = Din::parse(&content[..13]).expect("generated from the DIN classes");
            let flags = match flag {
                0 => "00".to_owned(),
                1 => Flags::check_flag(&din).as_str().to_owned(),
                _ => content[13..].to_owned(),
            };
            // Random flags may be a type 3 flag of the wrong DIN: keep only the right one.
            let flags = if (60..=96).contains(&flags.parse::<u8>().unwrap_or(0))
                && flags != Flags::check_flag(&din).as_str()
            {
                "00".to_owned()
            } else {
                flags
            };
            format!("={}{flags}", din.as_str())
        })
}

fn blood_group_scan() -> impl Strategy<Value = String> {
    let groups = [
        "51", "95", "62", "06", "73", "17", "84", "28", "47", "58", "P2", "A0", "Mq", "H6", "00",
    ];
    (select(groups.to_vec()), char_of(CharClass::UpperDigit))
        .prop_map(|(group, phenotype)| format!("=%{group}{phenotype}0"))
}

fn product_scan() -> impl Strategy<Value = String> {
    let collection_types = "0VRSTPrsA1XDd2LEQ3456FC78BHJG".chars().collect::<Vec<_>>();
    prop_oneof![
        (
            char_of(CharClass::UpperDigit),
            digits(3),
            select(collection_types),
            char_of(CharClass::UpperDigit),
            char_of(CharClass::LowerDigit)
        )
            .prop_map(|(second, rest, t, d, s)| format!("=<E{second}{rest}{t}{d}{s}")),
        (digits(4), digits(3)).prop_map(|(code, division)| format!("=<T{code}{division}")),
    ]
}

/// A valid scan of one structure of each kind (national ones excepted).
fn single_scan() -> impl Strategy<Value = String> {
    let generic: Vec<Kind> = ALL_KINDS
        .into_iter()
        .filter(|kind| {
            matches!(kind.spec().length, Length::Fixed)
                && !kind.is_national()
                && !matches!(
                    kind,
                    Kind::DonationIdentificationNumber
                        | Kind::BloodGroups
                        | Kind::ProductCode
                        | Kind::CompoundMessage
                        | Kind::ExpirationDate
                        | Kind::ExpirationDateAndTime
                        | Kind::CollectionDate
                        | Kind::CollectionDateAndTime
                        | Kind::ProductionDate
                        | Kind::ProductionDateAndTime
                        | Kind::SpecialTestingPlateletAntigens
                        | Kind::PatientDateOfBirth
                        | Kind::ExpirationMonthAndYear
                        | Kind::InfectionMarkers
                        | Kind::FlexibleDateAndTime
                        | Kind::GlobalRegistrationIdentifierRetired
                        | Kind::SingleEuropeanCode
                        | Kind::GlobalRegistrationIdentifier
                        | Kind::ChainOfIdentityIdentifier
                )
        })
        .collect();
    prop_oneof![
        4 => din_scan(),
        2 => blood_group_scan(),
        2 => product_scan(),
        2 => (select(vec!["=>", "=*", "=}"]), julian()).prop_map(|(id, date)| format!("{id}{date}")),
        2 => (select(vec!["&>", "&*", "&}"]), julian(), hhmm()).prop_map(|(id, d, t)| format!("{id}{d}{t}")),
        3 => select(generic).prop_flat_map(|kind| {
            content_by_classes(kind).prop_map(move |content| format!("{}{content}", kind.spec().identifier))
        }),
        1 => (digits(16), 0u8..3).prop_map(|(d, e)| format!("&{{{d}0{e}")),
        1 => (date(), digits(2)).prop_map(|(d, l)| format!("=#{l}{}", d.to_string().replace('-', ""))),
        1 => (2000u16..2999, 1u8..=12).prop_map(|(y, m)| format!("=]{y}{m:02}")),
        1 => (0usize..12, char_of(CharClass::Alphanumeric)).prop_map(|(n, c)| format!("&#01{n:02}{}", c.to_string().repeat(n))),
        1 => proptest::collection::vec((1u8..=6, 1u16..=11, digits(5), 0u8..=5), 0..4).prop_map(|units| {
            let body: String = units.iter().map(|(s, d, v, p)| format!("{s:02}{d:04}{v}{p}00")).collect();
            format!("&${:02}{body}", units.len())
        }),
        1 => proptest::collection::vec((digits(6), 1u8..=6, 1u8..=6), 0..4).prop_map(|units| {
            let body: String = units.iter().map(|(a, r, t)| format!("{a}{r:02}{t:02}")).collect();
            format!("&%{:03}{body}", units.len())
        }),
        1 => (1u8..=2, 1u8..=6, date(), hhmm()).prop_map(|(z, t, d, hm)| {
            format!("=({z}0{t:02}{}{hm}", d.to_string().replace('-', ""))
        }),
        1 => ("[1-9][0-9]{3}", "[0-9A-Z]{13}").prop_map(|(org, donor)| {
            let body = format!("{org}{donor}");
            let sum = mod37::checksum(body.as_bytes()).expect("digits and capitals");
            format!("&:{body}{sum:02}")
        }),
        1 => (content_by_classes(Kind::ChainOfIdentityIdentifier)).prop_map(|c| format!("&/CH{}", &c[2..])),
    ]
}

/// A valid scan: one structure, two read together, or a compound message.
fn valid_scan() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => single_scan(),
        1 => (single_scan(), single_scan()).prop_map(|(a, b)| format!("{a}{b}")),
        1 => proptest::collection::vec(single_scan(), 1..6)
            .prop_map(|items| format!("=+{:02}000{}", items.len(), items.concat())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn every_valid_scan_parses_and_encodes_back_to_itself(scan in valid_scan()) {
        let parsed = parse(&scan).map_err(|e| TestCaseError::fail(format!("{scan}: {e}")))?;
        prop_assert_eq!(parsed.encode(), scan.clone());
        let again = parse(&parsed.encode()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(again, parsed);
    }

    #[test]
    fn every_single_structure_parses_at_a_prompt_for_its_kind(scan in single_scan()) {
        let parsed = parse(&scan).map_err(|e| TestCaseError::fail(format!("{scan}: {e}")))?;
        let kind = parsed.structures()[0].kind();
        let structure = parse_as(&scan, &[kind]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(structure.encode(), scan);
    }

    #[test]
    fn any_text_parses_or_is_refused_with_a_position_inside_it(text in "\\PC{0,60}") {
        if let Err(error) = parse(&text) {
            prop_assert!(error.position <= text.chars().count());
            prop_assert!(!error.to_string().is_empty());
        }
    }

    #[test]
    fn any_bytes_parse_or_are_refused_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse(&text);
        let _ = parse_as(&text, &[Kind::BloodGroups, Kind::DonationIdentificationNumber]);
    }

    #[test]
    fn changing_one_character_of_a_valid_scan_never_panics(scan in valid_scan(), index in any::<prop::sample::Index>(), byte in 32u8..127) {
        let mut bytes = scan.into_bytes();
        let at = index.index(bytes.len());
        bytes[at] = byte;
        let text = String::from_utf8(bytes).expect("ASCII stays ASCII");
        if let Err(error) = parse(&text) {
            prop_assert!(error.position <= text.len());
        }
    }

    #[test]
    fn a_keyed_in_din_with_any_single_character_changed_is_refused(
        din in content_by_classes(Kind::DonationIdentificationNumber),
        index in 0usize..14,
        replacement in char_of(CharClass::UpperDigit),
    ) {
        let din = Din::parse(&din[..13]).expect("generated from the DIN classes");
        let keyed = format!("{}{}", din.as_str(), din.check_character());
        prop_assert!(parse(&keyed).is_ok());
        let mut changed: Vec<char> = keyed.chars().collect();
        prop_assume!(changed[index] != replacement);
        changed[index] = replacement;
        let changed: String = changed.into_iter().collect();
        prop_assert!(parse(&changed).is_err(), "{} accepted after changing {}", changed, keyed);
    }
}
