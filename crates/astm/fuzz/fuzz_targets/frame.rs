//! Any bytes as an E1381 frame and as a stream on the receiving link (see
//! `hemaflow_astm::fuzzing::check_frames` for what is asserted).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| hemaflow_astm::fuzzing::check_frames(data));
