//! A ledger written before the domain was divided into areas still reads hash for hash: every
//! entry's hash recomputes, every event and every refused command decodes into today's types
//! and writes back to exactly the text that was hashed, and the whole ledger imports into a
//! fresh database and verifies (replayed through today's `evolve`).
//!
//! `tests/data/demo-ledger-before-rooms.jsonl.gz` is `hemaflow export` of
//! `hemaflow demo --seed-only --donors 120 --days 21 --now 2026-12-01T12:00:00Z`, made with the
//! code of 2026-12-07 before the change (4 089 entries, 43 kinds of event and refusal).

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};

use hemaflow_domain::{Command, Event};
use hemaflow_service::ledger::{
    Entry, EntryKind, ImportOptions, canonical_value, import_with, to_canonical,
};
use hemaflow_service::{Blood, store};

const EXPORT: &[u8] = include_bytes!("data/demo-ledger-before-rooms.jsonl.gz");

fn lines() -> Vec<String> {
    let reader = BufReader::new(flate2::read::GzDecoder::new(EXPORT));
    reader.lines().map(|line| line.unwrap()).collect()
}

/// The text today's types write for a stored payload: an event as it is, a refusal with its
/// command decoded and written back.
fn rewritten(entry: &Entry) -> String {
    match entry.kind {
        EntryKind::Event => {
            let event: Event = serde_json::from_str(&entry.payload)
                .unwrap_or_else(|e| panic!("entry {}: event does not decode: {e}", entry.sequence));
            assert_eq!(event.name(), entry.event_type, "entry {}", entry.sequence);
            to_canonical(&event).unwrap()
        }
        EntryKind::Refusal => {
            let mut payload: serde_json::Value = serde_json::from_str(&entry.payload).unwrap();
            let command: Command = serde_json::from_value(payload["command"].clone())
                .unwrap_or_else(|e| {
                    panic!(
                        "entry {}: refused command does not decode: {e}",
                        entry.sequence
                    )
                });
            payload["command"] = serde_json::to_value(&command).unwrap();
            canonical_value(&payload).unwrap()
        }
    }
}

#[test]
fn every_entry_of_a_ledger_written_before_the_areas_rewrites_to_the_bytes_it_was_hashed_over() {
    let lines = lines();
    assert_eq!(lines.len(), 4089);
    let mut refusals = 0;
    for line in &lines {
        let entry = Entry::from_json_line(line).unwrap();
        assert_eq!(
            entry.compute_hash().unwrap(),
            entry.hash,
            "entry {}",
            entry.sequence
        );
        assert_eq!(rewritten(&entry), entry.payload, "entry {}", entry.sequence);
        refusals += usize::from(entry.kind == EntryKind::Refusal);
    }
    assert_eq!(refusals, 13, "the refusals are part of the fixture");
}

#[tokio::test]
async fn a_ledger_written_before_the_areas_imports_and_verifies_hash_for_hash() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("before.db").display());
    let store = store::connect(&url).await.unwrap();
    let mut text = lines().join("\n");
    text.push('\n');
    // Written before exports had a trailer: imported as such, by the explicit option.
    let options = ImportOptions {
        without_trailer: true,
    };
    let report = import_with::<Blood, _, _>(&store, text.as_bytes(), options)
        .await
        .unwrap();
    assert!(report.is_ok(), "{:?}", report.problem);
    assert_eq!(report.entries, 4089);
}
