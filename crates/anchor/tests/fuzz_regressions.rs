//! Inputs kept in `fuzz/regressions/`, checked with the fuzz target's own assertions
//! (`fuzz/fuzz_targets/read_witness.rs`) on every test run.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use ed25519_dalek::SigningKey;
use hemaflow_anchor::read_witness;

#[test]
fn every_kept_input_is_read_or_refused_by_line() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let key = SigningKey::from_bytes(&[7; 32]).verifying_key();
    let mut checked = 0;
    for entry in std::fs::read_dir(&folder).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        let lines = data.split(|b| *b == b'\n').count();
        match read_witness(data.as_slice(), "fuzz", &key) {
            Ok(read) => assert!(read.heads.len() <= lines),
            Err(error) => assert!(error.line >= 1 && error.line <= lines, "{error}"),
        }
        checked += 1;
    }
    assert!(checked >= 2, "the regressions folder holds its inputs");
}
