//! The ledger writes the canonical JSON of commands and events straight from the Rust values;
//! for the domain's real commands, events and refusals that text must be the text of the
//! reference path (`serde_json::to_value`, then `canonical_value`), or hashes would change.

#![allow(clippy::unwrap_used)]

use hemaflow_service::demo::{DemoOptions, plan};
use hemaflow_service::domain::{State, decide, evolve};
use hemaflow_service::ledger::{canonical_value, to_canonical};
use serde::Serialize;
use time::macros::datetime;

fn assert_same_text<T: Serialize + std::fmt::Debug>(value: &T) {
    let reference = canonical_value(&serde_json::to_value(value).unwrap()).unwrap();
    assert_eq!(to_canonical(value).unwrap(), reference, "{value:?}");
}

#[test]
fn the_demo_centre_is_written_as_the_reference_writes_it() {
    let options = DemoOptions::new(datetime!(2026-03-20 15:30 UTC));
    let mut state = State::default();
    let (mut commands, mut events, mut refusals) = (0, 0, 0);
    for planned in plan(&options) {
        assert_same_text(&planned.command);
        assert_same_text(&planned.context);
        commands += 1;
        match decide(&state, &planned.command, &planned.context) {
            Ok(accepted) => {
                for event in &accepted {
                    assert_same_text(event);
                    evolve(&mut state, event);
                    events += 1;
                }
            }
            Err(refusal) => {
                assert_same_text(&refusal);
                refusals += 1;
            }
        }
    }
    assert!(
        commands > 2000 && events > commands && refusals > 0,
        "{commands} {events} {refusals}"
    );
}
