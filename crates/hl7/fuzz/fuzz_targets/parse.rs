//! Any bytes through the ER7 parser and the MLLP framing (see `check.rs`).

#![no_main]

mod check;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| check::check(data));
