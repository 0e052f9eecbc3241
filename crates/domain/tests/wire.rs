//! Every kind of command and event keeps the JSON it had before the domain was divided into
//! areas: each line of `data/wire-before-rooms.tsv` (commands and events of a seeded random
//! run and of the account commands, written by the code of 2026-12-07 before the change,
//! up to eight of each kind) decodes into today's types and writes back to the same bytes,
//! fields in the same order.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use hemaflow_domain::{Command, Event};

const WIRE: &str = include_str!("data/wire-before-rooms.tsv");

fn type_of(json: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    value["type"].as_str().unwrap().to_owned()
}

#[test]
fn every_command_and_event_written_before_the_areas_writes_back_to_the_same_bytes() {
    let (mut commands, mut events) = (BTreeSet::new(), BTreeSet::new());
    for (number, line) in WIRE.lines().enumerate() {
        let (kind, json) = line.split_once('\t').unwrap();
        let again = match kind {
            "command" => {
                commands.insert(type_of(json));
                let command: Command = serde_json::from_str(json)
                    .unwrap_or_else(|e| panic!("line {}: {e}", number + 1));
                serde_json::to_string(&command).unwrap()
            }
            "event" => {
                events.insert(type_of(json));
                let event: Event = serde_json::from_str(json)
                    .unwrap_or_else(|e| panic!("line {}: {e}", number + 1));
                assert_eq!(event.name(), type_of(json));
                serde_json::to_string(&event).unwrap()
            }
            other => panic!("line {}: unknown kind {other}", number + 1),
        };
        assert_eq!(again, json, "line {}", number + 1);
    }
    assert_eq!(commands.len(), 43, "{commands:?}");
    assert_eq!(events.len(), 47, "{events:?}");
}
