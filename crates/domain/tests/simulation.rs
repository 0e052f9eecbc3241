//! Random command sequences with the invariants checked after every step.
//!
//! `cargo test -p hemaflow-domain --test simulation` runs 100 000 commands from a fixed seed.
//! `HEMAFLOW_SIM_COMMANDS=10000000 HEMAFLOW_SIM_SEED=<n> cargo test --release -p hemaflow-domain
//! --test simulation -- --nocapture` runs as many as you like from any seed (a failure prints
//! the seed and step to replay).

use hemaflow_testkit::simulation;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

#[test]
fn invariants_hold_over_random_command_sequences() {
    let seed = env_u64("HEMAFLOW_SIM_SEED", 0x4845_4D41);
    let commands = env_u64("HEMAFLOW_SIM_COMMANDS", 100_000);
    let started = std::time::Instant::now();
    let report = match simulation::run(seed, commands) {
        Ok(report) => report,
        Err(failure) => panic!("{failure}"),
    };
    eprintln!(
        "seed {seed}: {} commands, {} accepted, {} events in {:.1?}\nrefusals: {:?}\naccepted: {:?}",
        report.commands,
        report.accepted,
        report.events,
        started.elapsed(),
        report.refusals,
        report.accepted_by_kind
    );
    assert_eq!(report.commands, commands);
    // The generator must reach deep into the workflow, or the invariants are checked on
    // nothing: releases and shipments must happen.
    for kind in [
        "release a component",
        "ship a component",
        "produce components",
        "record a test result",
        "crossmatch a unit",
        "issue a unit to a patient",
        "start a transfusion",
        "end a transfusion",
        "release uncrossmatched blood",
        "start a lookback",
        "open a recall",
        "record a recalled unit's outcome",
        "open a deviation",
        "correct a screening",
        "correct a test result",
    ] {
        assert!(
            report.accepted_by_kind.get(kind).copied().unwrap_or(0) > 0 || commands < 10_000,
            "no accepted {kind}"
        );
    }
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let a = simulation::run(7, 2_000).map_err(|f| f.to_string());
    let b = simulation::run(7, 2_000).map_err(|f| f.to_string());
    assert_eq!(a.as_ref().ok(), b.as_ref().ok());
    assert!(a.is_ok(), "{:?}", a.err());
}
