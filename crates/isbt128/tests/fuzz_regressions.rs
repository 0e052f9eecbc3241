//! Inputs the fuzzer once broke, kept in `fuzz/regressions/` and checked here with the fuzz
//! target's own assertions, so that a fixed crash stays fixed in the normal test run.

use std::fs;
use std::path::Path;

use hemaflow_isbt128::{Form, parse};

/// The fuzz target's promise: no panic, errors point inside the input, and a valid scan
/// encodes back to itself and parses again to the same structures.
fn check(text: &str) {
    match parse(text) {
        Ok(scan) => {
            let encoded = scan.encode();
            if scan.form != Form::KeyedDin {
                let unframed = text.strip_prefix('\u{2}').unwrap_or(text);
                let unframed = unframed.trim_end_matches(['\u{3}', '\r', '\n']);
                assert_eq!(encoded, unframed, "{text:?} encodes back to itself");
            }
            let again = parse(&encoded).expect("an encoded scan parses");
            assert_eq!(again.structures(), scan.structures(), "{text:?}");
        }
        Err(error) => assert!(error.position <= text.chars().count(), "{text:?}"),
    }
}

#[test]
fn every_input_that_once_broke_the_parser_now_holds_its_promise() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut checked = 0;
    for entry in fs::read_dir(&folder).expect("fuzz/regressions exists") {
        let bytes = fs::read(entry.expect("readable entry").path()).expect("readable file");
        check(&String::from_utf8_lossy(&bytes));
        checked += 1;
    }
    assert!(
        checked >= 1,
        "no regression inputs found in {}",
        folder.display()
    );
}

#[test]
fn a_national_structure_keeps_its_lowercase_identifier_letter() {
    let scan = parse("&j>20").expect("&j is a nationally defined data identifier");
    assert_eq!(scan.encode(), "&j>20");
}
