//! Inputs the fuzzer once broke (or that reach its hard corners), kept in
//! `fuzz/regressions/` and checked here with the fuzz target's own assertions.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../fuzz/fuzz_targets/check.rs"]
mod check;

#[test]
fn every_kept_fuzz_input_holds_to_the_fuzz_target() {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut checked = 0;
    for entry in std::fs::read_dir(&folder).expect("fuzz/regressions exists") {
        let path = entry.unwrap().path();
        check::check(&std::fs::read(&path).unwrap());
        checked += 1;
    }
    assert!(checked > 0, "no inputs in {}", folder.display());
}
