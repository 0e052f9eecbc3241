//! Any bytes as the records of an E1394 message (see
//! `hemaflow_astm::fuzzing::check_message` for what is asserted).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| hemaflow_astm::fuzzing::check_message(data));
