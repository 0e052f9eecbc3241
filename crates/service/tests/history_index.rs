//! REC-TRACE through the index of entry terms: for DINs of the demo centre (one in
//! `HEMAFLOW_HISTORY_ORACLE_EVERY`, default 16, since each scan reads the whole ledger several
//! times; 1 checks every DIN), the story read through the index (`history`) is exactly the
//! story read from every entry (`history_by_scan`, the definition), on SQLite and on
//! PostgreSQL; and a ledger written before the index existed gets its terms when it is next
//! opened.

#![allow(clippy::unwrap_used)]

use hemaflow_ledger::Store;
use hemaflow_service::demo::{DemoOptions, seed};
use hemaflow_service::history::{history, history_by_scan, parse_din};
use hemaflow_service::open;
use hemaflow_store::AnyStore;
use hemaflow_store_tests::{Backend, TestDb};
use time::macros::datetime;

/// Every DIN collected in the ledger, in order.
async fn collected_dins(store: &AnyStore) -> Vec<String> {
    let mut dins = Vec::new();
    let mut after = 0;
    loop {
        let entries = store.entries_after(after, 1000).await.unwrap();
        let Some(last) = entries.last() else {
            return dins;
        };
        after = last.sequence;
        for entry in entries
            .iter()
            .filter(|e| e.event_type == "donation_collected")
        {
            let payload: serde_json::Value = serde_json::from_str(&entry.payload).unwrap();
            dins.push(payload["donation"]["din"].as_str().unwrap().to_owned());
        }
    }
}

async fn every_din_has_the_same_story_through_the_index(backend: Backend) {
    let Some(db) = TestDb::fresh(backend).await else {
        return;
    };
    let ledger = open(&db.store_url()).await.unwrap();
    seed(&ledger, &DemoOptions::new(datetime!(2026-03-20 15:30 UTC)))
        .await
        .unwrap();
    let dins = collected_dins(ledger.store()).await;
    assert!(dins.len() > 200, "{} DINs", dins.len());
    let every = std::env::var("HEMAFLOW_HISTORY_ORACLE_EVERY")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(16_usize)
        .max(1);
    let mut lines = 0;
    let checked = dins.len().div_ceil(every);
    for din in dins.iter().step_by(every) {
        let din = parse_din(&format!("={din}00")).unwrap();
        let indexed = history(ledger.store(), &din).await.unwrap();
        let scanned = history_by_scan(ledger.store(), &din).await.unwrap();
        assert_eq!(indexed, scanned, "{din:?}");
        lines += scanned.map_or(0, |h| h.lines.len());
    }
    assert!(lines > checked * 10, "{lines} lines for {checked} DINs");
    // A DIN the ledger never saw has no story either way.
    let unknown = parse_din("=W12342699999900").unwrap();
    assert!(history(ledger.store(), &unknown).await.unwrap().is_none());

    // A ledger written before the index: its terms are gone, and the migration's row says
    // up to which entry to backfill. Opening it again gives every entry its terms back.
    let last = ledger.store().head().await.unwrap().sequence;
    let before = TestDb::execute(ledger.store(), "DELETE FROM entry_terms").await;
    assert!(before > last as u64, "{before} terms for {last} entries");
    let din = parse_din(&format!("={}00", dins[0])).unwrap();
    assert_eq!(
        history(ledger.store(), &din).await.unwrap(),
        None,
        "without its terms the index finds nothing"
    );
    TestDb::execute(
        ledger.store(),
        &format!("INSERT INTO entry_terms_backfill (through_sequence) VALUES ({last})"),
    )
    .await;
    let reopened = open(&db.store_url()).await.unwrap();
    let restored = TestDb::execute(reopened.store(), "DELETE FROM entry_terms_backfill").await;
    assert_eq!(restored, 0, "the backfill row is removed once done");
    for din in dins.iter().step_by(every * 4) {
        let din = parse_din(&format!("={din}00")).unwrap();
        assert_eq!(
            history(reopened.store(), &din).await.unwrap(),
            history_by_scan(reopened.store(), &din).await.unwrap(),
            "{din:?}"
        );
    }
    db.cleanup().await;
}

#[tokio::test]
async fn rec_trace_indexed_history_equals_the_scan_on_sqlite() {
    every_din_has_the_same_story_through_the_index(Backend::Sqlite).await;
}

#[tokio::test]
async fn rec_trace_indexed_history_equals_the_scan_on_postgres() {
    every_din_has_the_same_story_through_the_index(Backend::Postgres).await;
}
