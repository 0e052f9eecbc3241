//! Inputs kept in `fuzz/regressions/` (once found by the fuzzer, or the seeds worth keeping),
//! checked with the fuzz targets' own assertions: `frame-*` files by the frame target,
//! `record-*` files by the record target.

use std::fs;
use std::path::Path;

#[test]
fn every_kept_fuzz_input_passes_its_targets_assertions() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut checked = 0;
    for entry in fs::read_dir(&folder).expect("fuzz/regressions exists") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_owned();
        let data = fs::read(&path).expect("readable");
        if name.starts_with("frame-") {
            hemaflow_astm::fuzzing::check_frames(&data);
        } else if name.starts_with("record-") {
            hemaflow_astm::fuzzing::check_message(&data);
        } else {
            continue;
        }
        checked += 1;
    }
    assert!(checked >= 2, "the kept inputs are checked ({checked})");
}
