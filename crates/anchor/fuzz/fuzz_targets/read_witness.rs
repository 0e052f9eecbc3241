//! Any bytes as a witness file: `read_witness` answers (no panic), an error names a line that
//! is in the input, and every head it accepts carries the line it was read from.

#![no_main]

use ed25519_dalek::SigningKey;
use hemaflow_anchor::read_witness;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = SigningKey::from_bytes(&[7; 32]).verifying_key();
    let lines = data.split(|b| *b == b'\n').count();
    match read_witness(data, "fuzz", &key) {
        Ok(read) => {
            assert!(read.heads.len() <= lines);
            for head in &read.heads {
                assert!(head.sequence >= 1);
                assert!(head.source.starts_with("fuzz line "));
            }
        }
        Err(error) => assert!(error.line >= 1 && error.line <= lines, "{error}"),
    }
});
