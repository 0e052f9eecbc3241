//! Any bytes: `parse` and `parse_as` return a value or an error, never panic; an error points
//! inside the input; and whatever parses encodes back to itself and parses again the same.

#![no_main]

use hemaflow_isbt128::{Form, Kind, parse, parse_as};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match parse(&text) {
        Ok(scan) => {
            let encoded = scan.encode();
            if scan.form != Form::KeyedDin {
                let text = text.strip_prefix('\u{2}').unwrap_or(&text);
                let unframed = text.trim_end_matches(['\u{3}', '\r', '\n']);
                assert_eq!(encoded, unframed, "a valid scan encodes back to itself");
            }
            let again = parse(&encoded).expect("an encoded scan parses");
            assert_eq!(again.structures(), scan.structures());
            for structure in scan.structures() {
                let _ = structure.fields();
            }
        }
        Err(error) => assert!(error.position <= text.chars().count()),
    }
    let _ = parse_as(
        &text,
        &[Kind::BloodGroups, Kind::DonationIdentificationNumber],
    );
});
