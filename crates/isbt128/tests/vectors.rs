//! Every public test vector of `tests/data/vectors.json` (each with its source): valid ones
//! parse to the expected values, invalid ones are refused with the expected reason.

use hemaflow_isbt128::{DataStructure, FieldValue, Form, Scan, parse};
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let text = include_str!("data/vectors.json");
    serde_json::from_str(text).expect("vectors.json is valid JSON")
}

fn as_text(value: &FieldValue) -> String {
    match value {
        FieldValue::Text(text) => text.clone(),
        FieldValue::Integer(number) => number.to_string(),
        FieldValue::Bool(flag) => flag.to_string(),
        FieldValue::Null => "null".into(),
        FieldValue::List(items) => items.len().to_string(),
    }
}

fn expected_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

/// The field of Hemaflow's output that a vector's expectation names.
fn field_name(vector_key: &str) -> &str {
    match vector_key {
        "fin" | "fin_processor" => "facility",
        "keyboard_check_char" => "check_character",
        "flag_checksum_valid" => "flag_check_valid",
        "gg" => "group",
        "r" => "phenotype",
        "e" => "reserved",
        "phenotype" => "phenotype_meaning",
        "collection" => "intended_use",
        "pdc" => "product_description_code",
        "division" => "divisions",
        "c" => "century",
        "yy" => "year",
        "jjj" => "day_of_year",
        "container_id_char" => "container",
        "container_id_meaning" => "container_meaning",
        "expiry_date" => "expiry",
        "expiry" => "date_time",
        other => other,
    }
}

/// Find a field in any structure of the scan (a concatenated scan spreads them).
fn find_field(scan: &Scan, name: &str) -> Option<String> {
    scan.structures().iter().find_map(|structure| {
        structure
            .fields()
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| as_text(value))
    })
}

fn numbers(scan: &Scan) -> Vec<String> {
    scan.structures()
        .iter()
        .map(|structure| structure.kind().number().unwrap_or("national").to_owned())
        .collect()
}

fn check_expectation(input: &str, scan: &Scan, key: &str, expected: &Value) {
    match key {
        "note" => {}
        "ds" => assert_eq!(numbers(scan), [expected_text(expected)], "{input}"),
        "segments" => {
            let expected: Vec<String> = expected
                .as_array()
                .expect("list")
                .iter()
                .map(expected_text)
                .collect();
            assert_eq!(numbers(scan), expected, "{input}");
        }
        "compound" => {
            let compound = scan.form == Form::Compound;
            assert_eq!(Value::Bool(compound), *expected, "{input}");
        }
        "context" => assert_eq!(scan.form, Form::KeyedDin, "{input}"),
        "count" => {
            let found = find_field(scan, "count").expect("count field");
            assert_eq!(found.parse::<u64>().ok(), expected.as_u64(), "{input}");
        }
        "collection" | "meaning" | "flag_meaning" => {
            // The vectors shorten the standard's wording; every word they use must be there.
            let found = find_field(scan, field_name(key))
                .unwrap_or_default()
                .to_lowercase();
            for word in expected_text(expected).to_lowercase().split_whitespace() {
                assert!(found.contains(word), "{input}: '{found}' lacks '{word}'");
            }
        }
        _ => {
            let found = find_field(scan, field_name(key));
            assert_eq!(found, Some(expected_text(expected)), "{input}: field {key}");
        }
    }
}

#[test]
fn every_valid_vector_parses_to_its_expected_values_and_encodes_back() {
    let mut checked = 0;
    for vector in vectors().iter().filter(|v| v["kind"] == "valid") {
        let input = vector["input"].as_str().expect("input is a string");
        let scan = parse(input).unwrap_or_else(|error| panic!("{input}: {error}"));
        for (key, expected) in vector["expect"].as_object().expect("expect is an object") {
            check_expectation(input, &scan, key, expected);
        }
        assert_eq!(scan.encode(), input, "round trip");
        checked += 1;
    }
    assert_eq!(checked, 39, "valid vectors checked");
}

/// Words that the refusal of each invalid vector must contain.
fn expected_reason(input: &str) -> &'static [&'static str] {
    match input {
        "=A999917123456" => &["cut short", "13", "15"],
        "=O12341765432100" | "=012341765432100" | "=zINVALID_DI_TEST" => {
            &["unrecognized data identifier"]
        }
        "A999915123456N" => &["check character is 'N', expected '6'"],
        "G123417654321B" => &["check character is 'B', expected 'A'"],
        "=%510" => &["content length 3, expected 4"],
        "=<E1234V0" => &["content length 7, expected 8"],
        "=<e1234V00" => &["'e'", "product description code", "A-Z"],
        "=>025000" => &["julian day 000"],
        "&>0250012360" => &["minute 60 outside 00-59"],
        "&>025001" => &["content length 6, expected 10"],
        "&)12345" => &["content length 5, expected 10"],
        "=/A9997ab3456T0123" => &["'a'", "facility product code"],
        "=+05000=/A9997XYZ100T0479=A99991712345600=,000012=>019031" => {
            &["declared count 5 but only 4"]
        }
        "=+03000=A99991712345600=%5100" => &["declared count 3 but only 2"],
        "=+02000=A99991712345600 =%5100" => &["intervening character ' '"],
        "=+01000&aLOCAL" => &["compound message may only contain ISBT 128 (non-national)"],
        "GARBAGE" => &["does not start with '=' or '&'"],
        "" => &["empty input"],
        other => panic!("no expected reason written down for invalid vector {other:?}"),
    }
}

#[test]
fn every_invalid_vector_is_refused_with_its_reason() {
    let mut checked = 0;
    for vector in vectors().iter().filter(|v| v["kind"] == "invalid") {
        let input = vector["input"].as_str().expect("input is a string");
        let error = parse(input).expect_err(input);
        let message = error.to_string();
        for word in expected_reason(input) {
            assert!(
                message.contains(word),
                "{input:?}: '{message}' lacks '{word}'"
            );
        }
        assert!(
            error.position <= input.chars().count(),
            "{input:?}: position past the end"
        );
        checked += 1;
    }
    assert_eq!(checked, 20, "invalid vectors checked");
}

#[test]
fn every_vector_is_either_valid_or_invalid() {
    let all = vectors();
    let known = all
        .iter()
        .filter(|v| v["kind"] == "valid" || v["kind"] == "invalid")
        .count();
    assert_eq!((known, all.len()), (59, 59));
}

#[test]
fn a_keyed_in_din_is_reported_as_the_din_it_names() {
    let scan = parse("G1234 17 654321 A").expect("spaced keyed-in DIN");
    let [DataStructure::KeyedDin(din)] = scan.structures() else {
        panic!("one keyed DIN")
    };
    assert_eq!(din.as_str(), "G123417654321");
    assert_eq!(din.eye_readable(), "G1234 17 654321 A");
}
